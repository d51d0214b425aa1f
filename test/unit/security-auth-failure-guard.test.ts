// Authentication failure bans and account protection, driven by a fake clock.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { AuthFailureGuard, SecurityError, type AuthFailureGuardOptions } from '../../ipbx/security/index.ts';

function setup(options: AuthFailureGuardOptions = {}) {
  const clock = new FakeClock();
  const lines: string[] = [];
  const guard = new AuthFailureGuard({ clock, log: (line) => lines.push(line), ...options });
  const fail = (address: string, extension: string, times = 1) => {
    for (let i = 0; i < times; i++) guard.recordFailure(address, extension);
  };
  return { clock, lines, guard, fail };
}

const ATTACKER = '192.0.2.7';
const ALICE_HOME = '198.51.100.10';

describe('AuthFailureGuard: source bans', () => {
  it('bans a source after exactly maxFailures (default 10), with one log line', () => {
    const { guard, fail, lines, clock } = setup();
    fail(ATTACKER, '1000', 9);
    assert.equal(guard.isBanned(ATTACKER), false);
    assert.deepEqual(lines, []);
    fail(ATTACKER, '1001');
    assert.equal(guard.isBanned(ATTACKER), true);
    assert.equal(guard.mayTryAccount(ATTACKER, '1001'), false);
    assert.deepEqual(lines, ['ban 192.0.2.7 for 900s after 10 failed authentications (last: account 1001)']);
    assert.deepEqual(guard.bans(), [{ address: ATTACKER, since: clock.now(), until: clock.now() + 900_000, failures: 10, lastAccount: '1001' }]);
  });
  it('failures while banned are ignored (no second log line, no longer ban)', () => {
    const { guard, fail, lines, clock } = setup({ maxFailures: 3 });
    fail(ATTACKER, '1001', 3);
    const until = guard.bans()[0]?.until;
    clock.advance(1000);
    fail(ATTACKER, '1001', 20);
    assert.equal(lines.filter((l) => l.startsWith('ban ')).length, 1);
    assert.equal(guard.bans()[0]?.until, until);
  });
  it('the ban ends after banSeconds', () => {
    const { guard, fail, clock } = setup({ maxFailures: 3, banSeconds: 60 });
    fail(ATTACKER, '1001', 3);
    clock.advance(59_999);
    assert.equal(guard.isBanned(ATTACKER), true);
    clock.advance(1);
    assert.equal(guard.isBanned(ATTACKER), false);
    assert.deepEqual(guard.bans(), []);
    fail(ATTACKER, '1001', 2);
    assert.equal(guard.isBanned(ATTACKER), false, 'the count starts again after a ban');
  });
  it('the window slides: failures older than windowSeconds no longer count', () => {
    const { guard, fail, clock } = setup({ maxFailures: 3, windowSeconds: 300 });
    fail(ATTACKER, '1001');          // t = 0
    clock.advance(100_000);
    fail(ATTACKER, '1001');          // t = 100 s
    clock.advance(200_000);          // t = 300 s: the first failure slides out
    fail(ATTACKER, '1001');
    assert.equal(guard.isBanned(ATTACKER), false);
    clock.advance(1000);
    fail(ATTACKER, '1001');          // 100 s, 300 s, 301 s: three within 300 s
    assert.equal(guard.isBanned(ATTACKER), true);
  });
  it('a success resets that source\'s failures for that account only', () => {
    const { guard, fail } = setup({ maxFailures: 10 });
    fail(ALICE_HOME, '1001', 5);
    fail(ALICE_HOME, '1002', 4);
    guard.recordSuccess(ALICE_HOME, '1001');
    fail(ALICE_HOME, '1001', 5);     // 4 on 1002 + 5 on 1001
    assert.equal(guard.isBanned(ALICE_HOME), false);
    fail(ALICE_HOME, '1001');
    assert.equal(guard.isBanned(ALICE_HOME), true);
  });
  it('unban lifts a ban early', () => {
    const { guard, fail } = setup({ maxFailures: 2 });
    fail(ATTACKER, '1001', 2);
    assert.equal(guard.unban(ATTACKER), true);
    assert.equal(guard.isBanned(ATTACKER), false);
    assert.equal(guard.unban(ATTACKER), false);
  });
});

