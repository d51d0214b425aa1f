// The RTP streams of a recorded call → one stereo WAV: left the caller, right the callee.
//
// Timing: the WAV starts at the first captured packet. Each stream is placed by its RTP
// timestamps, anchored on capture (arrival) times: jitter then neither stretches nor squeezes the
// audio, lost packets and silence suppression leave silence, and the two parties stay aligned as
// they were heard at rtpengine. The anchor follows the earliest arrivals (the least delayed
// packets), and is reset when a stream's timestamps stop matching the clock (a sender that
// restarts its timestamps, a long pause it did not count).

import { rm } from 'node:fs/promises';
import { MediaError } from '../media-error.ts';
import type { CallLegs, Leg } from './call-legs.ts';
import { createPayloadDecoder, isDecodable, isWideband, type PayloadDecoder, type RecordingSampleRate } from './payload-decoder.ts';
import { parseRtp, type RtpPacket } from './rtp-packet.ts';
import { NON_AUDIO_CODECS, type RtpCodec } from './rtp-codecs.ts';
import { StereoWavWriter } from './stereo-wav-writer.ts';
import { udpDatagrams, type UdpDatagram } from './udp-datagrams.ts';
import { readPcap } from './pcap-reader.ts';

export interface ConvertOptions {
  /** Default: 16000 when a stream is wideband (opus, G.722), else 8000. */
  sampleRate?: RecordingSampleRate | undefined;
  /** Longest WAV written, seconds (default 12 h): a guard against captures whose times jump. */
  maxDurationSeconds?: number | undefined;
}

export interface StreamReport {
  leg: Leg;
  /** The sender, `address:port`. */
  source: string;
  /** The rtpengine port it sent to. */
  destinationPort: number;
  ssrc: number;
  codecs: string[];
  packets: number;
  /** True when no SDP said which party sent it (see CallLegs). */
  legGuessed: boolean;
}

export interface ConvertedRecording {
  file: string;
  sampleRate: RecordingSampleRate;
  channels: 2;
  frames: number;
  durationMs: number;
  /** Capture time of the first packet, epoch ms (undefined when there was no RTP). */
  firstPacketAt: number | undefined;
  streams: StreamReport[];
  /** What was skipped or guessed, for the log. */
  warnings: string[];
}

const CHANNEL_OF: Record<Leg, 0 | 1> = { caller: 0, callee: 1 };
/** A stream's timestamps may drift this far from its arrival times before it is re-anchored. */
const MAX_SKEW_SECONDS = 0.5;
/** Blocks this far behind the latest arrival are final (packets later than that are dropped). */
const FLUSH_LAG_SECONDS = MAX_SKEW_SECONDS + 1.5;
const DEFAULT_MAX_DURATION_SECONDS = 12 * 3600;

interface Stream {
  key: string;
  report: StreamReport;
  packets: Array<{ timestampUs: number; rtp: RtpPacket }>;
}

interface StreamState {
  anchor: { frame: number; rtpTimestamp: number; clockRate: number } | undefined;
  decoders: Map<number, PayloadDecoder | undefined>;
  seen: Set<number>;
}

