// What the e2e phone page (page-main.ts, in the browser) and its Node driver
// (test/helpers/browser-phone.ts) share: the `window.phone` API and the JSON it returns. No DOM
// and no Node types here, so both sides type-check against the same declarations.

export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'unregistering' | 'failed';

export interface RegistrationSnapshot {
  state: RegistrationState;
  /** Status of the last final REGISTER response (401, 403…), or null before any. */
  statusCode: number | null;
  /** Reason phrase of that response, or why the WebSocket could not connect. */
  reason: string | null;
}

/** 'calling': INVITE sent, no 18x yet. 'ringing': our INVITE got a 18x, or an INVITE came in. */
export type CallState = 'idle' | 'calling' | 'ringing' | 'connected' | 'ended';

/**
 * Why the last call ended. 'rejected': the far end (or the IPBX) answered our INVITE with an
 * error status; 'declined': we refused an incoming call; 'cancelled': the caller gave up before
 * we answered; 'failed': anything else (transport error, timeout, bad SDP).
 */
export type EndCause = 'local-hangup' | 'remote-hangup' | 'rejected' | 'declined' | 'cancelled' | 'failed';

export interface CallSnapshot {
  state: CallState;
  direction: 'outgoing' | 'incoming' | null;
  /** The other party as the INVITE named it (From for incoming calls, To for outgoing ones). */
  remoteName: string | null;
  remoteNumber: string | null;
  /** Final status of the INVITE: the one received for outgoing calls, the one sent for incoming ones. */
  statusCode: number | null;
  reason: string | null;
  endCause: EndCause | null;
  /** This phone put the call on hold. */
  onHold: boolean;
  /** Negotiated direction of the audio transceiver (RTCRtpTransceiver.currentDirection), from this side. */
  mediaDirection: string | null;
  /** DTMF digits received in SIP INFO (application/dtmf-relay) during this call, in order. */
  infoDigits: string;
}

export interface PhoneSnapshot {
  registration: RegistrationSnapshot;
  call: CallSnapshot;
}

export interface RegisterOptions {
  /** ws://127.0.0.1:PORT of the IPBX's WebSocket listener. */
  wsUrl: string;
  domain: string;
  user: string;
  password: string;
  displayName?: string;
  /** sip.js CRLF keep-alive period over the WebSocket; 0 (default) sends none. */
  keepAliveSeconds?: number;
}

export interface DtmfOptions {
  /** Send each digit in its own SIP INFO (application/dtmf-relay) instead of RTP events (RFC 4733). */
  info?: boolean;
  /** Tone duration per digit, ms. Default 160. */
  durationMs?: number;
}

export interface HeardAudio {
  /** Strongest frequency of the remote audio over the window, Hz (0 when there is no remote track). */
  frequencyHz: number;
  /** RMS level of the remote audio, dBFS (SILENCE_DB when there is no remote track). */
  levelDb: number;
  /** A remote audio track exists (the call has media). */
  hasTrack: boolean;
}

export interface MediaEndpoint {
  address: string;
  port: number;
}

/**
 * Where this phone sends its media: the selected ICE candidate pair, from getStats(). Each side
 * picks its own selected pair, so the two phones' routes need not mirror each other; what the far
 * end sends to is one of its `localCandidates`. A peer-reflexive remote's address is hidden ('').
 */
export interface MediaRoute {
  local: MediaEndpoint;
  remote: MediaEndpoint;
  /** Every UDP host candidate this phone gathered. */
  localCandidates: MediaEndpoint[];
}

export interface PhoneApi {
  register(options: RegisterOptions): Promise<void>;
  unregister(): Promise<void>;
  call(number: string): Promise<void>;
  answer(): Promise<void>;
  reject(statusCode?: number): Promise<void>;
  hangup(): Promise<void>;
  hold(): Promise<void>;
  unhold(): Promise<void>;
  sendDtmf(digits: string, options?: DtmfOptions): Promise<void>;
  state(): PhoneSnapshot;
  listen(windowMs?: number): Promise<HeardAudio>;
  /** Null before ICE has selected a pair (or without a call). */
  mediaRoute(): Promise<MediaRoute | null>;
  /** The last SIP messages sent and received, oldest first (for failure messages). */
  sipTrace(): string[];
}
