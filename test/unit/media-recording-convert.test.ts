// From rtpengine's raw recording to a stereo WAV, on synthetic captures laid out as rtpengine
// 10.5 writes them (raw-IP pcap, metadata with the SDPs it sent): the caller's tone must come out
// on the left and the callee's on the right, gaps as silence, jitter without damage, a torn
// capture without losing what was whole; and the RecordingService around it (spool → WAV + row,
// raw files removed, retention, failures logged and never thrown).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channel, detectSilence, detectTone, durationMs, readWav, sine, toInt16, type WavAudio } from '../../scenarios/audio/index.ts';
import { MediaError } from '../../ipbx/media/media-error.ts';
import { CallLegs } from '../../ipbx/media/recording/call-legs.ts';
import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from '../../ipbx/media/recording/g711.ts';
import { createPayloadDecoder } from '../../ipbx/media/recording/payload-decoder.ts';
import { parsePcap } from '../../ipbx/media/recording/pcap-reader.ts';
import { convertPcapFiles, convertRecording } from '../../ipbx/media/recording/recording-converter.ts';
import { RecordingService } from '../../ipbx/media/recording/recording-service.ts';
import { parseRtpengineMetadata } from '../../ipbx/media/recording/rtpengine-metadata.ts';
import { parseSpoolName } from '../../ipbx/media/recording/rtpengine-spool.ts';
import { parseRtp } from '../../ipbx/media/recording/rtp-packet.ts';
import { udpDatagrams } from '../../ipbx/media/recording/udp-datagrams.ts';
import { openDatabase } from '../../ipbx/store/open-database.ts';
import { SqliteRecordingStore } from '../../ipbx/store/sqlite-recording-store.ts';

// ---- synthetic captures -------------------------------------------------------------------

const CALLER = { address: '192.0.2.10', port: 40000 };
const CALLEE = { address: '192.0.2.20', port: 50000 };
/** rtpengine's ports: the offer's SDP (sent to the callee) announced 30000, the answer's 30010. */
const CALLEE_SENDS_TO = 30000;
const CALLER_SENDS_TO = 30010;
const RTPENGINE = '192.0.2.1';
const T0_US = 1_795_900_000_000_000;

interface CapturedPacket {
  timestampUs: number;
  source: { address: string; port: number };
  destinationPort: number;
  payload: Uint8Array;
}

interface StreamSpec {
  from: { address: string; port: number };
  to: number;
  frequencyHz: number;
  codec: 'PCMU' | 'PCMA';
  ssrc: number;
  /** When the first packet is captured, ms after T0. */
  startMs?: number;
  durationMs?: number;
  /** Packets whose index is in this range are not sent (lost, or the sender paused). */
  missing?: [number, number];
  /** Capture-time jitter, ± ms (deterministic). */
  jitterMs?: number;
}

