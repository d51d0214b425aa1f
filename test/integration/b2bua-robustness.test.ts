// The B2BUA when things are not simple, over real sockets: a TCP callee reached only over the
// connection it registered on (RFC 5626 §5.3), an unreachable callee and a callee whose
// connection dies mid-call (the call ends cleanly, cause failed), a caller that never ACKs
// (RFC 3261 §13.3.1.4), the bound on calls in progress (503), digest authentication, a media
// hook that rewrites SDP, and `handle` declining what it does not own and never throwing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DigestAuthenticator as RegistrarDigestAuthenticator } from '../../ipbx/registrar/digest-authenticator.ts';
import { createRouter } from '../../ipbx/router/index.ts';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { DigestServer } from '../../ipbx/sip/digest/index.ts';
import { passthroughMedia, type MediaHook, type MediaLegInfo } from '../../ipbx/b2bua/media-hook.ts';
import { HeaderList, SipRequest, SipUri } from '../../ipbx/sip/message/index.ts';
import { IncomingRequest } from '../../ipbx/sip/ua/index.ts';
import { B2buaHarness } from '../helpers/b2bua-harness.ts';
import { eventually } from '../helpers/sip-phone.ts';
import { freePort } from '../helpers/sipp.ts';

const ACCOUNTS = [
  { extension: '1001', displayName: 'Alice', password: 'alice-secret-1' },
  { extension: '1002', displayName: 'Bob', password: 'bob-secret-22' },
];

test('a TCP callee is reached over the connection it registered on, even with an unreachable Contact (RFC 5626 §5.3)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  // Port 1: nothing listens there; only the registration flow leads to Bob.
  const bob = await ipbx.phone({ user: '1002', protocol: 'tcp', contactPort: 1 });
  // The 200 to the REGISTER came back over the connection Bob opened.
  const registrationFlow = bob.tap.received.find((m) => !m.message.isRequest() && m.message.cseq.method === 'REGISTER')?.source.flowId;
  assert.ok(registrationFlow !== undefined);

  const session = await alice.call('1002').established();
  const incoming = await bob.nextCall();
  assert.equal(incoming.request.uri.toString(), bob.contact.uri.toString(), 'the Request-URI is still the registered Contact');
  const inviteAtBob = bob.tap.received.find((m) => m.message.isRequest() && m.message.method === 'INVITE');
  assert.equal(inviteAtBob?.source.flowId, registrationFlow, 'the INVITE came over the registration connection');
  await eventually(() => incoming.session?.receivedOf('ACK').length === 1, 'the ACK over the flow');
  await session.bye();
  await eventually(() => incoming.session?.ended === true, 'the BYE over the flow');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'answered');
});

test('an unreachable callee (connection refused): the caller gets 500, not 503 (RFC 3261 §16.7), CDR cause failed', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const port = await freePort();
  ipbx.location.add({
    extension: '1002', contact: `sip:1002@127.0.0.1:${port};transport=tcp`, expiresAt: Date.now() + 60_000, q: 1, callId: 'x', cseq: 1,
    protocol: 'tcp', source: { address: '127.0.0.1', port }, flowId: 'gone', registeredAt: Date.now(),
  });
  const final = await alice.call('1002').result();
  assert.equal(final.status, 500);
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'failed');
});

test('the callee\'s connection dies mid-call: the next relayed request fails, the call ends (cause failed) and the caller gets a BYE', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002', protocol: 'tcp' });
  const session = await alice.call('1002').established();
  await bob.nextCall();
  await bob.close();

  const info = await session.info('9');
  assert.equal(info.status, 500, 'a transport failure is not relayed as 503');
  await eventually(() => session.ended, 'the BYE at the caller');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'failed');
  assert.ok(ipbx.cdrs[0]?.answeredAt !== null);
});

