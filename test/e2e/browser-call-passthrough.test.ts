// End to end with real browsers: two Chromium sip.js phones register over plain WebSocket to a
// real IPBX and call each other through it. Media is passthrough (the IPBX relays SDP as is), so
// the audio goes browser to browser on this host; each phone's fake microphone plays its own
// tone, and each must hear the other's. Then hold, DTMF in SIP INFO, hang-up and unregistering, in
// that order (each step builds on the previous ones, so a broken step skips the rest rather than
// letting each time out). Last, a wrong password must show as a failed registration on the page.

import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { BrowserPhone, startBrowserPhoneServer, type BrowserPhoneServer, type MediaEndpoint, type MediaRoute } from '../helpers/browser-phone.ts';

const ALICE = { user: '1001', password: 'alice-secret-1001', displayName: 'Alice', toneHz: 1000 };
const BOB = { user: '1002', password: 'bob-secret-1002', displayName: 'Bob', toneHz: 1500 };
const ACCOUNTS = [ALICE, BOB].map(({ user, password, displayName }) => ({ extension: user, password, displayName }));
/** Chromium start-up, getUserMedia and ICE on a loaded 2-core machine: generous, but bounded. */
const CALL_SETUP_MS = 20_000;

function wsUrl(harness: IpbxHarness): string {
  return `ws://127.0.0.1:${harness.port('ws')}`;
}