function rtpPacket(payloadType: number, sequenceNumber: number, timestamp: number, ssrc: number, payload: Uint8Array): Uint8Array {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = payloadType;
  header.writeUInt16BE(sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([header, payload]);
}

/** 20 ms G.711 packets of a sine, as a phone sends them. */
function toneStream(spec: StreamSpec): CapturedPacket[] {
  const { startMs = 0, durationMs: ms = 3000, jitterMs = 0 } = spec;
  const samples = toInt16(sine({ frequencyHz: spec.frequencyHz, sampleRate: 8000, durationMs: ms, amplitude: 0.5 }));
  const encode = spec.codec === 'PCMU' ? encodeMuLaw : encodeALaw;
  const payloadType = spec.codec === 'PCMU' ? 0 : 8;
  const packets: CapturedPacket[] = [];
  const firstTimestamp = 0xffff_ff00; // wraps around during the stream
  for (let n = 0; n * 160 < samples.length; n++) {
    if (spec.missing !== undefined && n >= spec.missing[0] && n < spec.missing[1]) continue;
    const jitter = jitterMs === 0 ? 0 : Math.round(Math.sin(n * 1.7) * jitterMs * 1000);
    packets.push({
      timestampUs: T0_US + (startMs + n * 20) * 1000 + jitter,
      source: spec.from,
      destinationPort: spec.to,
      payload: rtpPacket(payloadType, 1000 + n, (firstTimestamp + n * 160) >>> 0, spec.ssrc, encode(samples.subarray(n * 160, n * 160 + 160))),
    });
  }
  return packets;
}

function ipv4Udp(packet: CapturedPacket): Buffer {
  const ip = Buffer.alloc(28);
  ip[0] = 0x45;
  ip.writeUInt16BE(28 + packet.payload.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  Buffer.from(packet.source.address.split('.').map(Number)).copy(ip, 12);
  Buffer.from(RTPENGINE.split('.').map(Number)).copy(ip, 16);
  ip.writeUInt16BE(packet.source.port, 20);
  ip.writeUInt16BE(packet.destinationPort, 22);
  ip.writeUInt16BE(8 + packet.payload.length, 24);
  return Buffer.concat([ip, packet.payload]);
}

/** A classic pcap, little-endian, microseconds; link type 101 (raw IP, rtpengine's) or 1 (Ethernet). */
function pcap(packets: CapturedPacket[], linkType: 1 | 101 = 101): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(linkType, 20);
  const records = [...packets].sort((a, b) => a.timestampUs - b.timestampUs).map((p) => {
    const frame = linkType === 1 ? Buffer.concat([Buffer.from('020000000001020000000002', 'hex'), Buffer.from([0x08, 0x00]), ipv4Udp(p)]) : ipv4Udp(p);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Math.floor(p.timestampUs / 1e6), 0);
    record.writeUInt32LE(p.timestampUs % 1e6, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    return Buffer.concat([record, frame]);
  });
  return Buffer.concat([header, ...records]);
}

function sdp(origin: string, port: number, types: string): string[] {
  const rtpmaps = types.split(' ').map((pt) => ({ 0: 'a=rtpmap:0 PCMU/8000', 8: 'a=rtpmap:8 PCMA/8000', 101: 'a=rtpmap:101 telephone-event/8000' })[Number(pt) as 0 | 8 | 101]);
  return ['v=0', `o=${origin} IN IP4 192.0.2.1`, 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', `m=audio ${port} RTP/AVP ${types}`, ...rtpmaps, 'a=sendrecv', `a=rtcp:${port + 1}`];
}

/** A metadata file as rtpengine 10.5 writes it for a call recorded from its offer on. */
function metadataText(pcapPath: string, blocks: Array<{ mode: string; lines: string[] }>): string {
  const sdpBlocks = blocks.map((b) => `Timestamp started ms: 1795900000000.100\nSDP mode: ${b.mode}\nSDP before RTP packet: 1\n\n${b.lines.map((l) => `${l}\r\n`).join('')}\n`);
  return `${pcapPath}\n\n\n${sdpBlocks.join('')}Timestamp terminated ms(first monologue): 1795900003000.000\n\ncall start time: 2026-11-28T21:25:32\ncall end time: 2026-11-28T21:25:35\n\n\n`;
}

const LEGS_FROM_OFFER = CallLegs.fromSdps([
  { mode: 'offer', lines: sdp('alice 1 1', CALLEE_SENDS_TO, '0 8 101') },
  { mode: 'answer', lines: sdp('bob 7 7', CALLER_SENDS_TO, '0 8 101') },
]);

const callerTone = (extra: Partial<StreamSpec> = {}) => toneStream({ from: CALLER, to: CALLER_SENDS_TO, frequencyHz: 1000, codec: 'PCMU', ssrc: 0x1111, ...extra });
const calleeTone = (extra: Partial<StreamSpec> = {}) => toneStream({ from: CALLEE, to: CALLEE_SENDS_TO, frequencyHz: 1500, codec: 'PCMA', ssrc: 0x2222, ...extra });

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'voiplab-recording-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
async function convert(packets: CapturedPacket[], legs = LEGS_FROM_OFFER, options: Parameters<typeof convertRecording>[3] = {}) {
  const capture = parsePcap(pcap(packets));
  const out = join(dir, `out-${fileCount++}.wav`);
  const result = await convertRecording(udpDatagrams(capture), legs, out, options);
  return { result, audio: await readWav(out) };
}

function assertChannelTone(audio: WavAudio, index: number, heard: number, notHeard: number, options: { skipMs?: number } = {}): void {
  const samples = channel(audio, index);
  const yes = detectTone(samples, audio.sampleRate, heard, options);
  assert.ok(yes.detected, `channel ${index}: ${yes.summary}`);
  const no = detectTone(samples, audio.sampleRate, notHeard, { ...options, minPresence: 0.05 });
  assert.equal(no.detected, false, `channel ${index}: ${no.summary}`);
}

// ---- tests --------------------------------------------------------------------------------

describe('G.711 and RTP', () => {
  test('μ-law and A-law decode what they encode, within the codec\'s step', () => {
    const samples = Int16Array.from([0, 1, -1, 100, -100, 1000, -1000, 8000, -8000, 32767, -32768]);
    for (const [encode, decode] of [[encodeMuLaw, decodeMuLaw], [encodeALaw, decodeALaw]] as const) {
      const back = decode(encode(samples));
      samples.forEach((s, i) => assert.ok(Math.abs((back[i] ?? 0) - s) <= Math.max(16, Math.abs(s) / 16), `${s} → ${back[i]}`));
    }
    assert.equal(decodeMuLaw(Uint8Array.from([0xff]))[0], 0, 'μ-law 0xff is silence');
    assert.equal(Math.abs(decodeALaw(Uint8Array.from([0xd5]))[0] ?? 99), 8, 'A-law 0xd5 is the smallest positive step');
  });

  test('RTP headers with CSRCs, an extension and padding give the right payload; RTCP and junk give nothing', () => {
    const payload = Uint8Array.from([1, 2, 3, 4]);
    const packet = Buffer.concat([
      Buffer.from([0xb1, 0x80 | 8, 0, 7, 0, 0, 0, 160, 0, 0, 0, 9]), // padding, extension, 1 CSRC, marker, PT 8
      Buffer.from([0, 0, 0, 1]), // CSRC
      Buffer.from([0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0]), // one-word extension
      payload, Buffer.from([0, 0, 3]), // 3 bytes of padding
    ]);
    const rtp = parseRtp(packet);
    assert.deepEqual({ ...rtp, payload: [...(rtp?.payload ?? [])] }, { payloadType: 8, marker: true, sequenceNumber: 7, timestamp: 160, ssrc: 9, payload: [1, 2, 3, 4] });
    assert.equal(parseRtp(Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0])), undefined, 'RTCP sender report');
    assert.equal(parseRtp(Buffer.from('0001000821120101', 'hex')), undefined, 'STUN');
    assert.equal(parseRtp(Buffer.from([0x80, 0])), undefined, 'too short');
    assert.equal(parseRtp(Buffer.from([0x8f, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1])), undefined, '15 CSRCs announced, none there');
  });

  test('the opus decoder starts, and takes empty or absurd payloads without throwing', async () => {
    const decoder = await createPayloadDecoder({ name: 'OPUS', clockRate: 48000 }, 16000);
    assert.ok(decoder);
    assert.equal(decoder.decode(new Uint8Array(0)).length, 0);
    assert.equal(decoder.decode(new Uint8Array(10_000)).length, 0);
    decoder.free();
    decoder.free();
    assert.equal(decoder.decode(Uint8Array.from([0xfc, 0xff, 0xfe])).length, 0, 'freed');
  });
});

