// Which codec an RTP payload type stands for: the static assignments of RFC 3551, or an
// `a=rtpmap` line of the SDP that announced the port the packets were sent to.

export interface RtpCodec {
  /** Encoding name, upper-case as compared (PCMU, PCMA, G722, OPUS, TELEPHONE-EVENT, CN…). */
  name: string;
  /** RTP clock rate: what one timestamp unit is (8000 for G.722 too, RFC 3551 §4.5.2; 48000 for opus). */
  clockRate: number;
}

/** RFC 3551 table 4, the audio entries a call may still carry. */
export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, RtpCodec> = new Map([
  [0, { name: 'PCMU', clockRate: 8000 }],
  [3, { name: 'GSM', clockRate: 8000 }],
  [4, { name: 'G723', clockRate: 8000 }],
  [8, { name: 'PCMA', clockRate: 8000 }],
  [9, { name: 'G722', clockRate: 8000 }],
  [13, { name: 'CN', clockRate: 8000 }],
  [18, { name: 'G729', clockRate: 8000 }],
]);

/** Payloads that are not audio to decode: DTMF events and comfort noise count as silence. */
export const NON_AUDIO_CODECS: ReadonlySet<string> = new Set(['TELEPHONE-EVENT', 'CN']);

/** `a=rtpmap:96 opus/48000/2` → [96, { name: 'OPUS', clockRate: 48000 }]; undefined when malformed. */
export function parseRtpmap(line: string): [number, RtpCodec] | undefined {
  const match = /^a=rtpmap:(\d{1,3})\s+([^/\s]+)\/(\d{1,6})/i.exec(line.trim());
  if (match === null) return undefined;
  const payloadType = Number(match[1]);
  const clockRate = Number(match[3]);
  if (payloadType > 127 || clockRate === 0) return undefined;
  return [payloadType, { name: (match[2] ?? '').toUpperCase(), clockRate }];
}