/** Converts the datagrams of a capture into `outFile`; throws MEDIA_RECORDING_FAILED when the file cannot be written. */
export async function convertRecording(datagrams: readonly UdpDatagram[], legs: CallLegs, outFile: string, options: ConvertOptions = {}): Promise<ConvertedRecording> {
  const warnings: string[] = [];
  const streams = collectStreams(datagrams, legs, warnings);
  const inferred = new Map(streams.map((stream) => [stream, inferOpus(stream)]));
  const codecOf = (stream: Stream, payloadType: number) => legs.codecOf(stream.report.destinationPort, payloadType) ?? inferred.get(stream)?.get(payloadType);
  for (const stream of streams) {
    const types = new Set(stream.packets.map((p) => p.rtp.payloadType));
    stream.report.codecs = [...types].map((pt) => codecOf(stream, pt)?.name ?? `payload type ${pt}`);
  }
  const sampleRate = options.sampleRate ?? chooseSampleRate(streams, codecOf);
  const maxDurationSeconds = options.maxDurationSeconds ?? DEFAULT_MAX_DURATION_SECONDS;

  const timeline = streams
    .flatMap((stream) => stream.packets.map((p) => ({ stream, ...p })))
    .sort((a, b) => a.timestampUs - b.timestampUs);
  const firstUs = timeline[0]?.timestampUs;

  let writer: StereoWavWriter;
  try {
    writer = await StereoWavWriter.create(outFile, sampleRate, Math.round(maxDurationSeconds * sampleRate));
  } catch (err) {
    throw new MediaError('MEDIA_RECORDING_FAILED', `${outFile}: cannot write the recording (${(err as Error).message})`, { cause: err });
  }
  const states = new Map<Stream, StreamState>();
  const unsupported = new Set<string>();
  let frames: number;
  try {
    for (const { stream, timestampUs, rtp } of timeline) {
      let state = states.get(stream);
      if (state === undefined) {
        state = { anchor: undefined, decoders: new Map(), seen: new Set() };
        states.set(stream, state);
      }
      const arrivalFrame = Math.round(((timestampUs - (firstUs ?? timestampUs)) * sampleRate) / 1e6);
      await writer.flushBefore(arrivalFrame - FLUSH_LAG_SECONDS * sampleRate);

      // A retransmitted or duplicated packet (same sequence number and timestamp) is placed once.
      const identity = rtp.sequenceNumber * 2 ** 32 + rtp.timestamp;
      if (state.seen.has(identity)) continue;
      state.seen.add(identity);

      const codec = codecOf(stream, rtp.payloadType);
      if (codec === undefined) {
        unsupported.add(`payload type ${rtp.payloadType} (no rtpmap in the recorded SDPs)`);
        continue;
      }
      if (NON_AUDIO_CODECS.has(codec.name)) continue;
      const decoder = await decoderFor(state, rtp.payloadType, codec, sampleRate);
      if (decoder === undefined) {
        unsupported.add(codec.name);
        continue;
      }
      const at = placement(state, rtp, codec, arrivalFrame, sampleRate);
      const samples = decoder.decode(rtp.payload);
      if (samples.length > 0) writer.write(CHANNEL_OF[stream.report.leg], at, samples);
    }
    frames = await writer.close();
  } catch (err) {
    await writer.abandon();
    await rm(outFile, { force: true });
    throw err instanceof MediaError ? err : new MediaError('MEDIA_RECORDING_FAILED', `${outFile}: ${(err as Error).message}`, { cause: err });
  } finally {
    for (const state of states.values()) for (const decoder of state.decoders.values()) decoder?.free();
  }

  for (const name of unsupported) warnings.push(`${name} is not decoded: its packets are left silent`);
  if (writer.droppedLate > 0) warnings.push(`${writer.droppedLate} samples arrived too late to place and were dropped`);
  if (writer.droppedOverLimit > 0) warnings.push(`the recording was cut at ${maxDurationSeconds} s`);
  if (timeline.length === 0) warnings.push('the capture holds no RTP: the recording is empty');
  return {
    file: outFile, sampleRate, channels: 2, frames, durationMs: Math.round((frames * 1000) / sampleRate),
    firstPacketAt: firstUs === undefined ? undefined : Math.floor(firstUs / 1000),
    streams: streams.map((s) => s.report), warnings,
  };
}

/** Reads the captures of one call (a torn one keeps its whole packets) and converts them. */
export async function convertPcapFiles(pcapFiles: readonly string[], legs: CallLegs, outFile: string, options: ConvertOptions = {}): Promise<ConvertedRecording> {
  const datagrams: UdpDatagram[] = [];
  const warnings: string[] = [];
  for (const file of pcapFiles) {
    const capture = await readPcap(file);
    if (capture.truncated) warnings.push(`${file} ends inside a packet (cut short): the packets before are kept`);
    // A loop, not push(...): an hour of call is more arguments than a call may take.
    for (const datagram of udpDatagrams(capture, file)) datagrams.push(datagram);
  }
  const converted = await convertRecording(datagrams, legs, outFile, options);
  return { ...converted, warnings: [...warnings, ...converted.warnings] };
}

/** Frame at which the packet's first sample goes (see the header comment). */
function placement(state: StreamState, rtp: RtpPacket, codec: RtpCodec, arrivalFrame: number, sampleRate: number): number {
  const anchor = state.anchor;
  if (anchor === undefined || anchor.clockRate !== codec.clockRate) {
    state.anchor = { frame: arrivalFrame, rtpTimestamp: rtp.timestamp, clockRate: codec.clockRate };
    return arrivalFrame;
  }
  // The 32-bit difference, signed: timestamps wrap around.
  const elapsed = (rtp.timestamp - anchor.rtpTimestamp) | 0;
  const predicted = anchor.frame + Math.round((elapsed * sampleRate) / codec.clockRate);
  if (Math.abs(predicted - arrivalFrame) > MAX_SKEW_SECONDS * sampleRate) {
    state.anchor = { frame: arrivalFrame, rtpTimestamp: rtp.timestamp, clockRate: codec.clockRate };
    return arrivalFrame;
  }
  if (arrivalFrame < predicted) {
    // This packet was less delayed than the anchor's: move the anchor to its timing.
    anchor.frame -= predicted - arrivalFrame;
    return arrivalFrame;
  }
  return predicted;
}

/** Timestamp steps of opus packets (2.5 to 60 ms at its 48 kHz RTP clock); G.711 and G.722 steps are 8 kHz ones. */
const OPUS_STEPS = new Set([120, 240, 480, 960, 1920, 2880]);

/**
 * Dynamic payload types no SDP mapped (recording started after the answer) that are opus by
 * their timestamps: a browser's or softphone's opus would otherwise be lost. A payload type is
 * taken for opus when its most common timestamp step is an opus frame length at 48 kHz.
 */