describe('pcap reader', () => {
  test('raw IP and Ethernet captures give the same datagrams', () => {
    const packets = callerTone({ durationMs: 200 });
    const raw = udpDatagrams(parsePcap(pcap(packets, 101)));
    const ethernet = udpDatagrams(parsePcap(pcap(packets, 1)));
    assert.equal(raw.length, 10);
    assert.deepEqual(ethernet, raw);
    assert.deepEqual(raw[0]?.source, CALLER);
    assert.deepEqual(raw[0]?.destination, { address: RTPENGINE, port: CALLER_SENDS_TO });
    assert.equal(raw[0]?.timestampUs, T0_US);
  });

  test('a capture cut inside a packet keeps the whole packets before the cut', () => {
    const bytes = pcap(callerTone({ durationMs: 200 }));
    for (const cut of [bytes.length - 1, bytes.length - 100, 24 + 16 + 10, 24 + 8]) {
      const capture = parsePcap(bytes.subarray(0, cut));
      assert.equal(capture.truncated, true, `cut at ${cut}`);
      assert.ok(capture.packets.length < 10);
      for (const packet of capture.packets) assert.equal(packet.data.length, 28 + 172);
    }
    const absurd = Buffer.from(bytes);
    absurd.writeUInt32LE(0x7fffffff, 24 + 8); // first record claims 2 GB
    assert.deepEqual({ ...parsePcap(absurd), packets: [] }, { linkType: 101, packets: [], truncated: true });
  });

  test('what is not a pcap is MEDIA_RECORDING_FAILED naming the file, never a crash', () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /shorter than a pcap header/],
      [Buffer.alloc(30, 0x41), /not a pcap capture/],
      [Buffer.concat([Buffer.from('0a0d0d0a', 'hex'), Buffer.alloc(40)]), /pcapng/],
    ];
    for (const [bytes, message] of cases) {
      assert.throws(() => parsePcap(bytes, '/spool/x.pcap'), (err: unknown) => err instanceof MediaError && err.code === 'MEDIA_RECORDING_FAILED' && message.test(err.message) && err.message.includes('/spool/x.pcap'));
    }
    const unknownLink = pcap([]);
    unknownLink.writeUInt32LE(147, 20);
    assert.throws(() => udpDatagrams(parsePcap(unknownLink)), (err: unknown) => err instanceof MediaError && /link type 147/.test(err.message));
  });

  test('big-endian and nanosecond captures are read too', () => {
    const le = pcap(callerTone({ durationMs: 40 }));
    const be = Buffer.from(le);
    be.writeUInt32BE(0xa1b23c4d, 0); // nanoseconds, big-endian
    for (const at of [4, 6]) be.writeUInt16BE(le.readUInt16LE(at), at);
    for (const at of [8, 12, 16, 20]) be.writeUInt32BE(le.readUInt32LE(at), at);
    let offset = 24;
    while (offset < le.length) {
      const length = le.readUInt32LE(offset + 8);
      be.writeUInt32BE(le.readUInt32LE(offset), offset);
      be.writeUInt32BE(le.readUInt32LE(offset + 4) * 1000, offset + 4);
      be.writeUInt32BE(length, offset + 8);
      be.writeUInt32BE(le.readUInt32LE(offset + 12), offset + 12);
      offset += 16 + length;
    }
    assert.deepEqual(parsePcap(be).packets.map((p) => p.timestampUs), parsePcap(le).packets.map((p) => p.timestampUs));
  });
});