describe('AuthFailureGuard: account protection', () => {
  const attackers = (n: number) => Array.from({ length: n }, (_, i) => `203.0.113.${i + 1}`);

  it('after maxFailures on an account from several sources, only recently successful sources may try', () => {
    const { guard, fail, lines } = setup({ maxFailures: 10 });
    guard.recordSuccess(ALICE_HOME, '1001');
    for (const a of attackers(5)) fail(a, '1001', 2);
    assert.deepEqual(lines, ['protect account 1001 for 900s after 10 failed authentications from 5 sources']);
    assert.equal(attackers(5).some((a) => guard.isBanned(a)), false, 'no single source reached the ban');
    assert.equal(guard.mayTryAccount(ALICE_HOME, '1001'), true, 'the real user at her usual address keeps working');
    assert.equal(guard.mayTryAccount('203.0.113.1', '1001'), false);
    assert.equal(guard.mayTryAccount('203.0.113.99', '1001'), false, 'a new address is refused too');
    assert.equal(guard.mayTryAccount('203.0.113.1', '1002'), true, 'other accounts are not affected');
    assert.deepEqual(guard.protectedAccounts().map((p) => [p.extension, p.sources]), [['1001', 5]]);
  });
  it('refused attempts count as failures, so the guessing sources end up banned', () => {
    const { guard, fail } = setup({ maxFailures: 4 });
    for (const a of attackers(4)) fail(a, '1001');
    for (let i = 0; i < 3; i++) {
      assert.equal(guard.mayTryAccount('203.0.113.1', '1001'), false);
      fail('203.0.113.1', '1001');   // what the authenticator does on a refusal
    }
    assert.equal(guard.isBanned('203.0.113.1'), true);
  });
  it('protection lasts banSeconds after the last failure that kept the count at maxFailures', () => {
    const { guard, fail, clock, lines } = setup({ maxFailures: 4, banSeconds: 60, windowSeconds: 300 });
    for (const a of attackers(4)) fail(a, '1001');
    clock.advance(30_000);
    fail('203.0.113.50', '1001');    // still 5 in the window: renewed to now + 60 s
    clock.advance(59_999);
    assert.equal(guard.mayTryAccount('203.0.113.99', '1001'), false);
    clock.advance(1);
    assert.equal(guard.mayTryAccount('203.0.113.99', '1001'), true);
    assert.equal(lines.filter((l) => l.startsWith('protect')).length, 1, 'a renewal is not logged again');
  });
  it('trust fades after trustSeconds without a success', () => {
    const { guard, fail, clock } = setup({ maxFailures: 4, trustSeconds: 3600, banSeconds: 7200 });
    guard.recordSuccess(ALICE_HOME, '1001');
    clock.advance(3_599_000);
    for (const a of attackers(4)) fail(a, '1001');
    assert.equal(guard.mayTryAccount(ALICE_HOME, '1001'), true);
    clock.advance(1000);
    assert.equal(guard.mayTryAccount(ALICE_HOME, '1001'), false);
  });
  it('a success forgets the source\'s failures on the account (typos do not protect it)', () => {
    const { guard, fail } = setup({ maxFailures: 4 });
    fail(ALICE_HOME, '1001', 3);
    guard.recordSuccess(ALICE_HOME, '1001');
    fail('203.0.113.1', '1001', 3);
    assert.deepEqual(guard.protectedAccounts(), []);
  });
});

describe('AuthFailureGuard: no user enumeration', () => {
  it('an unknown account gets exactly the same decisions and log lines as a known one', () => {
    const run = (extension: string) => {
      const { guard, fail, lines } = setup({ maxFailures: 4 });
      const seen: boolean[] = [];
      for (const a of ['203.0.113.1', '203.0.113.2', '203.0.113.1', '203.0.113.3', '203.0.113.1', '203.0.113.1']) {
        seen.push(guard.mayTryAccount(a, extension), guard.isBanned(a));
        fail(a, extension);
      }
      return { seen, lines: lines.map((l) => l.replaceAll(extension, 'NAME')) };
    };
    assert.deepEqual(run('ghost'), run('1001'));
  });
});

describe('AuthFailureGuard: bounded memory', () => {
  it('keeps at most maxSources failure counters and bans, and maxAccounts per-account entries', () => {
    const { guard, fail } = setup({ maxFailures: 3, maxSources: 50, maxAccounts: 20, maxTrusted: 10 });
    for (let i = 0; i < 2000; i++) {
      const address = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
      fail(address, `user${i}`, i % 2 === 0 ? 3 : 1);
      guard.recordSuccess(address, `other${i}`);
    }
    const stats = guard.stats();
    assert.ok(stats.sourceFailures <= 50, `sourceFailures ${stats.sourceFailures}`);
    assert.ok(stats.bans <= 50, `bans ${stats.bans}`);
    assert.ok(stats.accountFailures <= 20, `accountFailures ${stats.accountFailures}`);
    assert.ok(stats.protections <= 20, `protections ${stats.protections}`);
    assert.equal(stats.trusted, 10);
    assert.equal(guard.isBanned('10.0.7.206'), true, 'the newest bans are kept');
  });
  it('very long account names are cut and logged without control characters', () => {
    const { guard, fail, lines } = setup({ maxFailures: 2 });
    const name = `evil\r\nban 10.0.0.1${'x'.repeat(10_000)}`;
    fail(ATTACKER, name, 2);
    assert.equal(lines.length, 1, 'one ban line; one source alone does not protect the account');
    for (const line of lines) assert.ok(!/[\r\n]/.test(line) && line.length < 200, line);
    assert.equal(guard.bans()[0]?.lastAccount.length, 64);
  });
});

describe('AuthFailureGuard: one guessing source', () => {
  it('bans the source but does not protect the account, so its real user on a new device still logs in', () => {
    const { guard, fail } = setup({ maxFailures: 3 });
    fail(ATTACKER, '1001', 3);
    assert.equal(guard.isBanned(ATTACKER), true);
    assert.deepEqual(guard.protectedAccounts(), []);
    assert.equal(guard.mayTryAccount('198.51.100.200', '1001'), true);
  });
});

describe('AuthFailureGuard: options', () => {
  it('refuses bad options with IPBX_SECURITY_BAD_OPTION naming the option', () => {
    const bad: Array<[AuthFailureGuardOptions, RegExp]> = [
      [{ maxFailures: 0 }, /security\.ban\.maxFailures/],
      [{ maxFailures: 2.5 }, /security\.ban\.maxFailures/],
      [{ windowSeconds: -1 }, /security\.ban\.windowSeconds/],
      [{ banSeconds: 0 }, /security\.ban\.banSeconds/],
      [{ trustSeconds: 0 }, /trustSeconds/],
      [{ maxSources: 0 }, /maxSources/],
    ];
    for (const [options, name] of bad) {
      assert.throws(() => new AuthFailureGuard(options), (err: unknown) => {
        assert.ok(err instanceof SecurityError);
        assert.equal(err.code, 'IPBX_SECURITY_BAD_OPTION');
        assert.match(err.message, name);
        return true;
      });
    }
  });
});
