// What the dialplan's actions do to a call, over real sockets: ring groups (simultaneous, in
// turn with a per-member timeout, fallback number routed again), reject, redirect (RFC 3261
// §21.3.3), actions that need the media plane (501), and a rule open to unauthenticated callers.
// Group timers run on the B2BUA's FakeClock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { B2buaHarness, group, rule } from '../helpers/b2bua-harness.ts';
import { eventually } from '../helpers/sip-phone.ts';

const ACCOUNTS = [
  { extension: '1001', displayName: 'Alice' },
  { extension: '1002', displayName: 'Bob' },
  { extension: '1003', displayName: 'Carol' },
  { extension: '1004', displayName: 'Dave' },
];
const ACCOUNT_RULES = ACCOUNTS.map((a) => rule(a.extension, { type: 'account' }));

test('simultaneous group: every member rings at once, the first to answer takes the call', async (t) => {
  const ipbx = await B2buaHarness.start({
    accounts: ACCOUNTS,
    rules: [...ACCOUNT_RULES, rule('2000', { type: 'group', group: 'sales' })],
    groups: [group('sales', ['1002', '1003', '1004'], { strategy: 'simultaneous' })],
  });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002', incoming: { kind: 'ring' } });
  const carol = await ipbx.phone({ user: '1003', incoming: { kind: 'ring' } });
  // Dave is not registered: the group rings who it can.

  const call = alice.call('2000');
  const [bobCall, carolCall] = [await bob.nextCall(), await carol.nextCall()];
  assert.equal(bobCall.request.to.uri.toString(), `sip:2000@${ipbx.domain}`, 'To is the dialled number');
  assert.equal(bobCall.request.from.displayName, 'Alice');
  carolCall.answer();
  const session = await call.established();
  await eventually(() => bobCall.cancelled, 'the CANCEL at the member that did not answer');
  await session.bye();
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.callee, '2000');
  assert.equal(ipbx.cdrs[0]?.cause, 'answered');
});

test('in-turn group: one member at a time for memberTimeout each, then the fallback number routed again', async (t) => {
  const clock = new FakeClock();
  const ipbx = await B2buaHarness.start({
    accounts: ACCOUNTS,
    clock,
    rules: [...ACCOUNT_RULES, rule('2100', { type: 'group', group: 'support' })],
    groups: [group('support', ['1002', '1003'], { strategy: 'in-turn', memberTimeout: 10, fallback: '1004' })],
  });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002', incoming: { kind: 'ring' } });
  const carol = await ipbx.phone({ user: '1003', incoming: { kind: 'ring' } });
  const dave = await ipbx.phone({ user: '1004', incoming: { kind: 'ring' } });

  const call = alice.call('2100');
  const bobCall = await bob.nextCall();
  await call.ringing();
  assert.equal(carol.calls.length, 0, 'the second member waits its turn');

  clock.advance(10_000);
  const carolCall = await carol.nextCall();
  await eventually(() => bobCall.cancelled, 'the first member cancelled when its turn ended');
  assert.equal(dave.calls.length, 0);

  clock.advance(10_000);
  const daveCall = await dave.nextCall();
  await eventually(() => carolCall.cancelled, 'the second member cancelled');
  // To stays what the caller dialled (the logical recipient, RFC 3261 §8.1.1.2), the fallback included.
  assert.equal(daveCall.request.to.uri.toString(), `sip:2100@${ipbx.domain}`);
  daveCall.answer();
  const session = await call.established();
  assert.deepEqual(ipbx.callEvents.map((e) => e.state), ['routing', 'ringing', 'routing', 'ringing', 'answered'], 'back to routing for the fallback');
  await session.bye();
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'answered');
  assert.equal(clock.pendingTimers, 0);
});

test('in-turn group: a busy member passes the turn at once; nobody answers and no fallback → 486 wins over no answer', async (t) => {
  const clock = new FakeClock();
  const ipbx = await B2buaHarness.start({
    accounts: ACCOUNTS,
    clock,
    rules: [...ACCOUNT_RULES, rule('2200', { type: 'group', group: 'desk' })],
    groups: [group('desk', ['1002', '1003'], { strategy: 'in-turn', memberTimeout: 5 })],
  });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  await ipbx.phone({ user: '1002', incoming: { kind: 'reject', status: 486 } });
  const carol = await ipbx.phone({ user: '1003', incoming: { kind: 'ring' } });

  const call = alice.call('2200');
  await carol.nextCall();
  clock.advance(5_000);
  assert.equal((await call.result()).status, 486);
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'busy');
});

test('reject rule: its code and reason; redirect rule: 302 with the target in Contact', async (t) => {
  const ipbx = await B2buaHarness.start({
    accounts: ACCOUNTS,
    rules: [
      ...ACCOUNT_RULES,
      rule('666', { type: 'reject', code: 403, reason: 'Barred Number' }),
      rule('1010', { type: 'redirect', target: '1002' }),
      rule('1011', { type: 'redirect', target: 'sip:helpdesk@example.org' }),
    ],
  });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });

  const barred = await alice.call('666').result();
  assert.equal(barred.status, 403);
  assert.equal(barred.reason, 'Barred Number');
  const moved = await alice.call('1010').result();
  assert.equal(moved.status, 302);
  assert.equal(moved.contacts[0]?.uri.toString(), `sip:1002@${ipbx.domain}`);
  const external = await alice.call('1011').result();
  assert.equal(external.contacts[0]?.uri.toString(), 'sip:helpdesk@example.org');
  await ipbx.cdrsAtLeast(3);
  assert.deepEqual(ipbx.cdrs.map((c) => [c.cause, c.status]), [['rejected', 403], ['rejected', 302], ['rejected', 302]]);
});

test('in passthrough media mode, queue and announcement rules answer 501 naming media mode rtpengine', async (t) => {
  const ipbx = await B2buaHarness.start({
    accounts: ACCOUNTS,
    rules: [...ACCOUNT_RULES, rule('3000', { type: 'queue', queue: 'support' }), rule('3001', { type: 'announcement', prompt: 'closed' })],
  });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });

  const queue = await alice.call('3000').result();
  assert.equal(queue.status, 501);
  assert.match(queue.reason, /media mode rtpengine/i);
  const announcement = await alice.call('3001').result();
  assert.equal(announcement.status, 501);
  await ipbx.cdrsAtLeast(2);
  assert.deepEqual(ipbx.cdrs.map((c) => c.cause), ['failed', 'failed']);
});

test('a rule with allowUnauthenticated lets an unknown caller in, presented as its own From (not as an account)', async (t) => {
  const ipbx = await B2buaHarness.start({
    accounts: ACCOUNTS,
    rules: [rule('112', { type: 'account', extension: '1002' }, true), rule('1002', { type: 'account' })],
  });
  t.after(() => ipbx.close());
  const stranger = await ipbx.phone({ user: 'trunk', displayName: 'Street Phone', register: false });
  const bob = await ipbx.phone({ user: '1002' });

  const session = await stranger.call('112').established();
  const incoming = await bob.nextCall();
  assert.equal(incoming.request.from.displayName, 'Street Phone');
  assert.equal(incoming.request.from.uri.toString(), `sip:trunk@${ipbx.domain}`);
  await session.bye();
  // Other numbers still need authentication.
  assert.equal((await stranger.call('1002').result()).status, 403);
});
