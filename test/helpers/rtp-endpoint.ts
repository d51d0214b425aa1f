// A minimal plain-RTP party for media tests: a UDP socket on 127.0.0.1 that offers PCMU (PT 0) and
// telephone-event (PT 101) in its SDP, sends a paced tone (20 ms packets) or RFC 4733 digits to
// its remote, and keeps every RTP packet it receives, decodable back to 16-bit PCM for the tone
// detector of scenarios/audio.

import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { sine, toInt16 } from '../../scenarios/audio/index.ts';
import { within, WAIT_MS } from './stack-pair.ts';

export const PCMU_PAYLOAD_TYPE = 0;
export const TELEPHONE_EVENT_PAYLOAD_TYPE = 101;
const SAMPLE_RATE = 8000;
const PACKET_MS = 20;
const SAMPLES_PER_PACKET = (SAMPLE_RATE * PACKET_MS) / 1000;
/** RFC 4733 §3.2: event codes of the DTMF digits. */
const DTMF_EVENTS = '0123456789*#ABCD';

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

export interface ReceivedRtpPacket extends RtpPacket {
  from: { address: string; port: number };
}

/** An RFC 4733 event decoded from a telephone-event payload. */
export interface TelephoneEvent {
  digit: string | undefined;
  end: boolean;
  volume: number;
  duration: number;
}

export function encodeRtp(packet: RtpPacket): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80; // version 2, no padding, extension or CSRC
  header[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  header.writeUInt16BE(packet.sequence & 0xffff, 2);
  header.writeUInt32BE(packet.timestamp >>> 0, 4);
  header.writeUInt32BE(packet.ssrc >>> 0, 8);
  return Buffer.concat([header, packet.payload]);
}

/** Parses an RTP packet (no header extension support beyond skipping it); undefined if it is not RTP v2. */
export function parseRtp(datagram: Buffer): RtpPacket | undefined {
  if (datagram.length < 12 || datagram[0] === undefined || datagram[0] >> 6 !== 2) return undefined;
  const csrcCount = datagram[0] & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if ((datagram[0] & 0x10) !== 0) {
    if (datagram.length < offset + 4) return undefined;
    offset += 4 + 4 * datagram.readUInt16BE(offset + 2);
  }
  if (datagram.length < offset) return undefined;
  const second = datagram[1] ?? 0;
  return {
    payloadType: second & 0x7f,
    marker: (second & 0x80) !== 0,
    sequence: datagram.readUInt16BE(2),
    timestamp: datagram.readUInt32BE(4),
    ssrc: datagram.readUInt32BE(8),
    payload: datagram.subarray(offset),
  };
}

export function parseTelephoneEvent(payload: Buffer): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  const flags = payload[1] ?? 0;
  return { digit: DTMF_EVENTS[payload[0] ?? 255], end: (flags & 0x80) !== 0, volume: flags & 0x3f, duration: payload.readUInt16BE(2) };
}

/** G.711 μ-law encoding of one 16-bit sample. */
export function muLawEncode(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32_635;
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(Math.round(sample)), CLIP) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  magnitude = sign | (exponent << 4) | mantissa;
  return ~magnitude & 0xff;
}

