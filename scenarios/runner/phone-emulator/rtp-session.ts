// The media side of one emulated desk phone: a UDP socket on 127.0.0.1 that, while a call is up,
// sends G.711 PCMU every 20 ms (a sine of the phone's tone, or silence) and RFC 4733 digits in
// place of audio while they last, and keeps what it receives: decoded audio stamped with its
// arrival time (for the tone and silence detectors) and telephone events (for received digits).

import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { muLawDecodeAll, muLawEncodeAll } from '../rtp/g711.ts';
import {
  PACKET_MS, PCMU_PAYLOAD_TYPE, SAMPLE_RATE, SAMPLES_PER_PACKET, TELEPHONE_EVENT_PAYLOAD_TYPE,
  digitsOfEvents, encodeRtp, encodeTelephoneEvent, parseRtp, type RtpPacket,
} from '../rtp/rtp-packet.ts';

/** Decoded audio of one received PCMU packet. */
export interface ReceivedAudio {
  /** performance.now() at arrival. */
  at: number;
  samples: Int16Array;
}

/** 100 ms digits, as desk phones send them; the end packet three times (RFC 4733 §2.5.1.4). */
const DIGIT_PACKETS = 5;
const END_REPEATS = 3;
const TONE_AMPLITUDE = 0.4 * 32767;
/** Audio kept per phone: enough for any listen window, bounded for long calls. */
const KEEP_PACKETS = 30 * (1000 / PACKET_MS);

interface DigitInProgress {
  digit: string;
  timestamp: number;
  packetsSent: number;
}

export class RtpSession {
  readonly address = '127.0.0.1';
  readonly audio: ReceivedAudio[] = [];
  readonly events: RtpPacket[] = [];
  /** Where audio goes: the address and port of the peer's SDP (rtpengine's, through the IPBX). */
  remote: { address: string; port: number } | undefined;
  /** Send audio and digits (off while on hold or when the peer's SDP says it will not receive). */
  sending = false;
  /** False while the phone's network is dropped: nothing goes out, nothing is taken in. */
  networkUp = true;
  /** Arrival time of the first PCMU packet, for the time-to-audio figure. */
  firstAudioAt: number | undefined;
  readonly #socket: Socket;
  readonly #toneHz: number | undefined;
  readonly #ssrc = randomInt(1, 2 ** 32 - 1);
  #sequence = randomInt(0, 0xffff);
  #timestamp = randomInt(0, 2 ** 31);
  #sampleIndex = 0;
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #slotsSent = 0;
  readonly #digits: string[] = [];
  #digit: DigitInProgress | undefined;
  #closed = false;

  private constructor(socket: Socket, toneHz: number | undefined) {
    this.#socket = socket;
    this.#toneHz = toneHz;
    socket.on('message', (datagram) => this.#receive(datagram));
  }

  static async open(toneHz: number | undefined): Promise<RtpSession> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => { socket.off('error', reject); resolve(); });
    });
    return new RtpSession(socket, toneHz);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Starts the 20 ms clock (idempotent); packets go out only while `sending` and `remote` are set. */
  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#startedAt = performance.now();
    this.#slotsSent = 0;
    // The timer runs faster than the packets and sends every slot that is due, so pacing follows
    // the wall clock however late Node's timers fire on a busy machine.
    this.#timer = setInterval(() => this.#tick(), 10);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Queues RFC 4733 digits; they replace audio while they are sent. */
  sendDigits(digits: string): void {
    this.#digits.push(...digits.toUpperCase());
  }

  /** Resolves when every queued digit went out (bounded by the caller). */
  get digitsPending(): boolean {
    return this.#digit !== undefined || this.#digits.length > 0;
  }

  /** The RFC 4733 digits received, each counted once. */
  receivedDigits(): string {
    return digitsOfEvents(this.events);
  }

  /** The audio that arrived in the last `ms` milliseconds, joined in arrival order. */
  latestAudio(ms: number, now = performance.now()): { samples: Int16Array; packets: number } {
    const recent = this.audio.filter((a) => a.at > now - ms);
    const samples = new Int16Array(recent.reduce((n, a) => n + a.samples.length, 0));
    let at = 0;
    for (const part of recent) {
      samples.set(part.samples, at);
      at += part.samples.length;
    }
    return { samples, packets: recent.length };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stop();
    this.#socket.close();
  }

  #tick(): void {
    const due = Math.floor((performance.now() - this.#startedAt) / PACKET_MS);
    // After a long stall, skip ahead rather than burst: a real phone would have lost those packets too.
    if (due - this.#slotsSent > 10) this.#slotsSent = due - 1;
    while (this.#slotsSent < due) {
      this.#slotsSent++;
      this.#sendSlot();
    }
  }

  #sendSlot(): void {
    if (!this.sending || this.remote === undefined) {
      this.#advance();
      return;
    }
    if (this.#digit === undefined && this.#digits.length > 0) {
      this.#digit = { digit: this.#digits.shift() ?? '', timestamp: this.#timestamp, packetsSent: 0 };
    }
    const digit = this.#digit;
    if (digit !== undefined) {
      digit.packetsSent++;
      const end = digit.packetsSent >= DIGIT_PACKETS;
      const duration = Math.min(digit.packetsSent, DIGIT_PACKETS) * SAMPLES_PER_PACKET;
      this.#send(TELEPHONE_EVENT_PAYLOAD_TYPE, digit.packetsSent === 1, digit.timestamp, encodeTelephoneEvent(digit.digit, duration, end));
      if (digit.packetsSent >= DIGIT_PACKETS + END_REPEATS - 1) this.#digit = undefined;
      this.#advance();
      return;
    }
    this.#send(PCMU_PAYLOAD_TYPE, false, this.#timestamp, muLawEncodeAll(this.#nextAudio()));
    this.#advance();
  }

  #advance(): void {
    this.#timestamp = (this.#timestamp + SAMPLES_PER_PACKET) >>> 0;
  }

  /** 20 ms of the phone's microphone: a phase-continuous sine, or digital silence. */
  #nextAudio(): Int16Array {
    const out = new Int16Array(SAMPLES_PER_PACKET);
    if (this.#toneHz === undefined) return out;
    const step = (2 * Math.PI * this.#toneHz) / SAMPLE_RATE;
    for (let i = 0; i < out.length; i++) out[i] = Math.round(TONE_AMPLITUDE * Math.sin(step * (this.#sampleIndex + i)));
    this.#sampleIndex = (this.#sampleIndex + out.length) % (SAMPLE_RATE * 1000);
    return out;
  }

  #send(payloadType: number, marker: boolean, timestamp: number, payload: Buffer): void {
    if (this.remote === undefined || this.#closed || !this.networkUp) return;
    const packet = encodeRtp({ payloadType, marker, sequence: this.#sequence, timestamp, ssrc: this.#ssrc, payload });
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#socket.send(packet, this.remote.port, this.remote.address);
  }

  #receive(datagram: Buffer): void {
    if (!this.networkUp) return;
    const packet = parseRtp(datagram);
    if (packet === undefined) return; // RTCP or noise
    if (packet.payloadType === TELEPHONE_EVENT_PAYLOAD_TYPE) {
      this.events.push({ ...packet, payload: Buffer.from(packet.payload) });
      return;
    }
    if (packet.payloadType !== PCMU_PAYLOAD_TYPE) return;
    const at = performance.now();
    this.firstAudioAt ??= at;
    this.audio.push({ at, samples: muLawDecodeAll(Buffer.from(packet.payload)) });
    if (this.audio.length > KEEP_PACKETS) this.audio.splice(0, this.audio.length - KEEP_PACKETS);
  }
}
