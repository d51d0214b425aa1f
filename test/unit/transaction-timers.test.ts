// Timer values: RFC 3261 §17.1.1.1, Table 4, and RFC 6026 Timers L and M.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { DEFAULT_TIMER_CONFIG, TransactionError, TransactionLayer, resolveTimerConfig, transactionTimers } from '../../ipbx/sip/transaction/index.ts';
import { MemoryTransport } from '../helpers/memory-transport.ts';

void test('Timers: defaults T1 = 500 ms, T2 = 4 s, T4 = 5 s and the derived UDP values (RFC 3261 Table 4, RFC 6026)', () => {
  assert.deepEqual(resolveTimerConfig(), { T1: 500, T2: 4000, T4: 5000 });
  assert.deepEqual(transactionTimers(DEFAULT_TIMER_CONFIG, false), {
    T1: 500, T2: 4000, T4: 5000,
    A: 500, B: 32_000, D: 32_000, E: 500, F: 32_000, G: 500, H: 32_000, I: 5000, J: 32_000, K: 5000, L: 32_000, M: 32_000,
  });
});

void test('Timers: over reliable transports A, E, G are unused and D, I, J, K are zero (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2)', () => {
  const t = transactionTimers(DEFAULT_TIMER_CONFIG, true);
  assert.deepEqual([t.A, t.E, t.G], [undefined, undefined, undefined]);
  assert.deepEqual([t.D, t.I, t.J, t.K], [0, 0, 0, 0]);
  assert.deepEqual([t.B, t.F, t.H, t.L, t.M], [32_000, 32_000, 32_000, 32_000, 32_000]);
});

void test('Timers: a custom T1 rescales every 64*T1 timer; D stays at least 32 s (RFC 3261 §17.1.1.2)', () => {
  const small = transactionTimers(resolveTimerConfig({ T1: 100 }), false);
  assert.deepEqual([small.A, small.B, small.F, small.H, small.J, small.L, small.M, small.D], [100, 6400, 6400, 6400, 6400, 6400, 6400, 32_000]);
  const large = transactionTimers(resolveTimerConfig({ T1: 1000, T2: 8000 }), false);
  assert.equal(large.D, 64_000);
  const layer = new TransactionLayer({ transport: new MemoryTransport(), clock: new FakeClock(0), tu: { onRequest: () => undefined }, timers: { T1: 200 } });
  assert.deepEqual(layer.timers, { T1: 200, T2: 4000, T4: 5000 });
});

void test('Timers: invalid values are refused with the option named (TRANSACTION_INVALID_OPTION)', () => {
  const refused = (overrides: Parameters<typeof resolveTimerConfig>[0], name: RegExp) =>
    assert.throws(() => resolveTimerConfig(overrides), (e: unknown) => e instanceof TransactionError && e.code === 'TRANSACTION_INVALID_OPTION' && name.test(e.message));
  refused({ T1: 0 }, /timers\.T1/);
  refused({ T2: -1 }, /timers\.T2/);
  refused({ T4: Number.NaN }, /timers\.T4/);
  refused({ T1: 5000 }, /timers\.T2 .* at least timers\.T1/);
  assert.throws(() => new TransactionLayer({ transport: new MemoryTransport(), tu: { onRequest: () => undefined }, timers: { T1: -5 } }), TransactionError);
});