test('a caller that never ACKs the 2xx: after 64·T1 the call ends (cause failed) with a BYE on both legs (RFC 3261 §13.3.1.4, §15)', async (t) => {
  const stackClock = new FakeClock();
  // TCP: nothing is retransmitted, so the fake clock only drives the wait for the ACK.
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS, stackClock, protocols: ['tcp'] });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001', protocol: 'tcp' });
  const bob = await ipbx.phone({ user: '1002', protocol: 'tcp' });
  const call = alice.call('1002', { ack: false });
  const session = await call.established();
  const incoming = await bob.nextCall();
  await eventually(() => incoming.session?.receivedOf('ACK').length === 1, 'the callee acknowledged by the B2BUA');

  stackClock.advance(64 * 500);
  await eventually(() => session.ended && incoming.session?.ended === true, 'a BYE at both phones');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'failed');
});

test('calls in progress are bounded: beyond maxCalls a new INVITE gets 503 with Retry-After', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS, maxCalls: 1 });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002', incoming: { kind: 'ring' } });

  const first = alice.call('1002');
  await first.ringing();
  const second = await alice.call('1002').result();
  assert.equal(second.status, 503);
  assert.ok(second.headers.has('Retry-After'));
  assert.equal(bob.calls.length, 1);
  await first.cancel();
  assert.equal((await first.result()).status, 487);
});

test('digest authentication: the INVITE is challenged, then the call goes through with the caller\'s identity (RFC 3261 §22)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS, auth: 'digest' });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001', credentials: { username: '1001', password: 'alice-secret-1' } });
  const bob = await ipbx.phone({ user: '1002' });
  const intruder = await ipbx.phone({ user: '1001', register: false, credentials: { username: '1001', password: 'wrong-password' } });

  const session = await alice.call('1002').established();
  const incoming = await bob.nextCall();
  assert.equal(incoming.request.from.displayName, 'Alice');
  assert.equal(ipbx.tap.sentResponses(401, 'INVITE').length, 1, 'one challenge');
  await session.bye();
  assert.equal((await intruder.call('1002').result()).status, 401);
  assert.equal(bob.calls.length, 1, 'the intruder rang nobody');
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs.length, 1, 'challenges are not calls');
});

test('the media hook sees the offer a→b and the answer b→a, and release once at the end', async (t) => {
  const seen: Array<{ kind: string; from: MediaLegInfo; to: MediaLegInfo }> = [];
  const released: string[] = [];
  const media: MediaHook = {
    ...passthroughMedia,
    offer: (sdp, from, to) => {
      seen.push({ kind: 'offer', from, to });
      return Promise.resolve(Buffer.from(sdp.toString().replace('s=-', 's=rewritten-offer')));
    },
    answer: (sdp, from, to) => {
      seen.push({ kind: 'answer', from, to });
      return Promise.resolve(Buffer.from(sdp.toString().replace('s=-', 's=rewritten-answer')));
    },
    release: (callId) => {
      released.push(callId);
      return Promise.resolve();
    },
  };
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS, media });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002', protocol: 'tcp' });

  const session = await alice.call('1002').established();
  const incoming = await bob.nextCall();
  assert.match(incoming.request.body.toString(), /s=rewritten-offer/);
  assert.match(session.remoteSdp, /s=rewritten-answer/);
  assert.deepEqual(seen.map((s) => [s.kind, s.from.leg, s.to.leg, s.from.protocol, s.to.protocol]), [['offer', 'a', 'b', 'udp', 'tcp'], ['answer', 'b', 'a', 'tcp', 'udp']]);
  const callId = ipbx.b2bua.list()[0]?.id;
  await session.bye();
  await ipbx.cdrsAtLeast(1);
  assert.deepEqual(released, [callId]);
});

test('handle() declines REGISTER, OPTIONS and SUBSCRIBE, and never throws, even on a request it cannot read', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const sent: number[] = [];
  const sink = { sendResponse: (_incoming: IncomingRequest, response: { status: number }) => { sent.push(response.status); } };
  const source = { protocol: 'udp' as const, address: '127.0.0.1', port: 5999, flowId: 'test', local: { address: '127.0.0.1', port: 5060 } };
  const make = (method: string, headers: Array<[string, string]>) => {
    const list = new HeaderList();
    for (const [name, value] of headers) list.append(name, value);
    return new IncomingRequest(new SipRequest(method, new SipUri({ user: '1002', host: ipbx.domain }), list), source, sink);
  };
  const wellFormed: Array<[string, string]> = [
    ['Via', 'SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKtest'], ['From', '<sip:1001@voiplab.test>;tag=a'], ['To', '<sip:1002@voiplab.test>'],
    ['Call-ID', 'handle-test'], ['CSeq', '1 REGISTER'],
  ];
  for (const method of ['REGISTER', 'OPTIONS', 'SUBSCRIBE']) assert.equal(ipbx.b2bua.handle(make(method, wellFormed)), false, method);
  // No From and no CSeq: reading them throws inside; handle() reports it and answers 500.
  const broken = make('INVITE', [['Call-ID', 'broken'], ['To', '<sip:1002@voiplab.test>']]);
  assert.doesNotThrow(() => ipbx.b2bua.handle(broken));
  assert.ok(ipbx.errors.length > 0, 'the failure was reported');
  assert.deepEqual(sent, [500]);
});

