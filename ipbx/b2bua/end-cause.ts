// Why a call ended, as the CDR and the `ended` event say it: one word a trainer can filter on,
// plus the SIP status the caller got when there is one.

export type EndCause =
  | 'answered'
  | 'busy'
  | 'no-answer'
  | 'cancelled'
  | 'rejected'
  | 'unknown-number'
  | 'offline'
  | 'failed'
  /** Its remaining leg was moved into another call by an attended transfer (RFC 5589 §7). */
  | 'transferred'
  /** Its media session was lost (its rtpengine restarted or stopped answering). */
  | 'media-lost';

export interface CallEnd {
  cause: EndCause;
  /** The final status of the caller's INVITE (200 for an answered call), null when none was sent. */
  status: number | null;
  /** Who ended it, for the log and the event. */
  by: 'caller' | 'callee' | 'api' | 'system';
}

/** The cause for a callee's final failure response (`local`: made up by our stack on timeout/transport failure). */
export function causeOfFailure(status: number, local: boolean): EndCause {
  if (local) return 'failed';
  if (status === 486 || status === 600) return 'busy';
  if (status === 480 || status === 408 || status === 487) return 'no-answer';
  if (status === 404 || status === 604 || status === 484 || status === 410) return 'unknown-number';
  if (status >= 500 && status < 600) return 'failed';
  return 'rejected';
}
