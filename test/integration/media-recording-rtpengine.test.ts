// Recording with a real rtpengine (userspace, pcap method): two UDP parties on 127.0.0.1 talk
// through it (the caller sends 1 kHz, the callee 1.5 kHz), rtpengine records, the call is deleted,
// and the RecordingService turns rtpengine's raw files into a stereo WAV whose left channel holds
// the caller's tone and the right the callee's; rtpengine's files are gone afterwards. Also with
// recording turned on between offer and answer, and with a callee that speaks opus (rtpengine
// transcodes; the recording is then 16 kHz).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { NgDictionary } from '../../ipbx/media/media-control.ts';
import { RecordingService, type FinishedCall } from '../../ipbx/media/recording/recording-service.ts';
import { openDatabase, type Db } from '../../ipbx/store/open-database.ts';
import { SqliteRecordingStore } from '../../ipbx/store/sqlite-recording-store.ts';
import { channel, detectTone, durationMs, readWav } from '../../scenarios/audio/index.ts';
import { PLAIN_RTP_FLAGS, startRtpengine, type StartedRtpengine } from '../helpers/rtpengine.ts';
import { RtpEndpoint, encodeRtp, parseRtp, sdpAudioPort, sdpConnectionAddress } from '../helpers/rtp-endpoint.ts';
import { within } from '../helpers/stack-pair.ts';

const CALLER_HZ = 1000;
const CALLEE_HZ = 1500;
const TONE_MS = 2000;
const OPUS_PAYLOAD_TYPE = 96;

