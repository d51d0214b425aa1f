// Where SDP and media features cross the B2BUA. The rtpengine hook (ipbx/media) bridges every
// call's media; the passthrough hook relays SDP unchanged (RTP flows directly between the phones)
// and has no media of its own, so it plays nothing and cannot translate DTMF.

export interface MediaLegInfo {
  /** The B2BUA call id (one per call, both legs). */
  callId: string;
  /** `a` = the caller's leg, `b` = a callee leg (one per fork). */
  leg: 'a' | 'b';
  legTag: string;
  /** Transport of that leg, so WebRTC legs (ws/wss) can get ICE/DTLS. */
  protocol: string;
}

/** Who a recording is of, for its listing. */
export interface RecordingParties {
  caller: string;
  callee: string;
  startedAt: number;
}

export interface MediaHook {
  /** Whether media flows through the IPBX (music on hold, announcements, DTMF translation, recording work). */
  readonly bridgesMedia: boolean;
  /** An offer received on `from` is rewritten for the other leg. */
  offer(sdp: Buffer, from: MediaLegInfo, to: MediaLegInfo): Promise<Buffer>;
  /** An answer received on `from` is rewritten for the other leg. */
  answer(sdp: Buffer, from: MediaLegInfo, to: MediaLegInfo): Promise<Buffer>;
  /** The call ended: release its media resources (and finish its recording). */
  release(callId: string): Promise<void>;
  /** `held` was put on hold by its peer: it hears music on hold until `resume` (desk phones; see the hook for browsers). */
  hold(held: MediaLegInfo): Promise<void>;
  resume(held: MediaLegInfo): Promise<void>;
  /** Music on hold to `to` (a caller waiting in a queue) until `stop`, whatever its kind. */
  playMusic(to: MediaLegInfo): Promise<void>;
  /**
   * Answers `caller`'s offer on behalf of the IPBX itself (an announcement, a queue): the SDP to
   * send it back, with media from a player leg of tag `playerTag`. `keepsSending`: the caller will
   * be connected to someone later, so the answer must not tell it to stop sending (recvonly).
   */
  answerLocally(offer: Buffer, caller: MediaLegInfo, playerTag: string, keepsSending?: boolean): Promise<Buffer>;
  /** Plays a WAV file to `to`; resolves its duration in milliseconds once it started. */
  play(to: MediaLegInfo, file: string, repeat?: number): Promise<number>;
  /** Stops what `play` or `hold` started for `to`. */
  stop(to: MediaLegInfo): Promise<void>;
  /**
   * Lets `sendDtmf` work in this call: asked before its first offer, when a party sends DTMF as
   * SIP INFO (it costs rtpengine decoding and re-encoding the call's audio).
   */
  enableDtmfInjection(callId: string): void;
  /** RFC 4733 DTMF into the media `from` sends, so its peer gets it (SIP INFO translation). */
  sendDtmf(from: MediaLegInfo, digit: string, durationMs: number): Promise<void>;
  /** RFC 4733 events `from` sends are no longer forwarded (its peer gets them as SIP INFO instead). */
  blockDtmf(from: MediaLegInfo): Promise<void>;
  /** Records the call from now on; its WAV is written when the call is released. */
  record(callId: string, parties: RecordingParties): Promise<void>;
}

const unsupported = (what: string) => () => Promise.reject(new Error(`${what} needs media mode rtpengine (media.mode in the config)`));

export const passthroughMedia: MediaHook = {
  bridgesMedia: false,
  offer: (sdp) => Promise.resolve(sdp),
  answer: (sdp) => Promise.resolve(sdp),
  release: () => Promise.resolve(),
  hold: () => Promise.resolve(),
  resume: () => Promise.resolve(),
  playMusic: unsupported('music on hold'),
  answerLocally: unsupported('answering a call with IPBX media'),
  play: unsupported('playing a prompt'),
  stop: () => Promise.resolve(),
  enableDtmfInjection: () => undefined,
  sendDtmf: unsupported('translating DTMF'),
  blockDtmf: unsupported('translating DTMF'),
  record: unsupported('recording'),
};
