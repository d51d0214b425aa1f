// A minimal plain-RTP party for media tests: a UDP socket on 127.0.0.1 that offers PCMU (PT 0) and
// telephone-event (PT 101) in its SDP, sends a paced tone (20 ms packets) or RFC 4733 digits to
// its remote, and keeps every RTP packet it receives, decodable back to 16-bit PCM for the tone
// detector of scenarios/audio.

import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { sine, toInt16 } from '../../scenarios/audio/index.ts';
import { within, WAIT_MS } from './stack-pair.ts';

// The packet, codec and SDP helpers are the scenario runner's (production code), re-exported here.
import {
  DTMF_EVENTS, PACKET_MS, PCMU_PAYLOAD_TYPE, SAMPLE_RATE, SAMPLES_PER_PACKET, TELEPHONE_EVENT_PAYLOAD_TYPE, encodeRtp, parseRtp,
  parseTelephoneEvent, type RtpPacket, type ReceivedRtpPacket, type TelephoneEvent,
} from '../../scenarios/runner/rtp/rtp-packet.ts';
import { muLawDecode, muLawEncode } from '../../scenarios/runner/rtp/g711.ts';

export { PCMU_PAYLOAD_TYPE, TELEPHONE_EVENT_PAYLOAD_TYPE, encodeRtp, parseRtp, parseTelephoneEvent, muLawDecode, muLawEncode };
export type { RtpPacket, ReceivedRtpPacket, TelephoneEvent };
export { sdpAudioPort, sdpConnectionAddress } from '../../scenarios/runner/rtp/sdp-audio.ts';

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
