// Attended transfer through the B2BUA over real sockets (RFC 5589 §7): Bob has Alice on hold
// (call 1) and talks to Carol (call 2), then REFERs call 1 with a Refer-To whose escaped Replaces
// (RFC 3891) names his leg of call 2. The IPBX connects Alice and Carol itself — Carol asked for
// her media with a re-INVITE without offer, Alice re-INVITEd with it, Carol given Alice's answer
// in the ACK — ends Bob's two legs and reports NOTIFY 200. A Replaces naming no known dialog, or
// another party's, fails in the NOTIFY and leaves both calls as they were. An INVITE with Replaces
// sent to the IPBX moves a call to another device of the same account.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { B2buaHarness } from '../helpers/b2bua-harness.ts';
import { escapeUriHeader, eventually, phoneSdp, type PhoneSession, type SipPhone } from '../helpers/sip-phone.ts';

const ACCOUNTS = [
  { extension: '1001', displayName: 'Alice' },
  { extension: '1002', displayName: 'Bob' },
  { extension: '1003', displayName: 'Carol' },
];

type Teardown = { after: (fn: () => Promise<void>) => void };

/** `from` calls `to`, which answers; resolves once the callee has the ACK. */
async function answered(from: SipPhone, to: SipPhone): Promise<{ caller: PhoneSession; callee: PhoneSession }> {
  const index = to.calls.length;
  const caller = await from.call(to.user).established();
  const incoming = await to.nextCall(index);
  await eventually(() => incoming.session?.receivedOf('ACK').length === 1, `the ACK at ${to.user}`);
  const callee = incoming.session;
  assert.ok(callee !== undefined);
  return { caller, callee };
}

/** Call 1: Alice → Bob, held by Bob; call 2: Bob → Carol. */
async function consulting(t: Teardown) {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001', displayName: 'Alice' });
  const bob = await ipbx.phone({ user: '1002', displayName: 'Bob' });
  const carol = await ipbx.phone({ user: '1003', displayName: 'Carol' });
  const call1 = await answered(alice, bob);
  assert.equal((await call1.callee.reinvite('sendonly')).status, 200);
  const call2 = await answered(bob, carol);
  await eventually(() => ipbx.b2bua.list().length === 2 && ipbx.b2bua.list().every((c) => c.state !== 'ringing'), 'both calls up');
  return { ipbx, alice, bob, carol, a: call1.caller, b1: call1.callee, b2: call2.caller, c: call2.callee };
}

