// One call of an emulated desk phone, either way: its state (a small state machine), why it ended,
// the final SIP status, the SIP INFO digits it received, and the figures a report shows
// (post-dial delay, setup time, time to audio).

import type { Dialog } from '../../../ipbx/sip/dialog/index.ts';
import type { SipRequest } from '../../../ipbx/sip/message/index.ts';
import type { IncomingRequest } from '../../../ipbx/sip/ua/index.ts';

export const CallState = {
  Calling: 'calling',
  Ringing: 'ringing',
  Connected: 'connected',
  Ended: 'ended',
} as const;
export type CallState = (typeof CallState)[keyof typeof CallState];

const ALLOWED: Record<CallState, readonly CallState[]> = {
  calling: ['ringing', 'connected', 'ended'],
  ringing: ['connected', 'ended'],
  connected: ['ended'],
  ended: [],
};

export type EndCause = 'local-hangup' | 'remote-hangup' | 'rejected' | 'cancelled' | 'transferred' | 'failed';

export interface CallTimings {
  /** INVITE sent → first 180/183 (outgoing calls). */
  postDialDelayMs?: number;
  /** INVITE sent → 200 OK (outgoing), or INVITE received → answered (incoming). */
  setupMs?: number;
  /** Connected → first audio packet received. */
  timeToAudioMs?: number;
}

export class EmulatedCall {
  readonly direction: 'outgoing' | 'incoming';
  /** The number dialled (outgoing) or the caller's user (incoming). */
  readonly peer: string;
  readonly startedAt = performance.now();
  state: CallState;
  cause: EndCause | undefined;
  /** The final response to the INVITE (sent or received). */
  status: number | undefined;
  dialog: Dialog | undefined;
  /** The INVITE as last sent (after a digest retry, the second one): CANCEL needs it. */
  invite: SipRequest | undefined;
  /** The INVITE received, while it waits to be answered or rejected. */
  incoming: IncomingRequest | undefined;
  connectedAt: number | undefined;
  onHold = false;
  readonly infoDigits: string[] = [];
  /** Status lines of the NOTIFYs about a transfer this phone asked for (RFC 3515 §2.4.5). */
  readonly transferProgress: string[] = [];
  readonly timings: CallTimings = {};

  constructor(direction: 'outgoing' | 'incoming', peer: string) {
    this.direction = direction;
    this.peer = peer;
    this.state = direction === 'incoming' ? CallState.Ringing : CallState.Calling;
  }

  /** Moves to `to`; false (and no change) when the move is not allowed, e.g. a late 180 after the end. */
  transition(to: CallState): boolean {
    if (!ALLOWED[this.state].includes(to)) return false;
    this.state = to;
    if (to === CallState.Connected) {
      this.connectedAt = performance.now();
      this.timings.setupMs = Math.round(this.connectedAt - this.startedAt);
    }
    return true;
  }

  end(cause: EndCause, status?: number): void {
    if (!this.transition(CallState.Ended)) return;
    this.cause = cause;
    if (status !== undefined) this.status = status;
  }

  describe(): string {
    if (this.state !== CallState.Ended) return this.onHold ? `${this.state} (on hold)` : this.state;
    return `ended (${this.cause ?? 'unknown'}${this.status === undefined ? '' : `, status ${this.status}`})`;
  }
}