/** G.711 μ-law decoding of one byte to a 16-bit sample. */
export function muLawDecode(byte: number): number {
  const value = ~byte & 0xff;
  const exponent = (value >> 4) & 0x07;
  const magnitude = ((((value & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return (value & 0x80) !== 0 ? -magnitude : magnitude;
}

/** The port of the first `m=audio` line of an SDP. */
export function sdpAudioPort(sdp: string): number {
  const match = /^m=audio (\d+) /m.exec(sdp);
  if (match?.[1] === undefined) throw new Error(`no m=audio line in SDP:\n${sdp}`);
  return Number(match[1]);
}

/** The address of the first `c=` line of an SDP. */
export function sdpConnectionAddress(sdp: string): string {
  const match = /^c=IN IP[46] (\S+)/m.exec(sdp);
  if (match?.[1] === undefined) throw new Error(`no c= line in SDP:\n${sdp}`);
  return match[1];
}

export class RtpEndpoint {
  readonly address = '127.0.0.1';
  /** Every RTP packet received, in arrival order. */
  readonly received: ReceivedRtpPacket[] = [];
  /** Where send* methods send; set it from the peer's (rewritten) SDP. */
  remote: { address: string; port: number } | undefined;
  readonly #socket: Socket;
  readonly #arrivals = new EventEmitter();
  readonly #ssrc = randomInt(1, 2 ** 32 - 1);
  #sequence = randomInt(0, 0xffff);
  #timestamp = randomInt(0, 2 ** 31);
  #closed: Promise<void> | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (datagram, from) => {
      const packet = parseRtp(datagram);
      if (packet === undefined) return; // RTCP or noise
      this.received.push({ ...packet, payload: Buffer.from(packet.payload), from: { address: from.address, port: from.port } });
      this.#arrivals.emit('packet');
    });
  }

  static async open(): Promise<RtpEndpoint> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => { socket.off('error', reject); resolve(); });
    });
    return new RtpEndpoint(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** An SDP offering PCMU and telephone-event at this endpoint's address and port. */
  sdp(): string {
    return [
      'v=0', `o=- ${this.#ssrc} 1 IN IP4 ${this.address}`, 's=-', `c=IN IP4 ${this.address}`, 't=0 0',
      `m=audio ${this.port} RTP/AVP ${PCMU_PAYLOAD_TYPE} ${TELEPHONE_EVENT_PAYLOAD_TYPE}`,
      'a=rtpmap:0 PCMU/8000', `a=rtpmap:${TELEPHONE_EVENT_PAYLOAD_TYPE} telephone-event/8000`, `a=fmtp:${TELEPHONE_EVENT_PAYLOAD_TYPE} 0-16`,
      'a=sendrecv', '',
    ].join('\r\n');
  }

  /** Sends `durationMs` of a PCMU sine, one 20 ms packet per 20 ms. */
  async sendTone(frequencyHz: number, durationMs: number): Promise<void> {
    const samples = toInt16(sine({ frequencyHz, sampleRate: SAMPLE_RATE, durationMs, amplitude: 0.5 }));
    for (let start = 0; start + SAMPLES_PER_PACKET <= samples.length; start += SAMPLES_PER_PACKET) {
      const payload = Buffer.from(Array.from(samples.subarray(start, start + SAMPLES_PER_PACKET), muLawEncode));
      this.#send({ payloadType: PCMU_PAYLOAD_TYPE, marker: false, sequence: this.#sequence++, timestamp: this.#timestamp, ssrc: this.#ssrc, payload });
      this.#timestamp += SAMPLES_PER_PACKET;
      await pause(PACKET_MS);
    }
  }

  /** Sends one RFC 4733 digit lasting `durationMs` (a multiple of 20), its end packet three times (RFC 4733 §2.5.1.4). */
  async sendDigit(digit: string, durationMs = 100, volume = 10): Promise<void> {
    const event = DTMF_EVENTS.indexOf(digit);
    if (event < 0 || digit.length !== 1) throw new RangeError(`not a DTMF digit: ${digit}`);
    const eventTimestamp = this.#timestamp;
    const packets = Math.max(1, Math.round(durationMs / PACKET_MS));
    const payload = (duration: number, end: boolean): Buffer => {
      const bytes = Buffer.alloc(4);
      bytes[0] = event;
      bytes[1] = (end ? 0x80 : 0) | (volume & 0x3f);
      bytes.writeUInt16BE(duration, 2);
      return bytes;
    };
    for (let i = 1; i <= packets + 2; i++) {
      const end = i >= packets;
      const duration = Math.min(i, packets) * SAMPLES_PER_PACKET;
      this.#send({ payloadType: TELEPHONE_EVENT_PAYLOAD_TYPE, marker: i === 1, sequence: this.#sequence++, timestamp: eventTimestamp, ssrc: this.#ssrc, payload: payload(duration, end) });
      await pause(PACKET_MS);
    }
    this.#timestamp += packets * SAMPLES_PER_PACKET;
  }

  /** The PCMU audio received (packets in arrival order), as 16-bit samples. */
  receivedAudio(): Int16Array {
    const bytes = Buffer.concat(this.received.filter((p) => p.payloadType === PCMU_PAYLOAD_TYPE).map((p) => p.payload));
    return Int16Array.from(bytes, muLawDecode);
  }

  /** The telephone events received, in arrival order. */
  receivedEvents(): TelephoneEvent[] {
    return this.received
      .filter((p) => p.payloadType === TELEPHONE_EVENT_PAYLOAD_TYPE)
      .flatMap((p) => parseTelephoneEvent(p.payload) ?? []);
  }

  /** Resolves once `condition` holds (checked at every packet), or rejects after `ms`. */
  until(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    let check: (() => void) | undefined;
    const reached = new Promise<void>((resolve) => {
      check = () => { if (condition()) resolve(); };
      this.#arrivals.on('packet', check);
    });
    return within(reached, what, ms).finally(() => { if (check !== undefined) this.#arrivals.off('packet', check); });
  }

  clear(): void {
    this.received.length = 0;
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => this.#socket.close(() => resolve()));
    return this.#closed;
  }

  #send(packet: RtpPacket): void {
    if (this.remote === undefined) throw new Error('RtpEndpoint: set remote before sending');
    if (this.#closed !== undefined) return;
    this.#socket.send(encodeRtp(packet), this.remote.port, this.remote.address);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
