// The rtpengine control plane against the REAL rtpengine (Debian rtpengine-daemon, userspace mode,
// everything on 127.0.0.1): a call between two plain RTP endpoints whose audio is relayed both ways
// and heard (tone detection), query/delete, DTMF both as the DTMF log of digits an endpoint sends
// and injected with `play DTMF`, `play media`, pcap recording, the supervisor restarting a killed rtpengine and the
// pool reporting its calls lost, a missing binary, and failover between two external instances.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaControl, MediaDtmfEvent, NgDictionary } from '../../ipbx/media/media-control.ts';
import { MediaError } from '../../ipbx/media/media-error.ts';
import { NgClient } from '../../ipbx/media/ng/ng-client.ts';
import { createRtpengineControl } from '../../ipbx/media/rtpengine/create-rtpengine-control.ts';
import { RtpengineProcess } from '../../ipbx/media/rtpengine/rtpengine-process.ts';
import { detectTone } from '../../scenarios/audio/index.ts';
import { PLAIN_RTP_FLAGS, startRtpengine, type StartedRtpengine } from '../helpers/rtpengine.ts';
import { RtpEndpoint, sdpAudioPort, sdpConnectionAddress } from '../helpers/rtp-endpoint.ts';
import { toneWav } from '../helpers/tones.ts';
import { within } from '../helpers/stack-pair.ts';

const TIMEOUT = { timeout: 60_000 };
let callCounter = 0;

interface Call {
  callId: string;
  fromTag: string;
  toTag: string;
  caller: RtpEndpoint;
  callee: RtpEndpoint;
  offerReply: NgDictionary;
  answerReply: NgDictionary;
}

/** Offer (caller's SDP) and answer (callee's SDP) through `control`; each endpoint then sends to the rtpengine port the other's rewritten SDP names. */
async function setUpCall(t: TestContext, control: MediaControl, extra: NgDictionary = {}): Promise<Call> {
  const callId = `call-${process.pid}-${++callCounter}`;
  const [caller, callee] = await Promise.all([RtpEndpoint.open(), RtpEndpoint.open()]);
  t.after(() => Promise.all([caller.close(), callee.close()]));
  const fromTag = `from-${callCounter}`;
  const toTag = `to-${callCounter}`;
  const offerReply = await control.command('offer', { 'call-id': callId, 'from-tag': fromTag, sdp: caller.sdp(), ...PLAIN_RTP_FLAGS, ...extra });
  const answerReply = await control.command('answer', { 'call-id': callId, 'from-tag': fromTag, 'to-tag': toTag, sdp: callee.sdp(), ...PLAIN_RTP_FLAGS, ...extra });
  const towardsCallee = sdpOf(offerReply);
  const towardsCaller = sdpOf(answerReply);
  callee.remote = { address: sdpConnectionAddress(towardsCallee), port: sdpAudioPort(towardsCallee) };
  caller.remote = { address: sdpConnectionAddress(towardsCaller), port: sdpAudioPort(towardsCaller) };
  return { callId, fromTag, toTag, caller, callee, offerReply, answerReply };
}

