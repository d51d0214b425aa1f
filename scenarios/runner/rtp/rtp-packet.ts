// RTP packets (RFC 3550 §5.1) and RFC 4733 telephone-event payloads, as the desk-phone emulator
// sends and reads them: PCMU audio on payload type 0, DTMF events on payload type 101.

export const PCMU_PAYLOAD_TYPE = 0;
export const TELEPHONE_EVENT_PAYLOAD_TYPE = 101;
export const SAMPLE_RATE = 8000;
export const PACKET_MS = 20;
export const SAMPLES_PER_PACKET = (SAMPLE_RATE * PACKET_MS) / 1000;
/** RFC 4733 §3.2: event codes 0–15 are these DTMF digits, in this order. */
export const DTMF_EVENTS = '0123456789*#ABCD';

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

/** Parses an RTP packet (a header extension is skipped); undefined if it is not RTP v2. */
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
  // RTCP shares the port when rtcp-mux is on (RFC 5761 §4): its packet types 200–204 land on 72–76.
  if ((second & 0x7f) >= 72 && (second & 0x7f) <= 76) return undefined;
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

/** An RFC 4733 §2.3 payload: event, end bit, volume, duration in timestamp units. */
export function encodeTelephoneEvent(digit: string, durationSamples: number, end: boolean, volume = 10): Buffer {
  const event = DTMF_EVENTS.indexOf(digit.toUpperCase());
  if (event < 0 || digit.length !== 1) throw new RangeError(`not a DTMF digit: ${digit}`);
  const bytes = Buffer.alloc(4);
  bytes[0] = event;
  bytes[1] = (end ? 0x80 : 0) | (volume & 0x3f);
  bytes.writeUInt16BE(durationSamples & 0xffff, 2);
  return bytes;
}

/**
 * The digits in a sequence of telephone events: one per event (the same RTP timestamp), counted
 * once however many packets and end retransmissions carried it (RFC 4733 §2.5.1.4).
 */
export function digitsOfEvents(packets: readonly RtpPacket[]): string {
  let digits = '';
  let lastTimestamp: number | undefined;
  for (const packet of packets) {
    if (packet.payloadType !== TELEPHONE_EVENT_PAYLOAD_TYPE || packet.timestamp === lastTimestamp) continue;
    const event = parseTelephoneEvent(packet.payload);
    if (event?.digit === undefined) continue;
    digits += event.digit;
    lastTimestamp = packet.timestamp;
  }
  return digits;
}