describe('rtpengine metadata and call legs', () => {
  test('the pcap path, the SDP blocks and the times are read from a metadata file', () => {
    const text = metadataText('/var/spool/rtpengine/pcaps/a%40b-0123456789abcdef.pcap', [
      { mode: 'offer', lines: sdp('alice 1 1', 30000, '0') },
      { mode: 'answer', lines: sdp('bob 2 2', 30010, '0') },
    ]) + 'caller=1001\n';
    const meta = parseRtpengineMetadata(text);
    assert.equal(meta.pcapFile, '/var/spool/rtpengine/pcaps/a%40b-0123456789abcdef.pcap');
    assert.deepEqual(meta.sdps.map((s) => [s.mode, s.lines.find((l) => l.startsWith('m='))]), [['offer', 'm=audio 30000 RTP/AVP 0'], ['answer', 'm=audio 30010 RTP/AVP 0']]);
    assert.equal(meta.callStartTime, '2026-11-28T21:25:32');
    assert.equal(meta.metadata, 'caller=1001');
    assert.deepEqual(parseRtpengineMetadata('').sdps, []);
  });

  test('spool names carry the percent-encoded call-id', () => {
    assert.deepEqual(parseSpoolName('rtpengine-meta-a%2Fb%40host%3Bx%3D1%20y-60db7eb651d17ddb.txt'), { callId: 'a/b@host;x=1 y', stem: 'a%2Fb%40host%3Bx%3D1%20y-60db7eb651d17ddb' });
    assert.deepEqual(parseSpoolName('A.b_c~d-e-8bf7115eb578e2fb.pcap'), { callId: 'A.b_c~d-e', stem: 'A.b_c~d-e-8bf7115eb578e2fb' });
    assert.equal(parseSpoolName('rtpengine-meta-%zz-60db7eb651d17ddb.txt'), undefined);
    assert.equal(parseSpoolName('notes.txt'), undefined);
  });

  test('an offer\'s ports are the callee\'s, an answer\'s the caller\'s; a re-INVITE from the callee is told by its o= line', () => {
    assert.equal(LEGS_FROM_OFFER.legOf(CALLEE_SENDS_TO), 'callee');
    assert.equal(LEGS_FROM_OFFER.legOf(CALLER_SENDS_TO), 'caller');
    const reinvite = CallLegs.fromSdps([
      { mode: 'offer', lines: sdp('alice 1 1', 30000, '0') },
      { mode: 'answer', lines: sdp('bob 7 7', 30010, '0') },
      { mode: 'offer', lines: sdp('bob 7 8', 30020, '8') }, // the callee re-offers: rtpengine shows it to the caller
      { mode: 'answer', lines: sdp('alice 1 2', 30030, '8') },
    ]);
    assert.equal(reinvite.legOf(30020), 'caller');
    assert.equal(reinvite.legOf(30030), 'callee');
    assert.equal(reinvite.codecOf(30020, 8)?.name, 'PCMA');
    assert.equal(reinvite.codecOf(30020, 9)?.name, 'G722', 'static payload types need no rtpmap');
    assert.equal(reinvite.codecOf(30020, 96), undefined);
  });
});

