// The seam between the call logic and rtpengine: one ng command at a time, for one call. The
// embedded instance, external instances (spread and failover) and test doubles all fit it, so the
// B2BUA's media hook never knows how many rtpengines there are or where they run.

/** A bencode value as the ng protocol carries it (strings arrive as Buffers only where binary). */
export type NgValue = string | number | Buffer | NgValue[] | NgDictionary;
export interface NgDictionary { [key: string]: NgValue }

/** The ng commands voiplab uses (rtpengine's names, as sent on the wire). */
export type NgCommand =
  | 'ping' | 'offer' | 'answer' | 'delete' | 'query' | 'list'
  | 'play media' | 'stop media' | 'play DTMF'
  | 'start recording' | 'stop recording' | 'block media' | 'unblock media' | 'block DTMF' | 'unblock DTMF';

/** One DTMF digit rtpengine detected in a call's RTP (RFC 4733 telephone-event). */
export interface MediaDtmfEvent {
  callId: string;
  /** The tag of the leg (party) that sent the digit. */
  sourceTag: string;
  /** 0-9, *, #, A-D. */
  digit: string;
  durationMs: number;
}

export interface MediaControl {
  /**
   * Sends `command` with `params` (which carry `call-id` for every call command) to the instance
   * that owns that call (chosen on its first offer), and resolves rtpengine's reply when its
   * `result` is `ok` (or `pong` for ping). Rejects with a MediaError (codes MEDIA_*) otherwise:
   * timeouts after retries, an `error` result with rtpengine's `error-reason`, no instance up.
   */
  command(command: NgCommand, params: NgDictionary): Promise<NgDictionary>;
  /**
   * Registers a listener for calls whose media sessions are gone (their rtpengine restarted or
   * stopped answering); the B2BUA ends them with a CDR cause.
   */
  onSessionsLost(listener: (callIds: string[], reason: string) => void): void;
  /**
   * Registers a listener for RFC 4733 DTMF events rtpengine saw on a call (its DTMF log), so the
   * B2BUA can relay them as SIP INFO to a leg that wants INFO.
   */
  onDtmf(listener: (event: MediaDtmfEvent) => void): void;
  /** Stops what this control started (processes, sockets, timers). */
  close(): Promise<void>;
}