test('attended transfer: REFER with Replaces connects the transferee and the target, ends the transferor\'s two legs, NOTIFY 200 (RFC 5589 §7, RFC 3891)', async (t) => {
  const { ipbx, alice, bob, carol, a, b1, b2, c } = await consulting(t);
  bob.byeAfterTransfer = true;

  const refer = await b1.attendedTransfer('1003', b2);
  assert.equal(refer.status, 202);

  // Carol is asked for her media (no offer), in her own dialog of call 2.
  await eventually(() => c.receivedOf('INVITE').length === 1, 'the re-INVITE of the target');
  const asked = c.receivedOf('INVITE')[0];
  assert.equal(asked?.body.length, 0);
  assert.equal(asked.callId, c.dialog.id.callId);
  // Alice gets Carol's media (after Bob's hold), Carol Alice's answer in the ACK.
  await eventually(() => a.receivedOf('INVITE').length === 2, 'the re-INVITE of the transferee');
  assert.equal(a.receivedOf('INVITE')[1]?.body.toString(), phoneSdp('1003', carol.rtpPort));
  await eventually(() => c.receivedOf('ACK').length === 2, 'the ACK at the target');
  assert.equal(c.remoteSdp, phoneSdp('1001', alice.rtpPort));

  // Bob: NOTIFY 100 then 200 on call 1; a BYE from the IPBX on call 2; he hangs up call 1 himself.
  const notifies = await b1.referNotified(2);
  assert.deepEqual(notifies.map((n) => n.statusLine), ['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
  assert.equal(notifies[1]?.subscriptionState, 'terminated;reason=noresource');
  await eventually(() => b2.ended && b2.receivedOf('BYE').length === 1, 'the BYE on the transferor\'s leg of call 2');
  await eventually(() => b1.ended, 'the transferor\'s BYE of call 1');
  assert.equal(c.receivedOf('BYE').length, 0, 'the target stays');
  assert.equal(a.receivedOf('BYE').length, 0, 'the transferee stays');

  // One call left: Alice with Carol; Carol's BYE reaches Alice.
  const active = ipbx.b2bua.list();
  assert.equal(active.length, 1);
  assert.equal(active[0]?.caller, '1001');
  assert.equal(active[0]?.callee, '1003');
  assert.equal(active[0]?.state, 'answered');
  assert.equal((await c.bye()).status, 200);
  await eventually(() => a.ended, 'the BYE at the transferee');

  await ipbx.cdrsAtLeast(2);
  const [consultation, transferred] = ipbx.cdrs;
  assert.equal(consultation?.caller, '1002');
  assert.equal(consultation.callee, '1003');
  assert.equal(consultation.cause, 'transferred');
  assert.equal(transferred?.caller, '1001');
  assert.equal(transferred.callee, '1003', 'the CDR names who the caller ended connected to');
  assert.equal(transferred.cause, 'answered');
  const call1 = ipbx.callEvents.filter((e) => e.caller === '1001' || e.callee === '1001').map((e) => e.state);
  assert.deepEqual(call1, ['routing', 'ringing', 'answered', 'held', 'transferred', 'answered', 'ended']);
  assert.equal(bob.calls.length, 1, 'the transferor got no new call');
  assert.deepEqual(ipbx.errors, []);
});

test('attended transfer with a Replaces naming an unknown dialog, or another party\'s: failure NOTIFY, both calls untouched (RFC 3891 §3)', async (t) => {
  const { ipbx, a, b1, b2, c } = await consulting(t);

  const unknown = await b1.refer(`<sip:1003@${ipbx.domain}?Replaces=${escapeUriHeader('no-such-call;to-tag=x1;from-tag=y2')}>`);
  assert.equal(unknown.status, 202);
  const first = await b1.referNotified(2);
  assert.deepEqual(first.map((n) => n.statusLine), ['SIP/2.0 100 Trying', 'SIP/2.0 481 Call/Transaction Does Not Exist']);
  assert.equal(first[1]?.subscriptionState, 'terminated;reason=noresource');

  // Carol's own leg of call 2 is not Bob's to hand over.
  assert.equal((await b1.refer(`<sip:1003@${ipbx.domain}?Replaces=${escapeUriHeader(c.replaces())}>`)).status, 202);
  const second = await b1.referNotified(4);
  assert.deepEqual(second.slice(2).map((n) => n.statusLine), ['SIP/2.0 100 Trying', 'SIP/2.0 403 Forbidden']);

  // Nothing moved: two calls, nobody re-INVITEd by the IPBX, every leg up.
  assert.equal(ipbx.b2bua.list().length, 2);
  assert.equal(a.receivedOf('INVITE').length, 1, 'only Bob\'s hold');
  assert.equal(c.receivedOf('INVITE').length, 0);
  assert.ok(!a.ended && !b1.ended && !b2.ended && !c.ended);
  assert.ok(!ipbx.callEvents.some((e) => e.state === 'transferred'));
  // The calls go on: Bob resumes Alice, then each call ends on its own.
  assert.equal((await b1.reinvite('sendrecv')).status, 200);
  assert.equal((await b2.bye()).status, 200);
  await eventually(() => c.ended, 'the BYE at Carol');
  assert.equal((await a.bye()).status, 200);
  await eventually(() => b1.ended, 'the BYE at Bob');
  await ipbx.cdrsAtLeast(2);
  assert.ok(ipbx.cdrs.every((cdr) => cdr.cause === 'answered'));
  assert.deepEqual(ipbx.errors, []);
});

test('INVITE with Replaces from another device of the same account takes the replaced leg\'s place; the old device gets a BYE (RFC 3891 §3)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001', displayName: 'Alice' });
  const bob = await ipbx.phone({ user: '1002', displayName: 'Bob' });
  const bobSoftphone = await ipbx.phone({ user: '1002', displayName: 'Bob', register: false });
  const { caller: a, callee: b } = await answered(alice, bob);

  const moved = bobSoftphone.call('1002', { headers: [['Replaces', b.replaces()]] });
  const session = await moved.established();
  // Alice now sends her media to the softphone, and the softphone got Alice's answer.
  await eventually(() => a.receivedOf('INVITE').length === 1, 'the re-INVITE of Alice');
  assert.equal(a.receivedOf('INVITE')[0]?.body.toString(), phoneSdp('1002', bobSoftphone.rtpPort));
  assert.equal(session.remoteSdp, phoneSdp('1001', alice.rtpPort));
  await eventually(() => b.ended, 'the BYE at the replaced device');
  assert.equal(b.receivedOf('BYE').length, 1);

  const active = ipbx.b2bua.list();
  assert.equal(active.length, 1);
  assert.equal(active[0]?.callee, '1002');
  assert.equal(active[0]?.state, 'answered');
  assert.equal((await a.bye()).status, 200);
  await eventually(() => session.ended, 'Alice\'s BYE at the softphone');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs.length, 1);
  assert.deepEqual(ipbx.callEvents.map((e) => e.state), ['routing', 'ringing', 'answered', 'transferred', 'answered', 'ended']);
  assert.deepEqual(ipbx.errors, []);
});

test('INVITE with Replaces: unknown dialog 481, another account\'s 403, two Replaces 400, and the call is untouched (RFC 3891 §3)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002' });
  const carol = await ipbx.phone({ user: '1003' });
  const { caller: a, callee: b } = await answered(alice, bob);

  const unknown = await carol.call('1002', { headers: [['Replaces', 'no-such-call;to-tag=a;from-tag=b']] }).result();
  assert.equal(unknown.status, 481);
  const notHers = await carol.call('1002', { headers: [['Replaces', b.replaces()]] }).result();
  assert.equal(notHers.status, 403);
  const twice = await carol.call('1002', { headers: [['Replaces', b.replaces()], ['Replaces', b.replaces()]] }).result();
  assert.equal(twice.status, 400);

  assert.equal(a.receivedOf('INVITE').length, 0);
  assert.ok(!a.ended && !b.ended);
  assert.equal(ipbx.b2bua.list().length, 1);
  assert.equal((await b.bye()).status, 200);
  await eventually(() => a.ended, 'the BYE at Alice');
  assert.deepEqual(ipbx.errors, []);
});