/** A party that speaks opus only: it keeps what it receives and sends packets it is given, paced. */
class OpusParty {
  readonly received: Buffer[] = [];
  remote: { address: string; port: number } | undefined;
  readonly #socket: Socket;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (datagram) => {
      const rtp = parseRtp(datagram);
      if (rtp?.payloadType === OPUS_PAYLOAD_TYPE) this.received.push(Buffer.from(rtp.payload));
    });
  }

  static async open(): Promise<OpusParty> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new OpusParty(socket);
  }

  sdp(): string {
    const port = this.#socket.address().port;
    return ['v=0', 'o=- 4242 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP ${OPUS_PAYLOAD_TYPE}`, `a=rtpmap:${OPUS_PAYLOAD_TYPE} opus/48000/2`, 'a=sendrecv', ''].join('\r\n');
  }

  /** Sends these opus payloads as its own stream, one per 20 ms on an absolute schedule. */
  async send(payloads: readonly Buffer[]): Promise<void> {
    const remote = this.remote;
    if (remote === undefined) throw new Error('OpusParty: no remote');
    const start = Date.now();
    for (const [n, payload] of payloads.entries()) {
      const packet = encodeRtp({ payloadType: OPUS_PAYLOAD_TYPE, marker: n === 0, sequence: 7000 + n, timestamp: 123_456 + n * 960, ssrc: 0x0abc_def0, payload });
      this.#socket.send(packet, remote.port, remote.address);
      await delay(Math.max(0, start + (n + 1) * 20 - Date.now()));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

describe('call recording through a real rtpengine', () => {
  let root: string;
  let spool: string;
  let rtpengine: StartedRtpengine;
  let db: Db;
  let service: RecordingService;
  const logs: string[] = [];
  let callCount = 0;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'voiplab-rtpengine-recording-'));
    spool = join(root, 'rtpengine-recordings');
    rtpengine = await startRtpengine({ recordingDir: spool, dtmf: false });
    db = openDatabase(join(root, 'data'));
    service = new RecordingService({ recordingDir: spool, dataDir: join(root, 'data'), store: new SqliteRecordingStore(db), log: (line) => logs.push(line), filesTimeoutMs: 10_000 });
    await service.start();
  });

  after(async () => {
    await service?.close();
    db?.close();
    await rtpengine?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const command = (name: Parameters<StartedRtpengine['control']['command']>[0], params: NgDictionary) => rtpengine.control.command(name, params);
  const remoteOf = (sdp: NgDictionary[string] | undefined) => {
    const text = Buffer.isBuffer(sdp) ? sdp.toString('utf8') : typeof sdp === 'string' ? sdp : '';
    return { address: sdpConnectionAddress(text), port: sdpAudioPort(text) };
  };
  const newCall = (): FinishedCall => ({ callId: `rec-${process.pid}-${++callCount}@voiplab.test`, callerExtension: '1001', calleeNumber: '1002', startedAt: Date.now(), endedAt: 0 });

  async function finish(call: FinishedCall) {
    await command('delete', { 'call-id': call.callId });
    const recording = await within(service.finishCall({ ...call, endedAt: Date.now() }), 'the recording to be converted', 15_000);
    assert.ok(recording, `a recording was made; log:\n${logs.join('\n')}\n${rtpengine.logLines.slice(-20).join('\n')}`);
    const file = service.audioFile(recording.id);
    assert.ok(file);
    const rawLeft = ['metadata', 'pcaps'].flatMap((sub) => readdirSync(join(spool, sub)).filter((name) => name.includes(encodeURIComponent(call.callId))));
    assert.deepEqual(rawLeft, [], 'rtpengine\'s raw files of the call are removed');
    return { recording, audio: await readWav(file) };
  }

  function assertTones(audio: Awaited<ReturnType<typeof readWav>>, calleeHz = CALLEE_HZ): void {
    const left = channel(audio, 0);
    const right = channel(audio, 1);
    const options = { skipMs: 200, minPresence: 0.7 };
    const callerOnLeft = detectTone(left, audio.sampleRate, CALLER_HZ, options);
    const calleeOnRight = detectTone(right, audio.sampleRate, calleeHz, options);
    assert.ok(callerOnLeft.detected, `left (caller): ${callerOnLeft.summary}`);
    assert.ok(calleeOnRight.detected, `right (callee): ${calleeOnRight.summary}`);
    const crossLeft = detectTone(left, audio.sampleRate, calleeHz, { skipMs: 200, minPresence: 0.05 });
    const crossRight = detectTone(right, audio.sampleRate, CALLER_HZ, { skipMs: 200, minPresence: 0.05 });
    assert.equal(crossLeft.detected, false, `left must not hold the callee: ${crossLeft.summary}`);
    assert.equal(crossRight.detected, false, `right must not hold the caller: ${crossRight.summary}`);
  }

  test('PCMU both ways, `record call` in the offer: left the caller\'s 1 kHz, right the callee\'s 1.5 kHz', async () => {
    const caller = await RtpEndpoint.open();
    const callee = await RtpEndpoint.open();
    try {
      const call = newCall();
      const offer = await command('offer', { 'call-id': call.callId, 'from-tag': 'caller-tag', sdp: caller.sdp(), 'record call': 'yes', ...PLAIN_RTP_FLAGS });
      callee.remote = remoteOf(offer['sdp']);
      const answer = await command('answer', { 'call-id': call.callId, 'from-tag': 'caller-tag', 'to-tag': 'callee-tag', sdp: callee.sdp(), ...PLAIN_RTP_FLAGS });
      caller.remote = remoteOf(answer['sdp']);
      const sendingFrom = Date.now();
      await Promise.all([caller.sendTone(CALLER_HZ, TONE_MS), callee.sendTone(CALLEE_HZ, TONE_MS)]);
      // Paced by timers: on a loaded machine the tone takes longer to send than it lasts.
      const sentOverMs = Date.now() - sendingFrom;
      await caller.until(() => caller.received.length >= 50, 'the caller to hear the callee');
      await callee.until(() => callee.received.length >= 50, 'the callee to hear the caller');

      const { recording, audio } = await finish(call);
      assert.equal(audio.channels, 2);
      assert.equal(audio.sampleRate, 8000);
      assert.ok(Math.abs(durationMs(audio) - sentOverMs) < 400, `${durationMs(audio)} ms of audio for a tone sent over ${sentOverMs} ms`);
      assert.equal(recording.durationMs, Math.round(durationMs(audio)));
      assert.equal(recording.caller, '1001');
      assertTones(audio);
      assert.deepEqual(logs.filter((l) => l.includes(call.callId)), [], 'no warning');
    } finally {
      await caller.close();
      await callee.close();
    }
  });

  test('`start recording` between offer and answer (only the answer\'s SDP is recorded): the parties are still told apart', async () => {
    const caller = await RtpEndpoint.open();
    const callee = await RtpEndpoint.open();
    try {
      const call = newCall();
      const offer = await command('offer', { 'call-id': call.callId, 'from-tag': 'caller-tag', sdp: caller.sdp(), ...PLAIN_RTP_FLAGS });
      callee.remote = remoteOf(offer['sdp']);
      await command('start recording', { 'call-id': call.callId });
      const answer = await command('answer', { 'call-id': call.callId, 'from-tag': 'caller-tag', 'to-tag': 'callee-tag', sdp: callee.sdp(), ...PLAIN_RTP_FLAGS });
      caller.remote = remoteOf(answer['sdp']);
      await Promise.all([caller.sendTone(CALLER_HZ, TONE_MS), callee.sendTone(CALLEE_HZ, TONE_MS)]);
      await callee.until(() => callee.received.length >= 50, 'the callee to hear the caller');

      const { audio } = await finish(call);
      assertTones(audio);
    } finally {
      await caller.close();
      await callee.close();
    }
  });

  test('a callee that speaks opus (rtpengine transcodes): the recording is 16 kHz and both tones are there', async () => {
    // rtpengine's own opus encoder makes the callee's 1.5 kHz stream: a first call sends 1.5 kHz
    // PCMU to an opus-only party, which keeps the opus packets rtpengine sends it.
    const source = await RtpEndpoint.open();
    const sink = await OpusParty.open();
    const caller = await RtpEndpoint.open();
    const callee = await OpusParty.open();
    const transcode: NgDictionary = { ...PLAIN_RTP_FLAGS, codec: { transcode: ['opus'] } };
    try {
      const helper = `opus-source-${process.pid}`;
      const helperOffer = await command('offer', { 'call-id': helper, 'from-tag': 'source', sdp: source.sdp(), ...transcode });
      sink.remote = remoteOf(helperOffer['sdp']);
      const helperAnswer = await command('answer', { 'call-id': helper, 'from-tag': 'source', 'to-tag': 'sink', sdp: sink.sdp(), ...PLAIN_RTP_FLAGS });
      source.remote = remoteOf(helperAnswer['sdp']);
      await source.sendTone(CALLEE_HZ, TONE_MS + 200);
      await within((async () => { while (sink.received.length < 100) await delay(20); })(), 'opus packets from rtpengine', 5_000);
      await command('delete', { 'call-id': helper });
      const opusPayloads = sink.received.slice(0, 100);

      const call = newCall();
      const offer = await command('offer', { 'call-id': call.callId, 'from-tag': 'caller-tag', sdp: caller.sdp(), 'record call': 'yes', ...transcode });
      callee.remote = remoteOf(offer['sdp']);
      const answer = await command('answer', { 'call-id': call.callId, 'from-tag': 'caller-tag', 'to-tag': 'callee-tag', sdp: callee.sdp(), ...PLAIN_RTP_FLAGS });
      caller.remote = remoteOf(answer['sdp']);
      await Promise.all([caller.sendTone(CALLER_HZ, TONE_MS), callee.send(opusPayloads)]);
      await caller.until(() => caller.received.length >= 50, 'the caller to hear the (transcoded) callee');

      const { recording, audio } = await finish(call);
      assert.equal(audio.sampleRate, 16000, 'opus makes the recording wideband');
      assert.equal(recording.sampleRate, 16000);
      assertTones(audio);
    } finally {
      await Promise.all([source.close(), sink.close(), caller.close(), callee.close()]);
    }
  });
});