describe('convertRecording', () => {
  test('caller (PCMU 1 kHz) on the left, callee (PCMA 1.5 kHz) on the right, 8 kHz stereo', async () => {
    const { result, audio } = await convert([...callerTone(), ...calleeTone()]);
    assert.equal(audio.channels, 2);
    assert.equal(audio.sampleRate, 8000);
    assert.ok(Math.abs(durationMs(audio) - 3000) <= 20, `${durationMs(audio)} ms`);
    assertChannelTone(audio, 0, 1000, 1500);
    assertChannelTone(audio, 1, 1500, 1000);
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.streams.map((s) => [s.leg, s.codecs, s.packets, s.legGuessed]).sort(), [['callee', ['PCMA'], 150, false], ['caller', ['PCMU'], 150, false]]);
    assert.equal(result.firstPacketAt, T0_US / 1000);
  });

  test('16 kHz on request: G.711 is interpolated, the tones stay where they were', async () => {
    const { audio } = await convert([...callerTone(), ...calleeTone()], LEGS_FROM_OFFER, { sampleRate: 16000 });
    assert.equal(audio.sampleRate, 16000);
    assert.ok(Math.abs(durationMs(audio) - 3000) <= 20);
    assertChannelTone(audio, 0, 1000, 1500);
    assertChannelTone(audio, 1, 1500, 1000);
  });

  test('parties are aligned on capture time: a callee that starts 1 s later is silent on the right until then', async () => {
    const { audio } = await convert([...callerTone(), ...calleeTone({ startMs: 1000, durationMs: 2000 })]);
    const right = channel(audio, 1);
    const firstSecond = detectSilence(right.subarray(0, 7600), 8000);
    assert.ok(firstSecond.silent, firstSecond.summary);
    assertChannelTone({ ...audio, samples: right.subarray(8000), channels: 1 }, 0, 1500, 1000);
  });

  test('lost packets leave silence where they were, the rest stays in place', async () => {
    // Packets 50 to 99 (1 s to 2 s) never arrive; the RTP timestamps still count them.
    const { audio } = await convert([...callerTone({ missing: [50, 100] }), ...calleeTone()]);
    const left = channel(audio, 0);
    assert.ok(detectSilence(left.subarray(8000 + 160, 16000 - 160), 8000).silent, 'the gap is silent');
    assert.ok(detectTone(left.subarray(0, 8000), 8000, 1000).detected, 'before the gap');
    assert.ok(detectTone(left.subarray(16000, 24000), 8000, 1000).detected, 'after the gap');
    assert.ok(Math.abs(durationMs(audio) - 3000) <= 20, 'nothing was squeezed');
  });

  test('capture jitter of ±8 ms does not tear the tone (placement follows RTP timestamps)', async () => {
    const { result, audio } = await convert([...callerTone({ jitterMs: 8 }), ...calleeTone({ jitterMs: 8 })]);
    for (const [index, hz] of [[0, 1000], [1, 1500]] as const) {
      const detection = detectTone(channel(audio, index), 8000, hz, { skipMs: 100 });
      assert.ok(detection.presence > 0.97 && detection.meanRatio > 0.9, detection.summary);
    }
    assert.deepEqual(result.warnings, []);
  });

  test('RTCP, STUN, DTMF events and comfort noise on the media ports are not audio', async () => {
    const noise: CapturedPacket[] = [
      { timestampUs: T0_US + 500_000, source: CALLER, destinationPort: CALLER_SENDS_TO, payload: Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 1, ...Array<number>(20).fill(0)]) },
      { timestampUs: T0_US + 600_000, source: CALLER, destinationPort: CALLER_SENDS_TO, payload: Buffer.from('000100082112a442000000000000000000000000', 'hex') },
      { timestampUs: T0_US + 700_000, source: CALLER, destinationPort: CALLER_SENDS_TO, payload: rtpPacket(101, 1, 5600, 0x1111, Uint8Array.from([1, 0x0a, 0, 160])) },
      { timestampUs: T0_US + 800_000, source: CALLEE, destinationPort: CALLEE_SENDS_TO, payload: rtpPacket(13, 5, 99, 0x2222, Uint8Array.from([40])) },
    ];
    const { result, audio } = await convert([...callerTone(), ...calleeTone(), ...noise]);
    assertChannelTone(audio, 0, 1000, 1500);
    assertChannelTone(audio, 1, 1500, 1000);
    assert.deepEqual(result.warnings, []);
  });

  test('a codec that is not decoded (G.722) is reported and left silent', async () => {
    const g722 = callerTone().map((p) => ({ ...p, payload: Buffer.concat([Buffer.from(p.payload.subarray(0, 1)), Buffer.from([9]), Buffer.from(p.payload.subarray(2))]) }));
    const { result, audio } = await convert([...g722, ...calleeTone()]);
    assert.ok(detectSilence(channel(audio, 0), 8000).silent);
    assertChannelTone(audio, 1, 1500, 1000);
    assert.deepEqual(result.warnings, ['G722 is not decoded: its packets are left silent']);
  });

  test('without SDP (recording started after the answer) the lower rtpengine port is taken as the callee\'s, and said to be a guess', async () => {
    const { result, audio } = await convert([...callerTone(), ...calleeTone()], CallLegs.unknown());
    assertChannelTone(audio, 0, 1000, 1500);
    assertChannelTone(audio, 1, 1500, 1000);
    assert.ok(result.streams.every((s) => s.legGuessed));
    assert.match(result.warnings.join('\n'), /guessed from rtpengine's port order/);
  });

  test('with the answer\'s SDP only (recording started between offer and answer), the other stream is the callee\'s', async () => {
    const legs = CallLegs.fromSdps([{ mode: 'answer', lines: sdp('bob 7 7', CALLER_SENDS_TO, '0 8') }]);
    const { audio } = await convert([...callerTone(), ...calleeTone()], legs);
    assertChannelTone(audio, 0, 1000, 1500);
    assertChannelTone(audio, 1, 1500, 1000);
  });

  test('without SDP, a dynamic payload type stepping by 960 (20 ms at 48 kHz) is taken for opus; one stepping by 160 is not', async () => {
    const opusLike = callerTone().map((p, n) => ({ ...p, payload: rtpPacket(111, n, n * 960, 0x1111, Uint8Array.from([0x78, 1, 2, 3, 4, 5])) }));
    const unknown = calleeTone().map((p, n) => ({ ...p, payload: rtpPacket(120, n, n * 160, 0x2222, Uint8Array.from([1, 2, 3])) }));
    const { result, audio } = await convert([...opusLike, ...unknown], CallLegs.unknown());
    assert.equal(audio.sampleRate, 16000, 'opus makes the recording wideband');
    assert.deepEqual(result.streams.map((s) => s.codecs).sort(), [['OPUS'], ['payload type 120']]);
    assert.ok(result.warnings.includes('payload type 120 (no rtpmap in the recorded SDPs) is not decoded: its packets are left silent'), result.warnings.join('\n'));
  });

  test('a capture without RTP gives an empty stereo WAV and says so', async () => {
    const { result, audio } = await convert([]);
    assert.equal(audio.channels, 2);
    assert.equal(audio.samples.length, 0);
    assert.equal(result.firstPacketAt, undefined);
    assert.deepEqual(result.warnings, ['the capture holds no RTP: the recording is empty']);
  });

  test('a torn capture converts what it holds, with a warning', async () => {
    const bytes = pcap([...callerTone(), ...calleeTone()]);
    const file = join(dir, 'torn.pcap');
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const out = join(dir, 'torn.wav');
    const result = await convertPcapFiles([file], LEGS_FROM_OFFER, out);
    assert.match(result.warnings[0] ?? '', /ends inside a packet/);
    const audio = await readWav(out);
    assert.ok(durationMs(audio) > 1800 && durationMs(audio) < 2300, `${durationMs(audio)} ms`);
    assertChannelTone(audio, 0, 1000, 1500);
    assertChannelTone(audio, 1, 1500, 1000);
  });

  test('a WAV that cannot be written is MEDIA_RECORDING_FAILED', async () => {
    await assert.rejects(convertRecording([], LEGS_FROM_OFFER, join(dir, 'no-such-folder', 'x.wav')), (err: unknown) => err instanceof MediaError && err.code === 'MEDIA_RECORDING_FAILED');
  });
});

