// What rtpengine must make of the SDP a leg receives. Browsers (WebRTC, over WS/WSS) need ICE,
// DTLS-SRTP, rtcp-mux and the SAVPF profile; desk phones want plain RTP/AVP without ICE. These
// flag sets are the ones that proved to work between Chromium and baresip here: `DTLS=passive`
// breaks browser-to-browser calls, so DTLS is left to rtpengine's defaults on WebRTC legs.

import type { NgDictionary } from './media-control.ts';

export type LegMediaProfile = 'webrtc' | 'plain';

/** Browsers reach a SIP server over WebSocket (RFC 7118); everything else is a desk phone or a trunk. */
export function profileOf(protocol: string): LegMediaProfile {
  return protocol === 'ws' || protocol === 'wss' ? 'webrtc' : 'plain';
}

/**
 * Codecs rtpengine adds (transcoding) to the SDP a leg receives when the other side did not offer
 * them: every desk phone speaks G.711, every browser speaks opus and G.711, so a call always has a
 * codec both ends know (opus <-> PCMU when they share none).
 */
const TRANSCODE_TO: Record<LegMediaProfile, string[]> = {
  plain: ['PCMU', 'PCMA'],
  webrtc: ['opus', 'PCMU'],
};

/**
 * ng flags for an offer or answer whose SDP goes to a leg of this profile. `injectDtmf` lets
 * `play DTMF` work on the call (rtpengine then decodes and re-encodes its audio, so only when asked).
 */
export function flagsFor(profile: LegMediaProfile, kind: 'offer' | 'answer', injectDtmf = false): NgDictionary {
  const common: NgDictionary = profile === 'webrtc'
    ? { 'ICE': 'force', 'SDES': ['off'], 'rtcp-mux': ['require'], 'transport-protocol': 'UDP/TLS/RTP/SAVPF' }
    : { 'ICE': 'remove', 'DTLS': 'off', 'SDES': ['off'], 'rtcp-mux': ['demux'], 'transport-protocol': 'RTP/AVP' };
  const flags = [...(profile === 'webrtc' ? ['generate-mid'] : []), ...(injectDtmf ? ['inject-DTMF'] : [])];
  // Transcoding is offered; an answer only picks among what was offered.
  return { ...common, ...(flags.length > 0 ? { flags } : {}), ...(kind === 'offer' ? { codec: { transcode: TRANSCODE_TO[profile] } } : {}) };
}
