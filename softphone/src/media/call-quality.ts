// Round-trip time, jitter and loss of a call's audio, from RTCPeerConnection.getStats()
// (W3C webrtc-stats): 'remote-inbound-rtp' or the selected candidate pair for the RTT,
// 'inbound-rtp' for what we receive.

import type { CallQuality } from '../sip/phone-types.ts';

/** The fields read here; every stats object has `type`, the rest depends on it. */
interface StatsFields {
  type: string;
  kind?: string;
  roundTripTime?: number;
  currentRoundTripTime?: number;
  jitter?: number;
  packetsLost?: number;
  packetsReceived?: number;
  nominated?: boolean;
  state?: string;
}

export async function callQuality(peerConnection: RTCPeerConnection): Promise<CallQuality> {
  const report = await peerConnection.getStats();
  let roundTripMs: number | null = null;
  let pairRoundTripMs: number | null = null;
  let jitterMs: number | null = null;
  let lossPercent: number | null = null;
  report.forEach((value: StatsFields) => {
    if (value.type === 'remote-inbound-rtp' && value.kind === 'audio' && value.roundTripTime !== undefined) {
      roundTripMs = value.roundTripTime * 1000;
    } else if (value.type === 'candidate-pair' && value.nominated === true && value.state === 'succeeded' && value.currentRoundTripTime !== undefined) {
      pairRoundTripMs = value.currentRoundTripTime * 1000;
    } else if (value.type === 'inbound-rtp' && value.kind === 'audio') {
      if (value.jitter !== undefined) jitterMs = value.jitter * 1000;
      const lost = Math.max(0, value.packetsLost ?? 0);
      const expected = lost + (value.packetsReceived ?? 0);
      lossPercent = expected > 0 ? (100 * lost) / expected : null;
    }
  });
  // RTCP-based RTT covers the whole media path; the ICE one only reaches the media relay.
  return { roundTripMs: roundTripMs ?? pairRoundTripMs, jitterMs, lossPercent };
}
