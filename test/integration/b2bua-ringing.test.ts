// Calls while they ring, over real sockets: parallel forking to every contact of an account
// (first 2xx wins, the others are cancelled, a late 2xx is acknowledged and hung up), the no
// answer timeout, the caller's CANCEL reaching every fork only after a provisional (RFC 3261
// §9.1), 6xx ending the forking (§16.7), and the API hanging up a ringing call.
//
// The B2BUA's own timers run on a FakeClock: sockets are real, no test waits for a timeout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { createResponse, parseMessage, serializeMessage, type SipRequest } from '../../ipbx/sip/message/index.ts';
import { B2buaHarness } from '../helpers/b2bua-harness.ts';
import { eventually, phoneSdp, type SipPhone } from '../helpers/sip-phone.ts';

const ACCOUNTS = [
  { extension: '1001', displayName: 'Alice' },
  { extension: '1002', displayName: 'Bob' },
];
const NO_ANSWER_MS = 30_000;

async function twoDevicesOfBob(ipbx: B2buaHarness, kind: 'ring' | 'answer' = 'ring'): Promise<[SipPhone, SipPhone]> {
  const desk = await ipbx.phone({ user: '1002', incoming: { kind } });
  const soft = await ipbx.phone({ user: '1002', incoming: { kind }, protocol: 'tcp' });
  assert.equal(ipbx.location.lookup('1002').length, 2, 'both contacts are registered');
  return [desk, soft];
}

test('no answer within noAnswerTimeout: every fork is cancelled and the caller gets 480 (cause no-answer)', async (t) => {
  const clock = new FakeClock();
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS, clock, noAnswerTimeoutMs: NO_ANSWER_MS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const [desk, soft] = await twoDevicesOfBob(ipbx);

  const call = alice.call('1002');
  await call.ringing();
  await desk.nextCall();
  await soft.nextCall();
  clock.advance(NO_ANSWER_MS);

  const final = await call.result();
  assert.equal(final.status, 480);
  await eventually(() => desk.cancels().length === 1 && soft.cancels().length === 1, 'a CANCEL at both devices');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'no-answer');
  assert.equal(ipbx.cdrs[0]?.status, 480);
  assert.equal(clock.pendingTimers, 0, 'no B2BUA timer outlives the call');
  assert.deepEqual(ipbx.errors, []);
});

test('caller CANCEL: 200 and 487 to the caller, a CANCEL to every fork (RFC 3261 §9.1, §9.2)', async (t) => {
  const clock = new FakeClock();
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS, clock });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const [desk, soft] = await twoDevicesOfBob(ipbx);

  const call = alice.call('1002');
  const [deskCall, softCall] = [await desk.nextCall(), await soft.nextCall()];
  await call.ringing();
  const cancelled = await call.cancel();
  assert.equal(cancelled.status, 200);
  assert.equal((await call.result()).status, 487);

  await eventually(() => deskCall.cancelled && softCall.cancelled, 'both forks cancelled');
  // §9.1: each CANCEL matches its own INVITE (the B2BUA's, not the caller's).
  for (const [phone, incoming] of [[desk, deskCall], [soft, softCall]] as const) {
    const cancel = phone.cancels()[0];
    assert.equal(cancel?.callId, incoming.request.callId);
    assert.equal(cancel.topVia?.branch, incoming.request.topVia?.branch);
    assert.notEqual(cancel.callId, call.invite.callId);
  }
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'cancelled');
  assert.equal(ipbx.cdrs[0]?.status, 487);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(ipbx.b2bua.size, 0);
});

test('forking: the first device to answer wins, the other gets a CANCEL "completed elsewhere" (RFC 3261 §16.7, RFC 3326)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const [desk, soft] = await twoDevicesOfBob(ipbx);

  const call = alice.call('1002');
  const deskCall = await desk.nextCall();
  const softCall = await soft.nextCall();
  // Both forks got their own dialog.
  assert.notEqual(deskCall.request.callId, softCall.request.callId);
  softCall.answer();

  const session = await call.established();
  assert.equal(call.statuses().filter((s) => s === 180).length, 1, 'one 180 for two ringing devices');
  await eventually(() => deskCall.cancelled, 'the CANCEL at the device that did not answer');
  assert.match(desk.cancels()[0]?.headers.get('Reason') ?? '', /cause=200/);
  assert.equal(deskCall.incoming.finalResponse?.status, 487);
  await eventually(() => softCall.session?.receivedOf('ACK').length === 1, 'the ACK at the device that answered');
  await session.bye();
  await eventually(() => softCall.session?.ended === true, 'the BYE at the device that answered');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs.length, 1);
  assert.equal(ipbx.cdrs[0]?.cause, 'answered');
});

