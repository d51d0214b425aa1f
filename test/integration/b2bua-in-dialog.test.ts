// Requests inside an established call, over real sockets, relayed leg to leg in each leg's own
// dialog: re-INVITE hold and resume from either side (RFC 3264 §8.4) with ACKs on both legs,
// UPDATE (RFC 3311), INFO with DTMF (RFC 6086), MESSAGE, glare answered 491 and relayed
// (RFC 3261 §14.2), late offer (§13.2.1), remote target refresh (§12.2), 481 for unknown dialogs
// (§12.2.2), and the API hanging up an answered call.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameAddr, SipUri } from '../../ipbx/sip/message/index.ts';
import { B2buaHarness } from '../helpers/b2bua-harness.ts';
import { eventually, phoneSdp, type IncomingCall, type PhoneSession, type SipPhone } from '../helpers/sip-phone.ts';

const ACCOUNTS = [
  { extension: '1001', displayName: 'Alice' },
  { extension: '1002', displayName: 'Bob' },
];

interface Established {
  ipbx: B2buaHarness;
  alice: SipPhone;
  bob: SipPhone;
  caller: PhoneSession;
  callee: PhoneSession;
  incoming: IncomingCall;
}

async function establish(t: { after: (fn: () => Promise<void>) => void }, protocol: 'udp' | 'tcp' = 'udp'): Promise<Established> {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001', protocol });
  const bob = await ipbx.phone({ user: '1002', protocol });
  const caller = await alice.call('1002').established();
  const incoming = await bob.nextCall();
  await eventually(() => incoming.session?.receivedOf('ACK').length === 1, 'the ACK at the callee');
  const callee = incoming.session;
  assert.ok(callee !== undefined);
  return { ipbx, alice, bob, caller, callee, incoming };
}

for (const protocol of ['udp', 'tcp'] as const) {
  test(`re-INVITE hold and resume from the caller, relayed with its ACK in the callee's dialog over ${protocol.toUpperCase()} (RFC 3261 §14, RFC 3264 §8.4)`, async (t) => {
    const { ipbx, caller, callee, incoming } = await establish(t, protocol);

    const hold = await caller.reinvite('sendonly');
    assert.equal(hold.status, 200);
    assert.match(hold.body.toString(), /a=recvonly/, 'the callee\'s answer came back');
    const reinvite = callee.receivedOf('INVITE')[0];
    assert.ok(reinvite !== undefined);
    assert.equal(reinvite.callId, incoming.request.callId, 'in the callee\'s dialog, not the caller\'s');
    assert.match(reinvite.body.toString(), /a=sendonly/);
    assert.equal(reinvite.cseq.seq, incoming.request.cseq.seq + 1, 'the B2BUA\'s own CSeq space on that leg');
    await eventually(() => callee.receivedOf('ACK').length === 2, 'the ACK of the re-INVITE at the callee');
    assert.equal(ipbx.b2bua.list()[0]?.state, 'held');

    const resume = await caller.reinvite('sendrecv');
    assert.equal(resume.status, 200);
    assert.match(resume.body.toString(), /a=sendrecv/);
    await eventually(() => callee.receivedOf('ACK').length === 3, 'the ACK of the resume at the callee');
    assert.equal(ipbx.b2bua.list()[0]?.state, 'answered');
    assert.deepEqual(ipbx.callEvents.map((e) => e.state), ['routing', 'ringing', 'answered', 'held', 'answered']);
    await caller.bye();
    await ipbx.cdrsAtLeast(1);
    assert.equal(ipbx.cdrs[0]?.cause, 'answered');
    assert.deepEqual(ipbx.errors, []);
  });
}

test('re-INVITE hold and resume from the callee, relayed in the caller\'s dialog', async (t) => {
  const { ipbx, caller, callee, alice } = await establish(t);

  const hold = await callee.reinvite('inactive');
  assert.equal(hold.status, 200);
  assert.match(hold.body.toString(), /a=inactive/);
  const reinvite = caller.receivedOf('INVITE')[0];
  assert.equal(reinvite?.callId, caller.dialog.id.callId);
  assert.equal(reinvite.uri.toString(), alice.contact.uri.toString(), 'sent to the caller\'s Contact');
  await eventually(() => caller.receivedOf('ACK').length === 1, 'the ACK at the caller');
  assert.equal(ipbx.b2bua.list()[0]?.state, 'held');
  assert.equal((await callee.reinvite('sendrecv')).status, 200);
  assert.equal(ipbx.b2bua.list()[0]?.state, 'answered');
  await callee.bye();
  await eventually(() => caller.ended, 'the BYE at the caller');
});