function inferOpus(stream: Stream): Map<number, RtpCodec> {
  const steps = new Map<number, Map<number, number>>();
  const last = new Map<number, number>();
  for (const { rtp } of stream.packets) {
    if (rtp.payloadType < 96) continue;
    const previous = last.get(rtp.payloadType);
    last.set(rtp.payloadType, rtp.timestamp);
    if (previous === undefined) continue;
    const step = (rtp.timestamp - previous) | 0;
    const counts = steps.get(rtp.payloadType) ?? new Map<number, number>();
    counts.set(step, (counts.get(step) ?? 0) + 1);
    steps.set(rtp.payloadType, counts);
  }
  const out = new Map<number, RtpCodec>();
  for (const [payloadType, counts] of steps) {
    const [commonest] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [0];
    if (OPUS_STEPS.has(commonest)) out.set(payloadType, { name: 'OPUS', clockRate: 48000 });
  }
  return out;
}

async function decoderFor(state: StreamState, payloadType: number, codec: RtpCodec, sampleRate: RecordingSampleRate): Promise<PayloadDecoder | undefined> {
  if (!state.decoders.has(payloadType)) state.decoders.set(payloadType, isDecodable(codec) ? await createPayloadDecoder(codec, sampleRate) : undefined);
  return state.decoders.get(payloadType);
}

function chooseSampleRate(streams: readonly Stream[], codecOf: (stream: Stream, payloadType: number) => RtpCodec | undefined): RecordingSampleRate {
  for (const stream of streams) {
    for (const packet of stream.packets) {
      const codec = codecOf(stream, packet.rtp.payloadType);
      if (codec !== undefined && isWideband(codec) && isDecodable(codec)) return 16000;
    }
  }
  return 8000;
}

type UnassignedStream = Omit<Stream, 'report'> & { report: Omit<StreamReport, 'leg'> & { leg: Leg | undefined } };

/** Groups RTP by sender, rtpengine port and SSRC, and says whose each group is. */
function collectStreams(datagrams: readonly UdpDatagram[], legs: CallLegs, warnings: string[]): Stream[] {
  const byKey = new Map<string, UnassignedStream>();
  for (const datagram of datagrams) {
    const rtp = parseRtp(datagram.payload);
    if (rtp === undefined) continue;
    const source = `${datagram.source.address}:${datagram.source.port}`;
    const key = `${source}>${datagram.destination.port}#${rtp.ssrc}`;
    let stream = byKey.get(key);
    if (stream === undefined) {
      stream = {
        key, packets: [],
        report: { leg: legs.legOf(datagram.destination.port), source, destinationPort: datagram.destination.port, ssrc: rtp.ssrc, codecs: [], packets: 0, legGuessed: false },
      };
      byKey.set(key, stream);
    }
    stream.packets.push({ timestampUs: datagram.timestampUs, rtp });
    stream.report.packets++;
  }
  const all = [...byKey.values()];
  guessMissingLegs(all, legs, warnings);
  const assigned: Stream[] = [];
  for (const stream of all) {
    const leg = stream.report.leg;
    if (leg === undefined) warnings.push(`stream from ${stream.report.source} to port ${stream.report.destinationPort} (SSRC ${stream.report.ssrc}) is of neither party and was left out`);
    else assigned.push({ ...stream, report: { ...stream.report, leg } });
  }
  return assigned;
}

/**
 * Streams no SDP placed. A sender already placed keeps its leg; with one leg known, the rest is
 * the other party; with none (recording started after the answer), the lower rtpengine port is
 * the callee's, because rtpengine allocates the callee-facing ports first, on the offer. That last
 * rule is a guess (it fails when the port range wraps around) and is reported as one.
 */
function guessMissingLegs(streams: UnassignedStream[], legs: CallLegs, warnings: string[]): void {
  const legOfSender = new Map<string, Leg>();
  for (const s of streams) if (s.report.leg !== undefined) legOfSender.set(s.report.source, s.report.leg);
  for (const s of streams) {
    if (s.report.leg !== undefined) continue;
    const leg = legOfSender.get(s.report.source);
    if (leg !== undefined) {
      s.report.leg = leg;
      s.report.legGuessed = true;
    }
  }
  const placed = new Set(streams.flatMap((s) => (s.report.leg === undefined ? [] : [s.report.leg])));
  const unplaced = streams.filter((s) => s.report.leg === undefined);
  if (unplaced.length === 0) return;
  if (placed.size === 1) {
    const other: Leg = placed.has('caller') ? 'callee' : 'caller';
    for (const s of unplaced) {
      s.report.leg = other;
      s.report.legGuessed = true;
    }
    return;
  }
  if (placed.size === 0) {
    const ports = [...new Set(unplaced.map((s) => s.report.destinationPort))].sort((a, b) => a - b);
    const legOfPort = new Map<number, Leg>([[ports[0] ?? 0, 'callee'], [ports[1] ?? 0, 'caller']]);
    for (const s of unplaced) {
      const leg = legOfPort.get(s.report.destinationPort);
      if (leg === undefined) continue;
      s.report.leg = leg;
      s.report.legGuessed = true;
    }
    warnings.push(legs.known
      ? 'no stream went to a port the SDPs announced: parties guessed from rtpengine\'s port order (lower port: callee)'
      : 'no SDP in rtpengine\'s metadata (recording started after the answer): parties guessed from rtpengine\'s port order (lower port: callee); pass `record call: yes` in the offer to know them');
  }
}
