// Blind transfer through the B2BUA over real sockets (RFC 3515, RFC 5589 §6): the IPBX is the
// REFER's recipient and carries it out — 202, NOTIFY 100 Trying, the target rung with the
// transferee's identity and a Referred-By (RFC 3892), the transferee re-INVITEd with the target's
// SDP, NOTIFY 200 and the transferor's leg ended. Failures reach the transferor as the NOTIFY's
// status while the call stays with it; REFERs that cannot be carried out are refused (481, 400).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { B2buaHarness } from '../helpers/b2bua-harness.ts';
import { eventually, phoneSdp, type PhoneSession, type SipPhone } from '../helpers/sip-phone.ts';
import { within } from '../helpers/stack-pair.ts';

const ACCOUNTS = [
  { extension: '1001', displayName: 'Alice' },
  { extension: '1002', displayName: 'Bob' },
  { extension: '1003', displayName: 'Carol' },
  { extension: '1004', displayName: 'Dave' },
];

type Teardown = { after: (fn: () => Promise<void>) => void };

interface Answered {
  /** The caller's session and the callee's. */
  caller: PhoneSession;
  callee: PhoneSession;
}

/** `from` calls `to`, which answers; resolves once the callee has the ACK. */
async function answered(from: SipPhone, to: SipPhone): Promise<Answered> {
  const index = to.calls.length;
  const caller = await from.call(to.user).established();
  const incoming = await to.nextCall(index);
  await eventually(() => incoming.session?.receivedOf('ACK').length === 1, `the ACK at ${to.user}`);
  const callee = incoming.session;
  assert.ok(callee !== undefined);
  return { caller, callee };
}

async function threePhones(t: Teardown, protocol: 'udp' | 'tcp' = 'udp') {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001', displayName: 'Alice', protocol });
  const bob = await ipbx.phone({ user: '1002', displayName: 'Bob', protocol });
  const carol = await ipbx.phone({ user: '1003', displayName: 'Carol', protocol });
  return { ipbx, alice, bob, carol };
}

