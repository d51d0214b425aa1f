// Basic calls through the B2BUA over real sockets: answer and BYE from either side, two
// independent dialogs (RFC 3261 §12; nothing of the caller's Call-ID or Via reaches the callee),
// the caller's identity on the callee's side (§8.1.1.3), SDP relayed unchanged by the
// passthrough media hook, and one CDR per call.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { B2buaHarness } from '../helpers/b2bua-harness.ts';
import { eventually, phoneSdp } from '../helpers/sip-phone.ts';

const ACCOUNTS = [
  { extension: '1001', displayName: 'Alice Martin' },
  { extension: '1002', displayName: 'Bob Durand' },
];

for (const protocol of ['udp', 'tcp'] as const) {
  test(`call answered, BYE from the caller: 180/200 relayed, ACK and BYE on both legs, one CDR over ${protocol.toUpperCase()} (RFC 3261 §13, §15)`, async (t) => {
    const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
    t.after(() => ipbx.close());
    const alice = await ipbx.phone({ user: '1001', displayName: 'Alice Martin', protocol });
    const bob = await ipbx.phone({ user: '1002', protocol });

    const call = alice.call('1002');
    const session = await call.established();
    assert.ok(call.statuses().includes(180), 'the callee\'s 180 reached the caller');
    const incoming = await bob.nextCall();
    const invite = incoming.request;

    // A true B2BUA: the callee's INVITE is a new request, not the caller's forwarded.
    assert.notEqual(invite.callId, call.invite.callId, 'own Call-ID on the outbound leg');
    assert.notEqual(invite.from.tag, call.invite.from.tag, 'own From tag on the outbound leg');
    assert.equal(invite.vias.length, 1, 'only the IPBX\'s Via');
    assert.notEqual(invite.topVia?.branch, call.invite.topVia?.branch);
    // §8.1.1.3: the callee sees who calls — the account's display name and extension at the domain.
    assert.equal(invite.from.displayName, 'Alice Martin');
    assert.equal(invite.from.uri.toString(), `sip:1001@${ipbx.domain}`);
    assert.equal(invite.to.uri.toString(), `sip:1002@${ipbx.domain}`);
    assert.match(invite.contacts[0]?.uri.toString() ?? '', /^sip:127\.0\.0\.1:\d+/, 'Contact is the IPBX');
    assert.equal(invite.uri.toString(), bob.contact.uri.toString(), 'Request-URI is the registered contact');
    // Passthrough media: the SDP crosses unchanged both ways.
    assert.equal(invite.body.toString(), call.invite.body.toString());
    assert.equal(session.remoteSdp, phoneSdp('1002', bob.rtpPort), 'the callee\'s answer reached the caller unchanged');

    await eventually(() => incoming.session?.receivedOf('ACK').length === 1, 'the ACK at the callee');
    await eventually(() => ipbx.b2bua.list()[0]?.state === 'answered', 'the call answered in list()');
    const active = ipbx.b2bua.list();
    assert.equal(active.length, 1);
    assert.equal(active[0]?.caller, '1001');
    assert.equal(active[0]?.callerName, 'Alice Martin');
    assert.equal(active[0]?.callee, '1002');

    const bye = await session.bye();
    assert.equal(bye.status, 200);
    await eventually(() => incoming.session?.ended === true, 'the BYE at the callee');
    await ipbx.cdrsAtLeast(1);
    assert.equal(ipbx.cdrs.length, 1);
    const cdr = ipbx.cdrs[0];
    assert.equal(cdr?.caller, '1001');
    assert.equal(cdr.callerName, 'Alice Martin');
    assert.equal(cdr.callee, '1002');
    assert.equal(cdr.cause, 'answered');
    assert.equal(cdr.status, 200);
    assert.ok(cdr.answeredAt !== null && cdr.answeredAt >= cdr.startedAt && cdr.endedAt >= cdr.answeredAt);
    assert.equal(ipbx.b2bua.list().length, 0);
    assert.deepEqual(ipbx.callEvents.map((e) => e.state), ['routing', 'ringing', 'answered', 'ended']);
    assert.equal(ipbx.callEvents.at(-1)?.cause, 'answered');
    assert.deepEqual(ipbx.errors, []);
  });
}

test('call answered, BYE from the callee: the caller gets a BYE on its own dialog (RFC 3261 §15.1)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002' });

  const call = alice.call('1002');
  const session = await call.established();
  const incoming = await bob.nextCall();
  await eventually(() => incoming.session?.receivedOf('ACK').length === 1, 'the ACK at the callee');
  const calleeSession = incoming.session;
  assert.ok(calleeSession !== undefined);

  const bye = await calleeSession.bye();
  assert.equal(bye.status, 200);
  await eventually(() => session.ended, 'the BYE at the caller');
  const byeAtCaller = session.receivedOf('BYE')[0];
  assert.equal(byeAtCaller?.callId, call.invite.callId, 'the BYE is in the caller\'s dialog');
  assert.equal(byeAtCaller.to.tag, call.invite.from.tag);
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'answered');
  assert.deepEqual(ipbx.errors, []);
});

test('busy: the callee\'s 486 reaches the caller, CDR cause busy (RFC 3261 §21.4.24)', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  await ipbx.phone({ user: '1002', incoming: { kind: 'reject', status: 486 } });

  const final = await alice.call('1002').result();
  assert.equal(final.status, 486);
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'busy');
  assert.equal(ipbx.cdrs[0]?.status, 486);
  assert.equal(ipbx.cdrs[0]?.answeredAt, null);
  assert.equal(ipbx.cdrs[0]?.duration, 0);
});

test('unknown number: 404, CDR cause unknown-number', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });

  const final = await alice.call('1999').result();
  assert.equal(final.status, 404);
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'unknown-number');
});

test('offline account (no binding): 480, CDR cause offline', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });

  const final = await alice.call('1002').result();
  assert.equal(final.status, 480);
  await ipbx.cdrsAtLeast(1);
  assert.equal(ipbx.cdrs[0]?.cause, 'offline');
  assert.equal(ipbx.cdrs[0]?.status, 480);
});

test('a caller that is not a known account is refused by the authenticator, and no call is opened', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const mallory = await ipbx.phone({ user: '6666', register: false });
  await ipbx.phone({ user: '1002' });

  const final = await mallory.call('1002').result();
  assert.equal(final.status, 403);
  assert.equal(ipbx.cdrs.length, 0);
  assert.equal(ipbx.callEvents.length, 0);
});