function sdpOf(reply: NgDictionary): string {
  const sdp = reply['sdp'];
  assert.equal(typeof sdp, 'string', `a reply without SDP: ${JSON.stringify(reply)}`);
  return sdp as string;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<MediaError> {
  let caught: unknown;
  await within(promise.then(() => assert.fail(`expected ${code}`), (err: unknown) => { caught = err; }), `the ${code} rejection`, 30_000);
  assert.ok(caught instanceof MediaError, `not a MediaError: ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

function collectDtmf(control: MediaControl): MediaDtmfEvent[] {
  const events: MediaDtmfEvent[] = [];
  control.onDtmf((event) => events.push(event));
  return events;
}

/** Waits (bounded) until `condition` holds, polling every 20 ms. */
async function eventually(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  await within((async () => { while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20)); })(), what, ms);
}

describe('rtpengine (real, embedded)', () => {
  let engine: StartedRtpengine;
  let dtmfEvents: MediaDtmfEvent[];
  before(async () => {
    engine = await startRtpengine();
    dtmfEvents = collectDtmf(engine.control);
  });
  after(() => engine.close());

  test('answers ping with pong', TIMEOUT, async () => {
    assert.deepEqual(await engine.control.command('ping', {}), { result: 'pong' });
  });

  test('offer/answer rewrite the SDP to rtpengine ports, RTP is relayed both ways, query sees it, delete ends it', TIMEOUT, async (t) => {
    const call = await setUpCall(t, engine.control);
    for (const remote of [call.caller.remote, call.callee.remote]) {
      assert.ok(remote !== undefined && remote.address === '127.0.0.1', JSON.stringify(remote));
      assert.ok(remote.port >= engine.portMin && remote.port <= engine.portMax, `port ${remote.port} within ${engine.portMin}-${engine.portMax}`);
    }
    assert.notEqual(call.caller.remote?.port, call.callee.remote?.port);

    // Each side talks for 1 s in its own frequency; each must hear the other's, from rtpengine's port.
    await Promise.all([call.caller.sendTone(440, 1000), call.callee.sendTone(1000, 1000)]);
    await call.callee.until(() => call.callee.received.length >= 45, 'the caller\'s audio at the callee');
    await call.caller.until(() => call.caller.received.length >= 45, 'the callee\'s audio at the caller');
    const heardByCallee = detectTone(call.callee.receivedAudio(), 8000, 440);
    const heardByCaller = detectTone(call.caller.receivedAudio(), 8000, 1000);
    assert.ok(heardByCallee.detected, `callee: ${heardByCallee.summary}`);
    assert.ok(heardByCaller.detected, `caller: ${heardByCaller.summary}`);
    assert.ok(!detectTone(call.callee.receivedAudio(), 8000, 1000).detected, 'the callee does not hear itself');
    assert.equal(call.callee.received[0]?.from.port, call.callee.remote?.port, 'the callee receives from the port it sends to (symmetric RTP)');
    assert.equal(call.caller.received[0]?.from.port, call.caller.remote?.port);

    const query = await engine.control.command('query', { 'call-id': call.callId });
    const tags = query['tags'] as NgDictionary;
    assert.deepEqual(Object.keys(tags).sort(), [call.fromTag, call.toTag].sort());
    const totals = (query['totals'] as NgDictionary)['RTP'] as NgDictionary;
    assert.ok(typeof totals['packets'] === 'number' && totals['packets'] >= 90, JSON.stringify(totals));

    const list = await engine.control.command('list', {});
    assert.ok((list['calls'] as string[]).includes(call.callId));
    await engine.control.command('delete', { 'call-id': call.callId, 'from-tag': call.fromTag });
    const error = await rejectsWith(engine.control.command('query', { 'call-id': call.callId }), 'MEDIA_NG_ERROR');
    assert.match(error.message, /Unknown call-id/i);
  });

  test('an SDP rtpengine cannot parse rejects MEDIA_NG_ERROR with its reason', TIMEOUT, async () => {
    const error = await rejectsWith(engine.control.command('offer', { 'call-id': 'bad-sdp', 'from-tag': 'f', sdp: 'not an SDP', ...PLAIN_RTP_FLAGS }), 'MEDIA_NG_ERROR');
    assert.match(error.message, /Failed to parse SDP/);
    assert.equal(error.sipStatus, 488);
  });

  test('the DTMF log reports RFC 4733 digits an endpoint sends, with the sender\'s tag and duration', TIMEOUT, async (t) => {
    const call = await setUpCall(t, engine.control);
    await call.caller.sendTone(440, 100);
    await call.caller.sendDigit('1', 100);
    await call.caller.sendDigit('#', 160);
    await call.callee.sendDigit('9', 60);
    const mine = (): MediaDtmfEvent[] => dtmfEvents.filter((event) => event.callId === call.callId);
    await eventually(() => mine().length >= 3, 'three DTMF log events');
    assert.deepEqual(mine(), [
      { callId: call.callId, sourceTag: call.fromTag, digit: '1', durationMs: 100 },
      { callId: call.callId, sourceTag: call.fromTag, digit: '#', durationMs: 160 },
      { callId: call.callId, sourceTag: call.toTag, digit: '9', durationMs: 60 },
    ]);
    assert.deepEqual(call.callee.receivedEvents().filter((e) => e.end).map((e) => e.digit), ['1', '1', '1', '#', '#', '#'], 'the events are relayed too');
    await engine.control.command('delete', { 'call-id': call.callId, 'from-tag': call.fromTag });
  });

  test('play DTMF injects telephone-events towards the peer (needs the inject-DTMF flag at offer/answer)', TIMEOUT, async (t) => {
    const call = await setUpCall(t, engine.control, { flags: ['inject-DTMF'] });
    // Injection rides on the caller's stream: keep it flowing meanwhile.
    const talking = call.caller.sendTone(440, 1500);
    await call.callee.until(() => call.callee.received.length >= 5, 'audio before the DTMF');
    await engine.control.command('play DTMF', { 'call-id': call.callId, 'from-tag': call.fromTag, code: '7', duration: 100 });
    await call.callee.until(() => call.callee.receivedEvents().some((e) => e.end), 'the injected digit at the callee');
    assert.equal(call.callee.receivedEvents()[0]?.digit, '7');
    await eventually(() => dtmfEvents.some((e) => e.callId === call.callId), 'the injected digit in the DTMF log');
    assert.deepEqual(dtmfEvents.filter((e) => e.callId === call.callId).map((e) => [e.digit, e.sourceTag]), [['7', call.fromTag]]);
    await talking;
    await engine.control.command('delete', { 'call-id': call.callId, 'from-tag': call.fromTag });
  });

  test('play media plays a WAV to the party named by from-tag', TIMEOUT, async (t) => {
    const call = await setUpCall(t, engine.control);
    const file = await toneWav(800, { seconds: 1 });
    const reply = await engine.control.command('play media', { 'call-id': call.callId, 'from-tag': call.fromTag, file });
    assert.equal(reply['duration'], 1000);
    await call.caller.until(() => call.caller.received.length >= 45, 'the played file at the caller');
    const heard = detectTone(call.caller.receivedAudio(), 8000, 800);
    assert.ok(heard.detected, heard.summary);
    assert.equal(call.callee.received.length, 0, 'the callee hears nothing of it');
    await engine.control.command('delete', { 'call-id': call.callId, 'from-tag': call.fromTag });
  });
});

describe('rtpengine recording', () => {
  test('start/stop recording writes the call\'s RTP to a pcap under the recording dir', TIMEOUT, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'voiplab-rtpengine-rec-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const engine = await startRtpengine({ dtmf: false, recordingDir: join(dir, 'recordings') });
    t.after(() => engine.close());
    const call = await setUpCall(t, engine.control);
    await engine.control.command('start recording', { 'call-id': call.callId, 'from-tag': call.fromTag });
    await Promise.all([call.caller.sendTone(440, 400), call.callee.sendTone(1000, 400)]);
    await call.callee.until(() => call.callee.received.length >= 15, 'audio through the recorded call');
    await engine.control.command('stop recording', { 'call-id': call.callId, 'from-tag': call.fromTag });
    await engine.control.command('delete', { 'call-id': call.callId, 'from-tag': call.fromTag });
    // rtpengine names it CALLID-RANDOM.pcap in pcaps/, with a metadata file in metadata/.
    const pcaps = readdirSync(join(dir, 'recordings', 'pcaps')).filter((name) => name.startsWith(`${call.callId}-`) && name.endsWith('.pcap'));
    assert.equal(pcaps.length, 1, readdirSync(join(dir, 'recordings', 'pcaps')).join(', '));
    const pcap = readFileSync(join(dir, 'recordings', 'pcaps', pcaps[0] ?? ''));
    assert.equal(pcap.readUInt32LE(0), 0xa1b2c3d4, 'a pcap file (magic number)');
    assert.ok(pcap.length > 24 + 15 * 172, `holds the packets: ${pcap.length} bytes`);
  });
});

describe('rtpengine supervision', () => {
  test('a killed rtpengine is restarted, and its calls are reported lost', TIMEOUT, async (t) => {
    const engine = await startRtpengine({ dtmf: false });
    t.after(() => engine.close());
    const lost: Array<{ callIds: string[]; reason: string }> = [];
    engine.control.onSessionsLost((callIds, reason) => lost.push({ callIds, reason }));
    const first = await setUpCall(t, engine.control);
    const second = await setUpCall(t, engine.control);
    const oldPid = engine.process.pid;
    assert.ok(oldPid !== undefined);

    const restarted = once(engine.process, 'restarted');
    process.kill(oldPid, 'SIGKILL');
    await within(restarted, 'the restart', 30_000);
    assert.equal(lost.length, 1);
    assert.deepEqual(lost[0]?.callIds.sort(), [first.callId, second.callId].sort());
    assert.match(lost[0]?.reason ?? '', /exited \(signal SIGKILL\)/);
    assert.notEqual(engine.process.pid, oldPid);

    // The same ng port serves the new process: calls work again, and the old ones are gone.
    assert.equal((await engine.control.command('ping', {}))['result'], 'pong');
    await rejectsWith(engine.control.command('query', { 'call-id': first.callId }), 'MEDIA_NG_ERROR');
    const third = await setUpCall(t, engine.control);
    await engine.control.command('delete', { 'call-id': third.callId, 'from-tag': third.fromTag });
  });

  test('gives up with MEDIA_RTPENGINE_FAILED when it keeps dying', TIMEOUT, async (t) => {
    // Log level 6 (info): rtpengine then says "Startup complete", so there are log lines to quote.
    const engine = await startRtpengine({ dtmf: false, logLevel: 6, restart: { maxRestarts: 1, initialDelayMs: 10 } });
    t.after(() => engine.close());
    const failed = once(engine.process, 'failed') as Promise<[MediaError]>;
    const restarted = once(engine.process, 'restarted');
    process.kill(engine.process.pid ?? 0, 'SIGKILL');
    await within(restarted, 'the first restart', 30_000);
    process.kill(engine.process.pid ?? 0, 'SIGKILL');
    const [error] = await within(failed, 'giving up', 30_000);
    assert.equal(error.code, 'MEDIA_RTPENGINE_FAILED');
    assert.match(error.message, /exited 2 times within 60000 ms; giving up; its last log lines:\n.*Startup complete/s);
    await rejectsWith(engine.control.command('offer', { 'call-id': 'after-failure', 'from-tag': 'f', sdp: 'v=0', ...PLAIN_RTP_FLAGS }), 'MEDIA_NO_INSTANCE');
  });

  test('a start that fails reports rtpengine\'s own error lines', TIMEOUT, async () => {
    const engine = new RtpengineProcess({ extraArgs: ['--interface=999.1.1.1'], portMin: 20_000, portMax: 20_099 });
    const error = await rejectsWith(engine.start(), 'MEDIA_RTPENGINE_FAILED');
    assert.match(error.message, /did not start: it exited \(code \d+\)/);
    assert.match(error.message, /999\.1\.1\.1/, 'the message quotes rtpengine\'s complaint');
    await engine.stop();
  });

  test('a missing binary is MEDIA_RTPENGINE_MISSING, naming the Debian package', TIMEOUT, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voiplab-no-rtpengine-'));
    try {
      const error = await rejectsWith(createRtpengineControl({ embedded: { binary: join(dir, 'rtpengine') } }), 'MEDIA_RTPENGINE_MISSING');
      assert.ok(error.message.includes('install the Debian package `rtpengine-daemon` (apt-get install rtpengine-daemon) or set media.rtpengine.binary'), error.message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rtpengine pool over external instances', () => {
  test('spreads new calls, fails over when one stops, reports its calls lost, and takes it back when it answers again', TIMEOUT, async (t) => {
    const [one, two] = await Promise.all([startRtpengine({ dtmf: false }), startRtpengine({ dtmf: false })]);
    t.after(() => Promise.all([one.close(), two.close()]));
    const lines: string[] = [];
    const control = await createRtpengineControl({
      external: [{ address: '127.0.0.1', port: one.ngPort }, { address: '127.0.0.1', port: two.ngPort }],
      timeoutMs: 100, retries: 1, healthCheckIntervalMs: 100, lostGraceMs: 500,
      log: (line) => lines.push(line),
    });
    t.after(() => control.close());
    const lost: Array<{ callIds: string[]; reason: string }> = [];
    control.onSessionsLost((callIds, reason) => lost.push({ callIds, reason }));
    const callsOn = async (engine: StartedRtpengine): Promise<string[]> => {
      const probe = new NgClient({ address: '127.0.0.1', port: engine.ngPort });
      try {
        return ((await probe.command('list', {}))['calls'] as string[]).sort();
      } finally {
        await probe.close();
      }
    };

    const a = await setUpCall(t, control);
    const b = await setUpCall(t, control);
    const onOne = await callsOn(one);
    const onTwo = await callsOn(two);
    assert.deepEqual([onOne.length, onTwo.length], [1, 1], 'one call each');
    const callOnOne = onOne[0] === a.callId ? a : b;

    const ngPortOfOne = one.ngPort;
    await one.process.stop();
    const c = await setUpCall(t, control);
    const d = await setUpCall(t, control);
    assert.deepEqual(await callsOn(two), [...onTwo, c.callId, d.callId].sort(), 'both new calls went to the instance still up');
    assert.ok(lines.some((line) => line.includes('marked down')), lines.join('\n'));

    await eventually(() => lost.length > 0, 'the calls of the stopped instance reported lost');
    assert.deepEqual(lost[0]?.callIds, [callOnOne.callId]);
    assert.match(lost[0]?.reason ?? '', /did not answer for 500 ms/);

    // A new rtpengine on the same ng port: the health check brings the instance back for new calls.
    const revived = new RtpengineProcess({ ngPort: ngPortOfOne, portMin: one.portMin, portMax: one.portMax });
    t.after(() => revived.stop());
    await revived.start();
    await eventually(() => lines.some((line) => /external#1 .* is up/.test(line)), 'the health check to see it up');
    const e = await setUpCall(t, control);
    const f = await setUpCall(t, control);
    const revivedProbe = new NgClient({ address: '127.0.0.1', port: ngPortOfOne });
    t.after(() => revivedProbe.close());
    const onRevived = ((await revivedProbe.command('list', {}))['calls'] as string[]).sort();
    assert.deepEqual(onRevived, [e.callId, f.callId].sort(), 'the revived instance, with the fewest calls, takes the new ones');
  });
});
