// Where SDP crosses the B2BUA: the media-plane issue plugs rtpengine in here. Until then the
// passthrough hook relays SDP unchanged and RTP flows directly between the phones.

export interface MediaLegInfo {
  /** The B2BUA call id (one per call, both legs). */
  callId: string;
  /** `a` = the caller's leg, `b` = a callee leg (one per fork). */
  leg: 'a' | 'b';
  legTag: string;
  /** Transport of that leg, so WebRTC legs (ws/wss) can get ICE/DTLS. */
  protocol: string;
}

export interface MediaHook {
  /** An offer received on `from` is rewritten for the other leg. */
  offer(sdp: Buffer, from: MediaLegInfo, to: MediaLegInfo): Promise<Buffer>;
  /** An answer received on `from` is rewritten for the other leg. */
  answer(sdp: Buffer, from: MediaLegInfo, to: MediaLegInfo): Promise<Buffer>;
  /** The call ended: release its media resources. */
  release(callId: string): Promise<void>;
}

export const passthroughMedia: MediaHook = {
  offer: (sdp) => Promise.resolve(sdp),
  answer: (sdp) => Promise.resolve(sdp),
  release: () => Promise.resolve(),
};