describe('RecordingService', () => {
  const CALL_ID = 'call/1@lab';
  const STEM = 'call%2F1%40lab-0123456789abcdef';

  function setup(name: string, options: { now?: () => number; filesTimeoutMs?: number } = {}) {
    const root = join(dir, name);
    const spool = join(root, 'spool');
    for (const sub of ['metadata', 'pcaps', 'tmp']) mkdirSync(join(spool, sub), { recursive: true });
    const db = openDatabase(':memory:');
    const store = new SqliteRecordingStore(db);
    const logs: string[] = [];
    let ids = 0;
    const service = new RecordingService({
      recordingDir: spool, dataDir: join(root, 'data'), store, log: (line) => logs.push(line),
      newId: () => `rec-${++ids}`, pollIntervalMs: 20, filesTimeoutMs: options.filesTimeoutMs ?? 2000, now: options.now,
    });
    const writeFinished = () => {
      writeFileSync(join(spool, 'pcaps', `${STEM}.pcap`), pcap([...callerTone(), ...calleeTone()]));
      writeFileSync(join(spool, 'metadata', `rtpengine-meta-${STEM}.txt`), metadataText(join(spool, 'pcaps', `${STEM}.pcap`), [
        { mode: 'offer', lines: sdp('alice 1 1', CALLEE_SENDS_TO, '0 8') },
        { mode: 'answer', lines: sdp('bob 7 7', CALLER_SENDS_TO, '0 8') },
      ]));
    };
    const call = { callId: CALL_ID, callerExtension: '1001', calleeNumber: '1002', startedAt: 1_700_000_000_000, endedAt: 1_700_000_003_000 };
    return { root, spool, db, store, service, logs, writeFinished, call, close: async () => { await service.close(); db.close(); } };
  }

  test('a finished call becomes a listed stereo WAV in <dataDir>/recordings, and rtpengine\'s raw files go', async () => {
    const t = setup('finish');
    await t.service.start();
    t.writeFinished();
    const recording = await t.service.finishCall(t.call);
    assert.ok(recording, t.logs.join('\n'));
    assert.deepEqual({ ...recording, sizeBytes: 0 }, {
      id: 'rec-1', callId: CALL_ID, caller: '1001', callee: '1002', startedAt: 1_700_000_000_000, endedAt: 1_700_000_003_000,
      durationMs: 3000, sizeBytes: 0, sampleRate: 8000, channels: 2, file: 'rec-1.wav',
    });
    const file = join(t.root, 'data', 'recordings', 'rec-1.wav');
    assert.equal(t.service.audioFile('rec-1'), file);
    assert.equal(recording.sizeBytes, 44 + 3000 * 8 * 4);
    const audio = await readWav(file);
    assertChannelTone(audio, 0, 1000, 1500);
    assertChannelTone(audio, 1, 1500, 1000);
    assert.deepEqual(t.store.get('rec-1'), recording);
    assert.deepEqual(readdirSync(join(t.spool, 'metadata')), []);
    assert.deepEqual(readdirSync(join(t.spool, 'pcaps')), []);
    assert.deepEqual(t.logs, []);
    assert.equal(await t.service.remove('rec-1'), true);
    assert.equal(existsSync(file), false);
    assert.equal(t.store.get('rec-1'), undefined);
    assert.equal(await t.service.remove('rec-1'), false);
    await t.close();
  });

  test('a call that was not recorded gives undefined at once, and logs nothing', async () => {
    const t = setup('not-recorded');
    const started = Date.now();
    assert.equal(await t.service.finishCall({ ...t.call, callId: 'other' }), undefined);
    assert.ok(Date.now() - started < 500);
    assert.deepEqual(t.logs, []);
    await t.close();
  });

  test('the service waits for rtpengine to move the metadata out of tmp/', async () => {
    const t = setup('wait');
    writeFileSync(join(t.spool, 'tmp', `rtpengine-meta-${STEM}.tmp`), '');
    writeFileSync(join(t.spool, 'pcaps', `${STEM}.pcap`), pcap([]));
    const pending = t.service.finishCall(t.call);
    await new Promise((resolve) => setTimeout(resolve, 150));
    rmSync(join(t.spool, 'tmp', `rtpengine-meta-${STEM}.tmp`));
    t.writeFinished();
    const recording = await pending;
    assert.equal(recording?.durationMs, 3000, t.logs.join('\n'));
    await t.close();
  });

  test('rtpengine never finishing, or a capture that is not one, is logged as MEDIA_RECORDING_FAILED and resolves undefined', async () => {
    const t = setup('fail', { filesTimeoutMs: 200 });
    writeFileSync(join(t.spool, 'tmp', `rtpengine-meta-${STEM}.tmp`), '');
    assert.equal(await t.service.finishCall(t.call), undefined);
    assert.match(t.logs.join('\n'), /MEDIA_RECORDING_FAILED call call\/1@lab: rtpengine did not finish the recording within 200 ms/);
    rmSync(join(t.spool, 'tmp', `rtpengine-meta-${STEM}.tmp`));

    t.writeFinished();
    writeFileSync(join(t.spool, 'pcaps', `${STEM}.pcap`), 'garbage, not a capture at all, just words');
    assert.equal(await t.service.finishCall(t.call), undefined);
    assert.match(t.logs.at(-1) ?? '', /MEDIA_RECORDING_FAILED call call\/1@lab: .*not a pcap capture/);
    assert.equal(existsSync(join(t.spool, 'pcaps', `${STEM}.pcap`)), true, 'raw files are kept after a failure');
    assert.deepEqual(t.store.query({ limit: 10, offset: 0 }).total, 0);
    assert.deepEqual(readdirSync(join(t.root, 'data', 'recordings')), [], 'no half-written WAV is left');
    await t.close();
  });

  test('retention deletes recordings (file and row) and raw leftovers older than retentionDays, at start and on sweep()', async () => {
    let now = 1_800_000_000_000;
    const t = setup('retention', { now: () => now });
    const recordingsDir = join(t.root, 'data', 'recordings');
    mkdirSync(recordingsDir, { recursive: true });
    const day = 86_400_000;
    for (const [id, ageDays] of [['old', 91], ['recent', 10], ['edge', 89]] as const) {
      writeFileSync(join(recordingsDir, `${id}.wav`), 'RIFF');
      t.store.insert({ id, callId: id, caller: '1001', callee: '1002', startedAt: now - ageDays * day, endedAt: now - ageDays * day + 1000, durationMs: 1000, sizeBytes: 4, sampleRate: 8000, channels: 2, file: `${id}.wav` });
    }
    const leftover = join(t.spool, 'pcaps', 'forgotten-0123456789abcdef.pcap');
    writeFileSync(leftover, '');
    utimesSync(leftover, new Date(now - 100 * day), new Date(now - 100 * day));
    writeFileSync(join(recordingsDir, '.crashed.wav.part'), '');

    await t.service.start();
    assert.deepEqual(t.store.query({ limit: 10, offset: 0 }).items.map((r) => r.id), ['recent', 'edge']);
    assert.deepEqual(readdirSync(recordingsDir).sort(), ['edge.wav', 'recent.wav']);
    assert.equal(existsSync(leftover), false);
    assert.match(t.logs.join('\n'), /deleted 1 recording\(s\) and 1 raw rtpengine file\(s\)/);

    now += 2 * day;
    assert.deepEqual(await t.service.sweep(), { recordings: 1, rawFiles: 0 });
    assert.deepEqual(readdirSync(recordingsDir), ['recent.wav']);
    await t.close();
  });

  test('ids that are not ids are unknown recordings', () => {
    const t = setup('ids');
    assert.equal(t.service.get('../../etc/passwd'), undefined);
    assert.equal(t.service.audioFile('../x'), undefined);
    return t.close();
  });
});