for (const protocol of ['udp', 'tcp'] as const) {
  test(`blind transfer over ${protocol.toUpperCase()}: 202, NOTIFY 100 then 200, the target rung as the transferee, the transferee re-INVITEd with the target's SDP (RFC 3515, RFC 5589 §6)`, async (t) => {
    const { ipbx, alice, bob, carol } = await threePhones(t, protocol);
    bob.byeAfterTransfer = true;
    const { caller: a, callee: b } = await answered(alice, bob);
    // Bob holds Alice, as phones do before a transfer.
    assert.equal((await b.reinvite('sendonly')).status, 200);
    await eventually(() => ipbx.b2bua.list()[0]?.state === 'held', 'the call held');

    const refer = await b.blindTransfer('1003');
    assert.equal(refer.status, 202);
    assert.ok(refer.contacts.length === 1, 'the 202 names the IPBX as Contact (REFER refreshes the target)');

    // The target sees who it will talk to (the transferee), and who sent her (RFC 3892).
    const toCarol = await carol.nextCall();
    const invite = toCarol.request;
    assert.equal(invite.from.displayName, 'Alice');
    assert.equal(invite.from.uri.toString(), `sip:1001@${ipbx.domain}`);
    assert.equal(invite.to.uri.toString(), `sip:1003@${ipbx.domain}`);
    assert.match(invite.headers.get('Referred-By') ?? '', /<sip:1002@voiplab\.test>/);
    assert.equal(invite.body.length, 0, 'no offer: the target\'s 2xx offers its media (RFC 3261 §13.2.1)');

    // The transferee gets the target's media in a re-INVITE (after Bob's hold), the target the transferee's answer in its ACK.
    await eventually(() => a.receivedOf('INVITE').length === 2, 'the re-INVITE of the transferee');
    const reinvite = a.receivedOf('INVITE')[1];
    assert.equal(reinvite?.body.toString(), phoneSdp('1003', carol.rtpPort));
    await eventually(() => a.receivedOf('ACK').length === 2, 'the ACK of that re-INVITE');
    const c = toCarol.session;
    assert.ok(c !== undefined);
    await eventually(() => c.receivedOf('ACK').length === 1, 'the ACK at the target');
    assert.equal(c.remoteSdp, phoneSdp('1001', alice.rtpPort), 'the transferee\'s answer reached the target in the ACK');

    // The transferor is told, then hangs up by itself.
    const notifies = await b.referNotified(2);
    assert.deepEqual(notifies.map((n) => n.statusLine), ['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    assert.match(notifies[0]?.event ?? '', /^refer;id=\d+$/);
    assert.match(notifies[0]?.subscriptionState ?? '', /^active;expires=\d+$/);
    assert.equal(notifies[1]?.subscriptionState, 'terminated;reason=noresource');
    assert.equal(notifies[1]?.request.headers.get('Content-Type'), 'message/sipfrag;version=2.0');
    await eventually(() => b.ended, 'the transferor\'s BYE');
    assert.equal(b.receivedOf('BYE').length, 0, 'the IPBX let the transferor hang up');

    // Alice and Carol are connected: one call, 1001 with 1003, and Alice's BYE reaches Carol.
    const active = ipbx.b2bua.list();
    assert.equal(active.length, 1);
    assert.equal(active[0]?.caller, '1001');
    assert.equal(active[0]?.callee, '1003');
    assert.equal(active[0]?.state, 'answered');
    assert.equal((await a.request('INFO', 'Signal=7\r\nDuration=160\r\n', 'application/dtmf-relay')).status, 200);
    assert.match(c.receivedOf('INFO')[0]?.body.toString() ?? '', /^Signal=7/, 'in-dialog requests reach the target now');
    assert.equal((await a.bye()).status, 200);
    await eventually(() => c.ended, 'the BYE at the target');

    await ipbx.cdrsAtLeast(1);
    assert.equal(ipbx.cdrs.length, 1, 'one CDR for the transferred call');
    assert.equal(ipbx.cdrs[0]?.caller, '1001');
    assert.equal(ipbx.cdrs[0]?.callee, '1003', 'the CDR names who the caller ended connected to');
    assert.equal(ipbx.cdrs[0]?.cause, 'answered');
    assert.deepEqual(ipbx.callEvents.map((e) => e.state), ['routing', 'ringing', 'answered', 'held', 'transferred', 'answered', 'ended']);
    assert.equal(ipbx.callEvents.find((e) => e.state === 'transferred')?.callee, '1003');
    assert.deepEqual(ipbx.errors, []);
  });
}

test('blind transfer by the caller: the callee is the transferee, the target sees the callee\'s identity and takes the caller\'s side', async (t) => {
  const { ipbx, alice, bob, carol } = await threePhones(t);
  alice.byeAfterTransfer = true;
  const { caller: a, callee: b } = await answered(alice, bob);
  assert.equal((await a.blindTransfer('1003')).status, 202);
  const toCarol = await carol.nextCall();
  assert.equal(toCarol.request.from.displayName, 'Bob');
  assert.equal(toCarol.request.from.uri.toString(), `sip:1002@${ipbx.domain}`);
  assert.match(toCarol.request.headers.get('Referred-By') ?? '', /<sip:1001@voiplab\.test>/);
  await eventually(() => b.receivedOf('INVITE').length === 1, 'the re-INVITE of the transferee');
  assert.equal(b.receivedOf('INVITE')[0]?.body.toString(), phoneSdp('1003', carol.rtpPort));
  await eventually(() => a.ended, 'the transferor\'s BYE');
  const active = ipbx.b2bua.list();
  assert.equal(active[0]?.caller, '1003');
  assert.equal(active[0]?.callerName, 'Carol');
  assert.equal(active[0]?.callee, '1002');
  const c = toCarol.session;
  assert.ok(c !== undefined);
  assert.equal((await c.bye()).status, 200);
  await eventually(() => b.ended, 'the target\'s BYE at the transferee');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.caller, '1003');
  assert.equal(ipbx.cdrs[0]?.callee, '1002');
  assert.deepEqual(ipbx.errors, []);
});

test('blind transfer: a transferor that stays is hung up by the IPBX; Refer-Sub: false gets no NOTIFY (RFC 4488 §4)', async (t) => {
  const { ipbx, alice, bob, carol } = await threePhones(t);
  const { caller: a, callee: b } = await answered(alice, bob);
  const refer = await b.blindTransfer('1003', [['Refer-Sub', 'false']]);
  assert.equal(refer.status, 202);
  assert.equal(refer.headers.get('Refer-Sub'), 'false');
  const toCarol = await carol.nextCall();
  await eventually(() => toCarol.session?.receivedOf('ACK').length === 1, 'the ACK at the target');
  // The IPBX's BYE comes a moment after the transfer (the delay a phone has to hang up by itself).
  await eventually(() => b.receivedOf('BYE').length === 1 && b.ended, 'the IPBX\'s BYE at the transferor');
  assert.equal(b.receivedOf('NOTIFY').length, 0);
  assert.equal(ipbx.b2bua.list()[0]?.callee, '1003');
  assert.equal((await a.bye()).status, 200);
  await eventually(() => toCarol.session?.ended === true, 'the BYE at the target');
  assert.deepEqual(ipbx.errors, []);
});

test('blind transfer to a busy target: NOTIFY 486, and the transferee stays with the transferor (RFC 5589 §6)', async (t) => {
  const { ipbx, alice, bob, carol } = await threePhones(t);
  carol.incomingBehaviour = { kind: 'reject', status: 486 };
  const { caller: a, callee: b } = await answered(alice, bob);
  assert.equal((await b.reinvite('sendonly')).status, 200);

  assert.equal((await b.blindTransfer('1003')).status, 202);
  const notifies = await b.referNotified(2);
  assert.deepEqual(notifies.map((n) => n.statusLine), ['SIP/2.0 100 Trying', 'SIP/2.0 486 Busy Here']);
  assert.equal(notifies[1]?.subscriptionState, 'terminated;reason=noresource');
  assert.equal(carol.calls.length, 1, 'the target was rung');

  // Alice and Bob are still connected: Bob takes the call back, Alice gets the resume.
  assert.equal(a.receivedOf('INVITE').length, 1, 'no re-INVITE of the transferee but the hold');
  assert.equal((await b.reinvite('sendrecv')).status, 200);
  assert.equal(a.receivedOf('INVITE').length, 2);
  const active = ipbx.b2bua.list();
  assert.equal(active.length, 1);
  assert.equal(active[0]?.callee, '1002');
  assert.equal(active[0]?.state, 'answered');
  assert.equal((await b.bye()).status, 200);
  await eventually(() => a.ended, 'the BYE at the transferee');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.callee, '1002');
  assert.ok(!ipbx.callEvents.some((e) => e.state === 'transferred'));
  assert.deepEqual(ipbx.errors, []);
});

