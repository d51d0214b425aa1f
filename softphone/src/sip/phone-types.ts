// The data the softphone's SIP adapter reports: registration, calls, errors. Plain JSON data, no
// DOM and no sip.js types, so the automation hooks and the Node-side tests share these types.

export type RegistrationState = 'signed-out' | 'connecting' | 'registering' | 'registered' | 'reconnecting' | 'failed';

/**
 * 'calling': our INVITE is out, no 18x yet; 'ringing': the far end rings (18x); 'incoming': an
 * INVITE waits for us to answer; 'connected': answered (on hold or not); 'ended'.
 */
export type CallState = 'calling' | 'ringing' | 'incoming' | 'connected' | 'ended';

/** Why a call ended: 'rejected' the far end refused ours, 'declined' we refused one, 'cancelled' the caller gave up. */
export type EndCause = 'local-hangup' | 'remote-hangup' | 'rejected' | 'declined' | 'cancelled' | 'transferred' | 'failed';

/** Stable codes of what went wrong, for the UI's messages and for automation. */
export type PhoneErrorCode =
  | 'wrong-credentials' // REGISTER refused 401/403/407
  | 'server-unreachable' // the WebSocket would not open (down, wrong URL, or an untrusted certificate)
  | 'connection-lost' // the WebSocket dropped; reconnecting
  | 'registration-refused' // any other REGISTER error status
  | 'microphone-denied'
  | 'no-microphone'
  | 'call-failed'
  | 'transfer-failed'
  | 'bad-settings';

export interface PhoneError {
  code: PhoneErrorCode;
  /** SIP status when one caused it. */
  statusCode: number | null;
  /** Technical detail (reason phrase, browser error message), in English. */
  detail: string;
  /** Date.now() when it happened. */
  at: number;
}

export interface CallQuality {
  roundTripMs: number | null;
  jitterMs: number | null;
  /** Packets lost over packets expected, received direction, percent. */
  lossPercent: number | null;
}

export interface CallSnapshot {
  id: string;
  direction: 'outgoing' | 'incoming';
  state: CallState;
  remoteNumber: string;
  remoteName: string;
  /** Date.now() values. */
  startedAt: number;
  /** An outgoing call's first 18x (the far end rings); null otherwise. */
  ringingAt: number | null;
  connectedAt: number | null;
  endedAt: number | null;
  endCause: EndCause | null;
  /** Final status of the INVITE (sent or received). */
  statusCode: number | null;
  /** We put the call on hold. */
  onHold: boolean;
  muted: boolean;
  /** DTMF digits received in SIP INFO, in order. */
  receivedDtmf: string;
  /** A transfer we asked for (REFER) and how it went. */
  transfer: 'none' | 'requested' | 'accepted' | 'failed';
  /** Re-INVITEs with an ICE restart that succeeded: the call was carried over a new WebSocket connection. */
  iceRestarts: number;
}

export interface RegistrationSnapshot {
  state: RegistrationState;
  /** user@domain once signed in. */
  aor: string | null;
  statusCode: number | null;
}

export interface PhoneSnapshot {
  registration: RegistrationSnapshot;
  /** Calls not yet ended, oldest first, then recently ended ones (kept a few seconds for the UI). */
  calls: CallSnapshot[];
  lastError: PhoneError | null;
}

export interface SignInOptions {
  /** wss:// (or ws:// on loopback) URL of the SIP-over-WebSocket server. */
  server: string;
  domain: string;
  user: string;
  password: string;
  /** Authentication user when it differs from the extension. */
  authUser?: string;
  displayName?: string;
  /** RTCIceServer list; empty: host candidates only (the IPBX's media plane is reachable). */
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
}

export type DtmfMethod = 'rfc4733' | 'info';
