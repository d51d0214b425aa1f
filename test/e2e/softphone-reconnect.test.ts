// A call kept across a WebSocket reconnection: alice's softphone reaches the IPBX's WSS listener
// through a TCP relay of the test's own, so the test can cut her connection the way a network
// drop does (both TCP sockets reset, nothing said at the WebSocket level). Mid-call, the relay
// resets her connection; her phone shows "reconnecting", opens a new WebSocket, registers again
// and sends a re-INVITE with an ICE restart over it. The call stays up, each side hears the
// other again through rtpengine, and bob's hang-up reaches alice over the new connection.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { IpbxHarness } from '../helpers/ipbx-harness.ts';
import { softphoneUrl, startSoftphoneIpbx } from '../helpers/softphone-ipbx.ts';
import { SoftphonePage } from '../helpers/softphone-page.ts';
import { dependentSteps } from '../helpers/softphone-steps.ts';

const ALICE = { user: '1001', password: 'alice-secret-1001', displayName: 'Alice', toneHz: 1000 };
const BOB = { user: '1002', password: 'bob-secret-1002', displayName: 'Bob', toneHz: 1500 };
const CALL_SETUP_MS = 20_000;
/** The phone's first reconnection attempt comes 0.5 s after the drop; registering and the re-INVITE follow. */
const CARRY_OVER_MS = 20_000;

/** The ICE ufrag of each INVITE alice's phone sent (its SIP trace), oldest first. */
async function sentInviteUfrags(phone: SoftphonePage): Promise<string[]> {
  const trace = await phone.page.evaluate(() => (globalThis as unknown as { voiplab: { sipTrace(): string[] } }).voiplab.sipTrace());
  return trace.filter((m) => /^Sending WebSocket message:\s*INVITE /.test(m)).map((m) => /a=ice-ufrag:(\S+)/.exec(m)?.[1] ?? '?');
}

interface TcpRelay {
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Resets every relayed connection, both sides (RST), as a network drop would. */
  dropAll(): void;
  close(): Promise<void>;
}

/** Relays TCP connections to 127.0.0.1:targetPort byte for byte (TLS passes through untouched). */
async function tcpRelay(targetPort: number): Promise<TcpRelay> {
  const live = new Set<Socket>();
  let accepted = 0;
  const track = (socket: Socket) => {
    live.add(socket);
    socket.on('close', () => live.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    accepted: () => accepted,
    dropAll: () => {
      for (const socket of live) socket.resetAndDestroy();
    },
    close: () => {
      for (const socket of live) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

void describe('softphone: a call survives a WebSocket reconnection (re-REGISTER, re-INVITE with ICE restart)', () => {
  let harness: IpbxHarness | undefined;
  let relay: TcpRelay | undefined;
  let alice: SoftphonePage | undefined;
  let bob: SoftphonePage | undefined;

  const step = dependentSteps(() => (alice !== undefined && bob !== undefined && relay !== undefined ? [alice, bob, relay] as [SoftphonePage, SoftphonePage, TcpRelay] : undefined));

  before(async () => {
    const started = await startSoftphoneIpbx([ALICE, BOB]);
    harness = started;
    relay = await tcpRelay(started.wssPort);
    const signIn = (account: typeof ALICE, server?: string) => ({
      user: account.user, password: account.password, name: account.displayName, audioProcessing: '0', ...(server === undefined ? {} : { server }),
    });
    const launched = await Promise.allSettled([
      SoftphonePage.launch({ name: 'alice', url: softphoneUrl(harness, signIn(ALICE, `wss://127.0.0.1:${relay.port}`)), toneHz: ALICE.toneHz, trustCertificate: harness.certificate }),
      SoftphonePage.launch({ name: 'bob', url: softphoneUrl(harness, signIn(BOB)), toneHz: BOB.toneHz, trustCertificate: harness.certificate }),
    ]);
    [alice, bob] = launched.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
    for (const result of launched) if (result.status === 'rejected') throw result.reason;
    await Promise.all([alice?.waitForRegistered(), bob?.waitForRegistered()]);
  });

  after(async () => {
    await Promise.allSettled([alice?.close(), bob?.close()]);
    await relay?.close();
    await harness?.close();
  });

  void it('alice calls bob; each hears the other', (t) => step(t, async (a, b) => {
    await a.dial(BOB.user);
    const incoming = await b.waitForCall('incoming', CALL_SETUP_MS);
    await b.click('answer-button', incoming.id);
    await Promise.all([a.waitForCall('connected', CALL_SETUP_MS), b.waitForCall('connected', CALL_SETUP_MS)]);
    await Promise.all([a.hears(BOB.toneHz), b.hears(ALICE.toneHz)]);
  }));

  void it('her connection is reset mid-call: she reconnects, registers again and restarts ICE in a re-INVITE; the call stays up', (t) => step(t, async (a, b, r) => {
    const connectionsBefore = r.accepted();
    r.dropAll();
    await a.waitFor('the phone to notice the drop', (s) => s.registration.state === 'reconnecting');
    const state = await a.waitFor('the call carried over (one ICE restart)', (s) => s.registration.state === 'registered' && s.calls.some((c) => c.state === 'connected' && c.iceRestarts >= 1), CARRY_OVER_MS);
    assert.ok(r.accepted() > connectionsBefore, 'a new TCP connection went through the relay');
    assert.equal(state.lastError, null, 'the "connection lost" message is gone once registered again');
    const ufrags = await sentInviteUfrags(a);
    assert.ok(ufrags.length >= 2 && ufrags.at(-1) !== ufrags[0], `the re-INVITE restarts ICE with a new ufrag (INVITEs sent: ${ufrags.join(', ')})`);
    assert.equal((await b.waitForCall('connected')).state, 'connected', 'bob\'s call is still up');
  }));

  void it('after the carry-over, each hears the other again', (t) => step(t, async (a, b) => {
    const [aHears, bHears] = await Promise.all([a.hears(BOB.toneHz), b.hears(ALICE.toneHz)]);
    t.diagnostic(`alice hears ${aHears.frequencyHz.toFixed(0)} Hz at ${aHears.levelDb.toFixed(1)} dBFS; bob hears ${bHears.frequencyHz.toFixed(0)} Hz at ${bHears.levelDb.toFixed(1)} dBFS`);
  }));

  void it('bob hangs up: the BYE reaches alice over her new connection', (t) => step(t, async (a, b) => {
    // The IPBX moved alice's leg to her new connection when her re-INVITE came over it (flow-follow.ts).
    await b.click('hangup-button');
    assert.equal((await a.waitForCall('ended')).endCause, 'remote-hangup');
  }));
});