/** The IPBX's live bindings of an extension, from its API. */
async function bindingsOf(harness: IpbxHarness, extension: string): Promise<Array<{ contact: string; protocol: string }>> {
  const res = await harness.api(`/api/v1/registrations?extension=${extension}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { items: Array<{ contact: string; protocol: string }> }).items;
}

/** 127.0.0.1 and the host's own addresses: media between two local browsers can use any of them. */
function hostAddresses(): Set<string> {
  return new Set(['127.0.0.1', ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address))]);
}

function endpointText(endpoint: MediaEndpoint): string {
  return `${endpoint.address || '(hidden)'}:${endpoint.port}`;
}

/**
 * `from` sends its media straight to one of the candidates `to` gathered, from an address of this
 * host: no relay, no other machine. The page keeps only the peer's 127.0.0.1 candidates, but
 * Chromium pairs any of its own host candidates with them (and prefers a LAN one over loopback),
 * so the far end may see a peer-reflexive address, which stats hide: then only the port compares.
 */
function assertSendsTo(from: MediaRoute, to: MediaRoute, what: string): void {
  assert.ok(hostAddresses().has(from.local.address), `${what}: sends from ${endpointText(from.local)}, an address of this host`);
  const target = to.localCandidates.find((c) => c.port === from.remote.port && (from.remote.address === '' || c.address === from.remote.address));
  assert.ok(target !== undefined, `${what}: sends to ${endpointText(from.remote)}, one of the far browser's candidates (${to.localCandidates.map(endpointText).join(', ')})`);
  if (from.remote.address !== '') assert.equal(from.remote.address, '127.0.0.1', `${what}: of the candidates signalled in SDP, only 127.0.0.1 ones are kept`);
}

async function closeAll(phones: Array<BrowserPhone | undefined>, server: BrowserPhoneServer | undefined, harness: IpbxHarness | undefined): Promise<void> {
  await Promise.allSettled(phones.filter((phone) => phone !== undefined).map((phone) => phone.close()));
  await server?.close();
  await harness?.close();
}

void describe('browser phones through the IPBX over WebSocket (media passthrough)', () => {
  let harness: IpbxHarness | undefined;
  let server: BrowserPhoneServer | undefined;
  let alice: BrowserPhone | undefined;
  let bob: BrowserPhone | undefined;
  let failedStep: string | undefined;

  /** The two phones, or a skip when an earlier step broke the call this one builds on. */
  function phones(t: TestContext): [BrowserPhone, BrowserPhone] | undefined {
    if (failedStep !== undefined || alice === undefined || bob === undefined) {
      t.skip(`needs the earlier step "${failedStep ?? 'set-up'}"`);
      return undefined;
    }
    return [alice, bob];
  }

  /** Runs a step; its failure makes the following steps skip rather than time out one by one. */
  async function step(t: TestContext, body: (alice: BrowserPhone, bob: BrowserPhone) => Promise<void>): Promise<void> {
    const pair = phones(t);
    if (pair === undefined) return;
    try {
      await body(...pair);
    } catch (err) {
      failedStep = t.name;
      throw err;
    }
  }

  before(async () => {
    // Passthrough named rather than defaulted: this test is about media going browser to browser.
    harness = await startHarness({ protocols: ['ws'], accounts: ACCOUNTS, extra: { media: { mode: 'passthrough' } } });
    server = await startBrowserPhoneServer();
    // allSettled: if one browser fails to start, the other is still kept, so after() closes it.
    const launched = await Promise.allSettled([
      BrowserPhone.launch({ server, name: 'alice', toneHz: ALICE.toneHz }),
      BrowserPhone.launch({ server, name: 'bob', toneHz: BOB.toneHz }),
    ]);
    [alice, bob] = launched.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
    for (const result of launched) if (result.status === 'rejected') throw result.reason;
  });

  after(() => closeAll([alice, bob], server, harness));

  void it('both phones register over WS', (t) => step(t, async (a, b) => {
    const url = wsUrl(harness!);
    const domain = harness!.domain;
    await Promise.all([
      a.register({ wsUrl: url, domain, user: ALICE.user, password: ALICE.password, displayName: ALICE.displayName }),
      b.register({ wsUrl: url, domain, user: BOB.user, password: BOB.password, displayName: BOB.displayName }),
    ]);
    const [ra, rb] = await Promise.all([a.waitForRegistered(), b.waitForRegistered()]);
    assert.equal(ra.statusCode, 200);
    assert.equal(rb.statusCode, 200);
    for (const user of [ALICE.user, BOB.user]) {
      assert.deepEqual((await bindingsOf(harness!, user)).map((binding) => binding.protocol), ['ws'], `one WS binding for ${user}`);
    }
  }));

  void it('alice calls bob: bob rings with alice as the caller, answers, and each hears the other\'s tone', (t) => step(t, async (a, b) => {
    await a.call(BOB.user);
    const ringing = await b.waitForCallState('ringing', CALL_SETUP_MS);
    assert.equal(ringing.direction, 'incoming');
    assert.equal(ringing.remoteNumber, ALICE.user);
    assert.equal(ringing.remoteName, ALICE.displayName);
    await a.waitForCallState('ringing', CALL_SETUP_MS);
    await b.answer();
    const [ca, cb] = await Promise.all([a.waitForCallState('connected', CALL_SETUP_MS), b.waitForCallState('connected', CALL_SETUP_MS)]);
    assert.equal(ca.statusCode, 200);
    assert.equal(cb.mediaDirection, 'sendrecv');
    const [aHears, bHears] = await Promise.all([a.hears(BOB.toneHz), b.hears(ALICE.toneHz)]);
    t.diagnostic(`alice hears ${aHears.frequencyHz.toFixed(0)} Hz at ${aHears.levelDb.toFixed(1)} dBFS; bob hears ${bHears.frequencyHz.toFixed(0)} Hz at ${bHears.levelDb.toFixed(1)} dBFS`);
    // Passthrough: each browser's media goes straight to the other one, on this host.
    const [ra, rb] = await Promise.all([a.mediaRoute(), b.mediaRoute()]);
    assert.ok(ra !== null && rb !== null, 'both phones have a selected ICE candidate pair');
    assertSendsTo(ra, rb, 'alice → bob');
    assertSendsTo(rb, ra, 'bob → alice');
    t.diagnostic(`media: alice ${endpointText(ra.local)} → ${endpointText(ra.remote)}; bob ${endpointText(rb.local)} → ${endpointText(rb.remote)}`);
  }));

  void it('alice holds: the re-INVITE goes through (bob answers recvonly), neither hears the other; resume brings both tones back', (t) => step(t, async (a, b) => {
    await a.hold();
    const held = await b.waitFor('media recvonly after the hold re-INVITE', (s) => s.call.mediaDirection === 'recvonly');
    assert.equal(held.call.state, 'connected');
    assert.equal((await a.state()).call.onHold, true);
    await Promise.all([b.stopsHearing(ALICE.toneHz), a.stopsHearing(BOB.toneHz)]);
    await a.unhold();
    await b.waitFor('media sendrecv after the resume re-INVITE', (s) => s.call.mediaDirection === 'sendrecv');
    await Promise.all([a.hears(BOB.toneHz), b.hears(ALICE.toneHz)]);
  }));

  void it('DTMF in SIP INFO: digits bob sends reach alice in order, and the other way round', (t) => step(t, async (a, b) => {
    await b.sendDtmf('123#', { info: true });
    assert.equal(await a.waitForInfoDigits('123#'), '123#');
    await a.sendDtmf('9*0', { info: true });
    assert.equal(await b.waitForInfoDigits('9*0'), '9*0');
    // RFC 4733 events cannot be observed in the far browser; sending them at least proves that
    // telephone-event was negotiated end to end (RTCDTMFSender refuses otherwise).
    await a.sendDtmf('4');
  }));

  void it('alice hangs up: both phones end the call, bob seeing a remote hang-up', (t) => step(t, async (a, b) => {
    await a.hangup();
    const [ea, eb] = await Promise.all([a.waitForCallState('ended'), b.waitForCallState('ended')]);
    assert.equal(ea.endCause, 'local-hangup');
    assert.equal(eb.endCause, 'remote-hangup');
  }));

  void it('both phones unregister: the IPBX drops their bindings', (t) => step(t, async (a, b) => {
    await Promise.all([a.unregister(), b.unregister()]);
    for (const user of [ALICE.user, BOB.user]) assert.deepEqual(await bindingsOf(harness!, user), [], `no binding left for ${user}`);
  }));
});

void describe('browser phone with a wrong password', () => {
  let harness: IpbxHarness | undefined;
  let server: BrowserPhoneServer | undefined;
  let phone: BrowserPhone | undefined;

  before(async () => {
    harness = await startHarness({ protocols: ['ws'], accounts: ACCOUNTS });
    server = await startBrowserPhoneServer();
    phone = await BrowserPhone.launch({ server, name: 'mallory' });
  });

  after(() => closeAll([phone], server, harness));

  void it('shows a failed registration with the IPBX\'s 401/403 on the page', async (t) => {
    await phone!.register({ wsUrl: wsUrl(harness!), domain: harness!.domain, user: ALICE.user, password: 'not-alice-s-password' });
    const registration = await phone!.waitForRegistrationState('failed');
    assert.ok(registration.statusCode === 401 || registration.statusCode === 403, `status ${registration.statusCode} ${registration.reason}`);
    t.diagnostic(`registration refused: ${registration.statusCode} ${registration.reason}`);
    assert.deepEqual(await bindingsOf(harness!, ALICE.user), [], 'no binding for a refused REGISTER');
  });
});