test('blind transfer: the transferor hangs up while the target rings; the target refuses, so the call ends (RFC 5589 §6)', async (t) => {
  const { ipbx, alice, bob, carol } = await threePhones(t);
  carol.incomingBehaviour = { kind: 'ring' };
  const { caller: a, callee: b } = await answered(alice, bob);
  assert.equal((await b.blindTransfer('1003')).status, 202);
  const toCarol = await carol.nextCall();
  // One transfer at a time.
  assert.equal((await b.blindTransfer('1004')).status, 491);
  // Bob hangs up at once, as some phones do after a blind transfer: Alice waits for Carol.
  assert.equal((await b.bye()).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(a.ended, false, 'the transferee is still in the call');
  assert.equal(ipbx.b2bua.list().length, 1);
  toCarol.reject(486);
  await eventually(() => a.ended, 'the BYE at the transferee once the transfer failed');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'answered');
  assert.equal(ipbx.b2bua.list().length, 0);
  assert.deepEqual(ipbx.errors, []);
});

test('blind transfer to an unknown number: NOTIFY 404, the call goes on', async (t) => {
  const { ipbx, alice, bob } = await threePhones(t);
  const { caller: a, callee: b } = await answered(alice, bob);
  assert.equal((await b.blindTransfer('999')).status, 202);
  const notifies = await b.referNotified(2);
  assert.equal(notifies[1]?.statusLine, 'SIP/2.0 404 Not Found');
  assert.equal((await a.bye()).status, 200);
  await eventually(() => b.ended, 'the BYE at the transferor');
  assert.deepEqual(ipbx.errors, []);
});

