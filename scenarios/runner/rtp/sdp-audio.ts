// The little SDP a G.711 desk phone needs (RFC 4566, RFC 3264): one audio stream offering PCMU
// and telephone-event, its direction, and reading the peer's address and port back.

import { PCMU_PAYLOAD_TYPE, TELEPHONE_EVENT_PAYLOAD_TYPE } from './rtp-packet.ts';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export function audioSdp(options: { sessionId: number; version: number; address: string; port: number; direction: MediaDirection }): string {
  return [
    'v=0', `o=- ${options.sessionId} ${options.version} IN IP4 ${options.address}`, 's=-', `c=IN IP4 ${options.address}`, 't=0 0',
    `m=audio ${options.port} RTP/AVP ${PCMU_PAYLOAD_TYPE} ${TELEPHONE_EVENT_PAYLOAD_TYPE}`,
    'a=rtpmap:0 PCMU/8000', `a=rtpmap:${TELEPHONE_EVENT_PAYLOAD_TYPE} telephone-event/8000`, `a=fmtp:${TELEPHONE_EVENT_PAYLOAD_TYPE} 0-16`,
    'a=ptime:20', `a=${options.direction}`, '',
  ].join('\r\n');
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

/** The stream's direction attribute; sendrecv when absent (RFC 3264 §5.1). */
export function sdpDirection(sdp: string): MediaDirection {
  const match = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(sdp);
  return (match?.[1] as MediaDirection | undefined) ?? 'sendrecv';
}

/** RFC 3264 §6.1: the answer's direction mirrors the offer's. */
export function answerDirection(offer: MediaDirection): MediaDirection {
  if (offer === 'sendonly') return 'recvonly';
  if (offer === 'recvonly') return 'sendonly';
  return offer;
}