test('Max-Forwards: one less on the outbound leg, 483 when none is left (RFC 3261 §16.6 step 3, §16.3 step 3)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002' });

  const call = alice.call('1002', { headers: [['Max-Forwards', '7']] });
  const session = await call.established();
  assert.equal((await bob.nextCall()).request.maxForwards, 6);
  await session.bye();

  const looping = alice.call('1002', { headers: [['Max-Forwards', '0']] });
  assert.equal((await looping.result()).status, 483);
  assert.equal(bob.calls.length, 1);
});

test('calling one\'s own extension rings one\'s other devices, not the calling one', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const desk = await ipbx.phone({ user: '1001' });
  const soft = await ipbx.phone({ user: '1001', protocol: 'tcp' });

  const session = await desk.call('1001').established();
  assert.equal(soft.calls.length, 1);
  assert.equal(desk.calls.length, 0);
  await session.bye();
});

test('a media hook that fails: 500 to the caller, the callee\'s session (if any) hung up, CDR cause failed', async (t) => {
  let failOn: 'offer' | 'answer' = 'offer';
  const media: MediaHook = {
    ...passthroughMedia,
    offer: (sdp) => (failOn === 'offer' ? Promise.reject(new Error('media plane down')) : Promise.resolve(sdp)),
    answer: (sdp) => (failOn === 'answer' ? Promise.reject(new Error('media plane down')) : Promise.resolve(sdp)),
    release: () => Promise.resolve(),
  };
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS, media });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002' });

  assert.equal((await alice.call('1002').result()).status, 500);
  assert.equal(bob.calls.length, 0, 'no offer, nobody rung');

  failOn = 'answer';
  assert.equal((await alice.call('1002').result()).status, 500);
  const incoming = await bob.nextCall();
  await eventually(() => incoming.session?.ended === true, 'the BYE to the callee whose answer could not be used');
  assert.equal(incoming.session?.receivedOf('ACK').length, 1, 'its 2xx was acknowledged first');
  await ipbx.cdrsAtLeast(2);
  assert.deepEqual(ipbx.cdrs.map((c) => c.cause), ['failed', 'failed']);
  assert.equal(ipbx.b2bua.size, 0);
});

test('with the real dialplan router (patterns) and the registrar\'s digest authenticator (407, RFC 3261 §22.3)', async (t) => {
  const ipbx = await B2buaHarness.start({
    accounts: ACCOUNTS,
    router: createRouter([{ match: '_1XXX', action: { type: 'account' }, allowUnauthenticated: false }]),
    authenticator: (accounts) => new RegistrarDigestAuthenticator({ accounts, digest: new DigestServer({ realm: 'voiplab.test', secret: randomBytes(32), algorithms: ['MD5'] }) }),
  });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001', credentials: { username: '1001', password: 'alice-secret-1' } });
  const bob = await ipbx.phone({ user: '1002' });

  // Separators are dropped before routing, as the router expects (normalizeDialled).
  const session = await alice.call('10.02').established();
  assert.equal(ipbx.tap.sentResponses(407, 'INVITE').length, 1, 'challenged with 407 first');
  const incoming = await bob.nextCall();
  assert.equal(incoming.request.from.displayName, 'Alice');
  await session.bye();
  assert.equal((await alice.message('1002', 'hi')).status, 200);
  assert.equal((await alice.call('2000').result()).status, 404);
});