test('UPDATE from the callee is relayed with its SDP and answered (RFC 3311)', async (t) => {
  const { caller, callee } = await establish(t);
  const update = await callee.update('sendonly');
  assert.equal(update.status, 200);
  assert.match(update.body.toString(), /a=recvonly/);
  assert.match(caller.receivedOf('UPDATE')[0]?.body.toString() ?? '', /a=sendonly/);
});

test('INFO with DTMF and MESSAGE inside the call are relayed with their bodies (RFC 6086, RFC 3428)', async (t) => {
  const { caller, callee } = await establish(t);

  const info = await caller.info('5');
  assert.equal(info.status, 200);
  const relayed = callee.receivedOf('INFO')[0];
  assert.equal(relayed?.headers.get('Content-Type'), 'application/dtmf-relay');
  assert.match(relayed.body.toString(), /^Signal=5\r\n/);

  const message = await callee.request('MESSAGE', 'see you', 'text/plain');
  assert.equal(message.status, 200);
  assert.equal(caller.receivedOf('MESSAGE')[0]?.body.toString(), 'see you');
});

test('glare: a 491 from the other side is relayed, and the call goes on (RFC 3261 §14.2)', async (t) => {
  const { ipbx, caller, bob } = await establish(t);
  bob.sessionChangeStatus = 491;
  const response = await caller.reinvite('sendonly');
  assert.equal(response.status, 491);
  assert.equal(ipbx.b2bua.list()[0]?.state, 'answered');
  bob.sessionChangeStatus = 200;
  assert.equal((await caller.reinvite('sendonly')).status, 200, 'a later try succeeds');
  assert.equal((await caller.bye()).status, 200);
});

test('glare: re-INVITEs from both sides at once — the B2BUA answers the second 491 on its leg (RFC 3261 §14.2)', async (t) => {
  const { ipbx, caller, callee } = await establish(t);
  const [fromCaller, fromCallee] = await Promise.all([caller.reinvite('sendonly'), callee.reinvite('sendonly')]);
  assert.deepEqual([fromCaller.status, fromCallee.status].sort(), [200, 491]);
  // The one that lost retries later (§14.1) and gets through.
  const loser = fromCaller.status === 491 ? caller : callee;
  assert.equal((await loser.reinvite('sendrecv')).status, 200);
  assert.equal((await caller.bye()).status, 200);
  await ipbx.cdrsAtLeast(1);
  assert.deepEqual(ipbx.errors, []);
});

test('late offer: no SDP in the INVITE, the callee offers in its 2xx, the caller answers in its ACK (RFC 3261 §13.2.1)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002' });

  const call = alice.call('1002', { sdp: null });
  const session = await call.established();
  const incoming = await bob.nextCall();
  assert.equal(incoming.request.body.length, 0, 'no offer to the callee either');
  assert.equal(session.remoteSdp, phoneSdp('1002', bob.rtpPort), 'the callee\'s offer reached the caller');
  await eventually(() => incoming.session?.receivedOf('ACK').length === 1, 'the ACK at the callee');
  assert.equal(incoming.session?.receivedOf('ACK')[0]?.body.toString(), phoneSdp('1001', alice.rtpPort), 'the caller\'s answer rides the callee\'s ACK');
  await session.bye();
});

test('remote target refresh: after the callee\'s re-INVITE with a new Contact, requests go to it (RFC 3261 §12.2)', async (t) => {
  const { caller, callee, bob } = await establish(t);
  const moved = bob.contact.uri instanceof SipUri ? bob.contact.uri.clone() : undefined;
  assert.ok(moved !== undefined);
  moved.user = 'bob-moved';
  callee.dialog.localContact = new NameAddr(moved);
  assert.equal((await callee.reinvite('sendrecv')).status, 200);
  assert.equal((await caller.info('1')).status, 200);
  assert.equal(callee.receivedOf('INFO')[0]?.uri.toString(), moved.toString());
});

test('requests for a dialog the B2BUA does not know get 481 (RFC 3261 §12.2.2)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  for (const method of ['BYE', 'INFO', 'INVITE']) {
    const request = alice.stack.createRequest(method, new SipUri({ user: '1002', host: ipbx.domain }), {
      from: `<${alice.aor}>;tag=nope`, to: `<sip:1002@${ipbx.domain}>;tag=unknown`, contact: alice.contact,
    });
    const response = await alice.stack.send(request, { target: alice.proxy });
    assert.equal(response.status, 481, method);
  }
  assert.deepEqual(ipbx.unhandled, []);
});

test('API hangup of an answered call: BYE on both legs, CDR answered', async (t) => {
  const { ipbx, caller, callee } = await establish(t);
  const id = ipbx.b2bua.list()[0]?.id;
  assert.ok(id !== undefined);
  assert.equal(await ipbx.b2bua.hangup(id), true);
  await eventually(() => caller.ended && callee.ended, 'a BYE at both phones');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'answered');
  assert.equal(ipbx.b2bua.list().length, 0);
});