test('REFER from a device that is not a party of the call, or naming an unknown dialog, gets 481 (RFC 3261 §12.2.2)', async (t) => {
  const { ipbx, alice, bob, carol } = await threePhones(t);
  const dave = await ipbx.phone({ user: '1004' });
  const { caller: a, callee: b } = await answered(alice, bob);

  // Dave knows the identifiers of Bob's dialog and sends a REFER in it from his own device.
  const forged = dave.stack.createRequest('REFER', b.dialog.remoteTarget, {
    from: b.dialog.localUri.toString(),
    to: b.dialog.remoteUri.toString(),
    callId: b.dialog.id.callId,
    cseq: 1_000_000,
    contact: dave.contact,
    headers: [['Refer-To', `<sip:1004@${ipbx.domain}>`]],
  });
  const fromDave = await within(dave.stack.send(forged, { target: dave.proxy }), 'the answer to the forged REFER');
  assert.equal(fromDave.status, 481);

  // A REFER for a dialog the IPBX does not have.
  const unknown = bob.stack.createRequest('REFER', b.dialog.remoteTarget, {
    from: `<sip:1002@${ipbx.domain}>;tag=not-a-dialog`,
    to: `<sip:1001@${ipbx.domain}>;tag=nor-this`,
    callId: 'no-such-call',
    contact: bob.contact,
    headers: [['Refer-To', `<sip:1003@${ipbx.domain}>`]],
  });
  const fromBob = await within(bob.stack.send(unknown, { target: bob.proxy }), 'the answer to the REFER out of any dialog');
  assert.equal(fromBob.status, 481);

  // Nothing happened to the call.
  assert.equal(dave.calls.length + carol.calls.length, 0);
  assert.equal(b.receivedOf('NOTIFY').length, 0);
  assert.equal(ipbx.b2bua.list()[0]?.callee, '1002');
  assert.equal((await a.bye()).status, 200);
  await eventually(() => b.ended, 'the BYE at the callee');
  assert.deepEqual(ipbx.errors, []);
});

test('REFER with no, two or an unusable Refer-To gets 400 (RFC 3515 §2.4.1)', async (t) => {
  const { ipbx, alice, bob, carol } = await threePhones(t);
  const { caller: a, callee: b } = await answered(alice, bob);
  const refer = (headers: Array<[string, string]>) => b.request('REFER', undefined, 'application/sdp', headers);

  assert.equal((await refer([])).status, 400, 'no Refer-To');
  assert.equal((await refer([['Refer-To', `<sip:1003@${ipbx.domain}>`], ['Refer-To', `<sip:1004@${ipbx.domain}>`]])).status, 400, 'two Refer-To');
  assert.equal((await refer([['Refer-To', `<sip:1003@${ipbx.domain}`]])).status, 400, 'unparsable Refer-To');
  assert.equal((await refer([['Refer-To', `<sip:${ipbx.domain}>`]])).status, 400, 'no number to call');
  assert.equal((await refer([['Refer-To', '<http://example.com/>']])).status, 400, 'not a SIP or tel URI');
  assert.equal((await refer([['Refer-To', `<sip:1003@${ipbx.domain}?Replaces=broken>`]])).status, 400, 'a Replaces without tags');
  assert.equal((await refer([['Refer-To', `<sip:1003@${ipbx.domain};method=BYE>`]])).status, 403, 'only INVITE references');

  assert.equal(carol.calls.length, 0);
  assert.equal(b.receivedOf('NOTIFY').length, 0);
  assert.equal((await b.bye()).status, 200);
  await eventually(() => a.ended, 'the BYE at the caller');
  assert.deepEqual(ipbx.errors, []);
});
