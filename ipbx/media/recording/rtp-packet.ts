// The RTP header (RFC 3550 §5.1) of a datagram, and what it carries. Datagrams that are not RTP —
// RTCP multiplexed on the same port (RFC 5761), STUN, DTLS, garbage — give undefined, so a
// recording made of whatever arrived on a media port keeps only the audio.

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

const FIXED_HEADER_BYTES = 12;

export function parseRtp(datagram: Uint8Array): RtpPacket | undefined {
  if (datagram.length < FIXED_HEADER_BYTES) return undefined;
  const first = datagram[0] ?? 0;
  const second = datagram[1] ?? 0;
  if (first >> 6 !== 2) return undefined;
  const payloadType = second & 0x7f;
  // RTCP packet types 192-223 read as RTP payload types 64-95 with the marker bit (RFC 5761 §4).
  if (payloadType >= 64 && payloadType <= 95) return undefined;

  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  let start = FIXED_HEADER_BYTES + (first & 0x0f) * 4;
  if ((first & 0x10) !== 0) {
    if (start + 4 > datagram.length) return undefined;
    start += 4 + view.getUint16(start + 2) * 4;
  }
  let end = datagram.length;
  if ((first & 0x20) !== 0) {
    // The last byte counts the padding, itself included.
    const padding = datagram[end - 1] ?? 0;
    if (padding === 0) return undefined;
    end -= padding;
  }
  if (start > end) return undefined;
  return {
    payloadType,
    marker: (second & 0x80) !== 0,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: datagram.subarray(start, end),
  };
}
