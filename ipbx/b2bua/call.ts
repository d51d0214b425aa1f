// A call through the B2BUA: the caller's INVITE and leg (a), the connected callee leg (b) once
// answered, the forks still ringing, its state, its timers (all cancelled when it ends) and how
// it ended. Ending is idempotent and happens once: listeners do the teardown (BYE, CANCEL, CDR).
// A transfer (REFER, INVITE with Replaces) puts a new leg in place of one side: `a`, `b` and the
// labels `caller`/`callee` then name the parties connected now, which is what the CDR records.

import type { ActiveCall } from './call-control.ts';
import type { CallState } from '../events/ipbx-events.ts';
import type { Clock, IncomingRequest, TimerHandle } from '../sip/index.ts';
import type { CallerIdentity } from './caller-identity.ts';
import { CallStates, canMove } from './call-state.ts';
import type { CallEnd } from './end-cause.ts';
import type { Leg } from './leg.ts';

/** What the call needs to know of an outbound INVITE still in progress. */
export interface PendingFork {
  cancel(): void;
}

/**
 * A transfer being carried out on the call (one at a time). `leaving` is the leg it takes out of
 * the call (the referrer's, or the one an INVITE with Replaces replaces): its BYE before the
 * transfer is over (RFC 5589 §6: a transferor may hang up once the REFER is accepted) does not
 * end the call.
 */
export interface PendingTransfer {
  readonly leaving: Leg;
}

export interface CallInit {
  id: string;
  invite: IncomingRequest;
  a: Leg;
  caller: CallerIdentity;
  /** The dialled number. */
  callee: string;
  clock: Clock;
  onState: (call: Call) => void;
}

export class Call {
  readonly id: string;
  readonly invite: IncomingRequest;
  /** The caller's leg, or the one a transfer put in its place. */
  a: Leg;
  b: Leg | undefined;
  /** Who is on side a: the caller, or the party a transfer connected in its place. */
  caller: CallerIdentity;
  /** The dialled number, or the number of the party a transfer connected on side b. */
  callee: string;
  readonly startedAt: number;
  answeredAt: number | null = null;
  /** The account that answered on side b (undefined: an external number, or not answered). */
  answeredBy: string | undefined;
  /** The dialplan rule that routed it asks for a recording. */
  recordRequested = false;
  /** rtpengine may inject DTMF into its media (SIP INFO translation; see dtmf-translation.ts). */
  dtmfInjection = false;
  endedAt: number | null = null;
  outcome: CallEnd | undefined;
  readonly forks = new Set<PendingFork>();
  /** Kinds of 18x already relayed to the caller (`180`, `183`, `183+sdp`): each once. */
  readonly relayedProvisionals = new Set<string>();
  transfer: PendingTransfer | undefined;
  /** Legs an attended transfer moved into another call: the teardown leaves them alone. */
  readonly departed = new Set<Leg>();
  #state: CallState = CallStates.Routing;
  readonly #clock: Clock;
  readonly #timers = new Set<TimerHandle>();
  readonly #endListeners: Array<(end: CallEnd) => void> = [];
  readonly #onState: (call: Call) => void;

  constructor(init: CallInit) {
    this.id = init.id;
    this.invite = init.invite;
    this.a = init.a;
    this.caller = init.caller;
    this.callee = init.callee;
    this.#clock = init.clock;
    this.startedAt = init.clock.now();
    this.#onState = init.onState;
  }

  get state(): CallState {
    return this.#state;
  }

  get ended(): boolean {
    return this.#state === CallStates.Ended;
  }

  /** The caller sent no SDP (RFC 3261 §13.2.1 "offer in the 2xx"): the callee's 2xx offers and the caller's ACK answers. */
  get lateOffer(): boolean {
    return this.invite.request.body.length === 0;
  }

  /** Moves to a new state (refusing illegal moves and ending) and announces it. */
  moveTo(state: CallState): boolean {
    if (state === this.#state || state === CallStates.Ended || !canMove(this.#state, state)) return false;
    this.#state = state;
    if (state === CallStates.Answered && this.answeredAt === null) this.answeredAt = this.#clock.now();
    this.#onState(this);
    return true;
  }

  /** A timer that dies with the call. */
  setTimer(ms: number, fn: () => void): TimerHandle {
    const handle = this.#clock.setTimer(ms, () => {
      this.#timers.delete(handle);
      fn();
    });
    this.#timers.add(handle);
    return {
      cancel: () => {
        handle.cancel();
        this.#timers.delete(handle);
      },
    };
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Runs `listener` once when the call ends (at once if it has). */
  onEnd(listener: (end: CallEnd) => void): () => void {
    if (this.outcome !== undefined) {
      listener(this.outcome);
      return () => undefined;
    }
    this.#endListeners.push(listener);
    return () => {
      const i = this.#endListeners.indexOf(listener);
      if (i !== -1) this.#endListeners.splice(i, 1);
    };
  }

  /** Ends the call once; false when it had already ended. */
  finish(end: CallEnd): boolean {
    if (this.outcome !== undefined) return false;
    this.outcome = end;
    this.endedAt = this.#clock.now();
    this.#state = CallStates.Ended;
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    this.#onState(this);
    for (const listener of this.#endListeners.splice(0)) listener(end);
    return true;
  }

  toActiveCall(): ActiveCall {
    return {
      id: this.id,
      caller: this.caller.extension,
      callerName: this.caller.displayName,
      callee: this.callee,
      state: this.#state,
      startedAt: this.startedAt,
      answeredAt: this.answeredAt,
    };
  }
}
