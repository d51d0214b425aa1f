// What the four transaction state machines share: the state and its transition table, named
// timers on the injected Clock, sends whose failures come back as transport errors, and a guard
// so that nothing a TU handler throws escapes into the transport or the clock.

import type { Clock, TimerHandle } from '../clock.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.ts';
import type { SendTarget, SipTransportLayer } from '../transport/transport-types.ts';
import { transactionTimers, type TimerConfig, type TransactionTimers } from './timer-config.ts';
import { TransactionError } from './transaction-errors.ts';

/** For each state, the states it may move to. */
export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

export type TransactionKind = 'ict' | 'nict' | 'ist' | 'nist';

export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M';

/** What a client transaction tells its TU. */
export interface ClientTransactionHandlers {
  /** Provisional and final responses, and (RFC 6026) every 2xx retransmission. */
  onResponse(response: SipResponse): void;
  /** Timer B or F fired: the TU acts as if a 408 had arrived (RFC 3261 §8.1.3.1). */
  onTimeout(): void;
  onTransportError(error: unknown): void;
}

/** What a server transaction tells its TU (through the layer's TransactionUser). */
export interface ServerTransactionEvents {
  /** IST Timer H fired: the ACK for a non-2xx final never came. */
  onAckTimeout(): void;
  /** A response could not be sent; the transaction stays where it is (RFC 6026 §8.8). */
  onTransportError(error: unknown): void;
}

/** What the layer lends each transaction. */
export interface TransactionContext {
  readonly clock: Clock;
  readonly transport: SipTransportLayer;
  readonly config: TimerConfig;
  /** Errors nobody else can handle (a TU handler threw). */
  report(error: unknown): void;
  /** Called once, when the machine reaches Terminated, so the layer forgets it. */
  terminated(transaction: Transaction<string>): void;
}

export abstract class Transaction<S extends string> {
  abstract readonly kind: TransactionKind;
  /** The matching key the layer files this transaction under. */
  readonly key: string;
  /** The request that created the transaction. */
  readonly request: SipRequest;
  readonly reliable: boolean;
  protected readonly timers: TransactionTimers;
  protected readonly context: TransactionContext;
  readonly #table: TransitionTable<S>;
  #state: S;
  readonly #armed = new Map<TimerName, TimerHandle>();
  #disposed = false;

  protected constructor(context: TransactionContext, request: SipRequest, key: string, reliable: boolean, initial: S, table: TransitionTable<S>) {
    this.context = context;
    this.request = request;
    this.key = key;
    this.reliable = reliable;
    this.timers = transactionTimers(context.config, reliable);
    this.#state = initial;
    this.#table = table;
  }

  get state(): S {
    return this.#state;
  }

  get isTerminated(): boolean {
    return this.#state === 'Terminated';
  }

  /** Moves to `to` if the table allows it; leaving for Terminated stops every timer. */
  protected transition(to: S): void {
    const from = this.#state;
    if (!this.#table[from].includes(to)) {
      throw new TransactionError('TRANSACTION_ILLEGAL_TRANSITION', `${this.kind.toUpperCase()} ${this.key}: ${from} → ${to} is not allowed`);
    }
    this.#state = to;
    if (to === 'Terminated') {
      this.#cancelAll();
      this.context.terminated(this);
    }
  }

  /**
   * Stops the machine without informing anyone: the layer is closing. Not an RFC transition,
   * so it bypasses the table.
   */
  dispose(): void {
    this.#disposed = true;
    this.#cancelAll();
    this.#state = 'Terminated' as S;
  }

  /** Starts (or restarts) a named timer; its callback runs guarded. */
  protected arm(name: TimerName, ms: number, fn: () => void): void {
    this.#armed.get(name)?.cancel();
    const handle = this.context.clock.setTimer(ms, () => {
      if (this.#armed.get(name) !== handle) return;
      this.#armed.delete(name);
      this.guard(fn);
    });
    this.#armed.set(name, handle);
  }

  protected disarm(name: TimerName): void {
    this.#armed.get(name)?.cancel();
    this.#armed.delete(name);
  }

  /**
   * Arms a retransmission timer (A, E or G): each time it fires, `resend` runs and the timer is
   * armed again with `next(interval)`, computed then (the next interval may depend on the state).
   */
  protected armRetransmission(name: TimerName, interval: number, resend: () => void, next: (interval: number) => number): void {
    this.arm(name, interval, () => {
      resend();
      this.armRetransmission(name, next(interval), resend, next);
    });
  }

  /** A wait timer that is zero on reliable transports ends the transaction at once instead of on a later tick. */
  protected armOrTerminate(name: TimerName, ms: number): void {
    if (ms <= 0) this.transition('Terminated' as S);
    else this.arm(name, ms, () => this.transition('Terminated' as S));
  }

  /**
   * Hands a message to the transport; a rejection becomes `transportFailed`, even after Terminated
   * (a final response over TCP ends a server transaction at once, and its TU still wants to know),
   * but not once the layer has closed.
   */
  protected sendMessage(message: SipMessage, target: SendTarget): void {
    let sent: Promise<void>;
    try {
      sent = this.context.transport.send(message, target);
    } catch (err) {
      sent = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    sent.catch((err: unknown) => {
      if (!this.#disposed) this.guard(() => this.transportFailed(err));
    });
  }

  /** Runs TU code (or a timer step) so that a throw is reported, never propagated. */
  protected guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.context.report(err);
    }
  }

  protected abstract transportFailed(error: unknown): void;

  #cancelAll(): void {
    for (const handle of this.#armed.values()) handle.cancel();
    this.#armed.clear();
  }
}