test('two devices answer at once: one wins, the other 2xx is acknowledged and hung up with BYE (RFC 3261 §13.2.2.4)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const [desk, soft] = await twoDevicesOfBob(ipbx, 'answer');

  const session = await alice.call('1002').established();
  const deskCall = await desk.nextCall();
  const softCall = await soft.nextCall();
  await eventually(() => [deskCall, softCall].filter((c) => c.session?.ended === true).length === 1, 'one BYE for the losing answer');
  const loser = [deskCall, softCall].find((c) => c.session?.ended === true);
  assert.equal(loser?.session?.receivedOf('ACK').length, 1, 'the losing 2xx was acknowledged before its BYE');
  const winner = [deskCall, softCall].find((c) => c !== loser);
  assert.equal(winner?.session?.ended, false);
  await session.bye();
  await eventually(() => winner.session?.ended === true, 'the BYE at the winner');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs.length, 1);
});

test('a 6xx from one device ends the forking: the others are cancelled and the caller gets the 6xx (RFC 3261 §16.7)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const [desk, soft] = await twoDevicesOfBob(ipbx);

  const call = alice.call('1002');
  const deskCall = await desk.nextCall();
  await soft.nextCall();
  await call.ringing();
  deskCall.reject(603);
  assert.equal((await call.result()).status, 603);
  await eventually(() => soft.cancels().length === 1, 'the CANCEL at the other device');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'rejected');
});

test('all forks fail: the best response is relayed — 486 rather than 480 (RFC 3261 §16.7 step 6)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  await ipbx.phone({ user: '1002', incoming: { kind: 'reject', status: 480 } });
  await ipbx.phone({ user: '1002', incoming: { kind: 'reject', status: 486 } });

  assert.equal((await alice.call('1002').result()).status, 486);
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'busy');
});

test('API hangup of a ringing call: 487 to the caller, CANCEL to the callee', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002', incoming: { kind: 'ring' } });

  const call = alice.call('1002');
  const incoming = await bob.nextCall();
  await call.ringing();
  const id = ipbx.b2bua.list()[0]?.id;
  assert.ok(id !== undefined);
  assert.equal(ipbx.b2bua.list()[0]?.state, 'ringing');
  assert.equal(await ipbx.b2bua.hangup(id), true);
  assert.equal(await ipbx.b2bua.hangup(id), false, 'the call is gone');
  assert.equal((await call.result()).status, 487);
  await eventually(() => incoming.cancelled, 'the CANCEL at the callee');
  assert.equal(ipbx.cdrs[0]?.cause, 'cancelled');
});

test('the CANCEL to a fork waits for its first provisional response (RFC 3261 §9.1)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  // A callee that stays silent (not even 100 Trying) until told: a raw UDP socket.
  const socket = createSocket('udp4');
  t.after(() => socket.close());
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const port = socket.address().port;
  const received: Array<{ request: SipRequest; from: RemoteInfo }> = [];
  socket.on('message', (data, from) => {
    const parsed = parseMessage(data, { datagram: true });
    if (parsed.ok && parsed.message.isRequest()) received.push({ request: parsed.message, from });
  });
  ipbx.location.add({
    extension: '1002', contact: `sip:1002@127.0.0.1:${port}`, expiresAt: Date.now() + 60_000, q: 1, callId: 'raw', cseq: 1,
    protocol: 'udp', source: { address: '127.0.0.1', port }, flowId: '', registeredAt: Date.now(),
  });
  const reply = (request: SipRequest, status: number, to: RemoteInfo) => {
    socket.send(serializeMessage(createResponse(request, status, { toTag: 'raw-callee' })), to.port, to.address);
  };

  const call = alice.call('1002');
  await eventually(() => received.some((r) => r.request.method === 'INVITE'), 'the INVITE at the silent callee');
  const cancelled = await call.cancel();
  assert.equal(cancelled.status, 200);
  assert.equal((await call.result()).status, 487);
  // The 487 to the caller went out after the B2BUA's reaction to the CANCEL: no CANCEL by then.
  assert.equal(ipbx.tap.sentRequests('CANCEL').length, 0, 'no CANCEL before a provisional');

  const invite = received.find((r) => r.request.method === 'INVITE');
  assert.ok(invite !== undefined);
  reply(invite.request, 180, invite.from);
  await eventually(() => received.some((r) => r.request.method === 'CANCEL'), 'the CANCEL once the 180 came');
  const cancel = received.find((r) => r.request.method === 'CANCEL');
  assert.ok(cancel !== undefined);
  assert.equal(cancel.request.topVia?.branch, invite.request.topVia?.branch);
  reply(cancel.request, 200, cancel.from);
  reply(invite.request, 487, invite.from);
  await eventually(() => received.some((r) => r.request.method === 'ACK'), 'the ACK for the 487');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'cancelled');
});

test('early media: a 183 with SDP reaches the caller through the media hook, then the 200 (RFC 3261 §13.2.1, RFC 3960)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002', incoming: { kind: 'trying' } });

  const call = alice.call('1002');
  const incoming = await bob.nextCall();
  incoming.progress();
  await call.ringing(183);
  const progress = call.provisional.find((r) => r.status === 183);
  assert.equal(progress?.body.toString(), phoneSdp('1002', bob.rtpPort));
  assert.equal(ipbx.b2bua.list()[0]?.state, 'ringing');
  incoming.answer();
  const session = await call.established();
  assert.equal(session.dialog.id.remoteTag, progress.to.tag, 'the 183 and the 200 are one dialog on the caller\'s leg');
  await session.bye();
});
