// Non-INVITE client transaction (RFC 3261 §17.1.2): retransmits over UDP on Timer E (doubling,
// capped at T2), times out on Timer F, and absorbs response retransmissions until Timer K.

import type { MessageSource, SendTarget } from '../transport/transport-types.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { ClientTransactionBase } from './client-transaction.ts';
import type { ClientTransactionHandlers, TransactionContext, TransitionTable } from './transaction.ts';

export const NictState = {
  Trying: 'Trying',
  Proceeding: 'Proceeding',
  Completed: 'Completed',
  Terminated: 'Terminated',
} as const;
export type NictState = (typeof NictState)[keyof typeof NictState];

/** RFC 3261 Figure 6. */
export const NICT_TRANSITIONS: TransitionTable<NictState> = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

export class NonInviteClientTransaction extends ClientTransactionBase<NictState> {
  readonly kind = 'nict';

  constructor(context: TransactionContext, request: SipRequest, target: SendTarget, handlers: ClientTransactionHandlers, key: string, reliable: boolean) {
    super(context, request, target, handlers, key, reliable, NictState.Trying, NICT_TRANSITIONS);
  }

  /** Sends the request and starts Timers E and F (the layer calls it once, after filing the transaction). */
  start(): void {
    // §17.1.2.2: "The request MUST be passed to the transport layer for transmission."
    this.sendRequest();
    // "If an unreliable transport is in use, the client transaction MUST set timer E to fire in T1 seconds."
    // When it fires, in Trying "reset the timer with a value of MIN(2*T1, T2)" and so on; "If Timer E
    // fires while in the Proceeding state ... Timer E MUST be reset with a value of T2 seconds."
    if (this.timers.E !== undefined) {
      const next = (interval: number) => (this.state === NictState.Trying ? Math.min(2 * interval, this.timers.T2) : this.timers.T2);
      this.armRetransmission('E', this.timers.E, () => this.sendRequest(), next);
    }
    // "the client transaction MUST set timer F to fire in 64*T1 seconds".
    this.arm('F', this.timers.F, () => this.#onTimerF());
  }

  receiveResponse(response: SipResponse, _source: MessageSource): void {
    const status = response.status;
    if (this.state !== NictState.Trying && this.state !== NictState.Proceeding) {
      // §17.1.2.2: "The Completed state exists to buffer any additional response retransmissions that may be received".
      return;
    }
    if (status < 200) {
      // "If a provisional response is received while in the Trying state, the response MUST be passed to
      // the TU, and then the client transaction SHOULD move to the Proceeding state."
      if (this.state === NictState.Trying) this.transition(NictState.Proceeding);
      this.passUp(response);
      return;
    }
    // "If a final response (status codes 200-699) is received while in the Trying [or Proceeding] state,
    // the response MUST be passed to the TU, and the client transaction MUST transition to the Completed
    // state." "Once the client transaction enters the Completed state, it MUST set Timer K".
    this.disarm('E');
    this.disarm('F');
    this.transition(NictState.Completed);
    this.armOrTerminate('K', this.timers.K);
    this.passUp(response);
  }

  #onTimerF(): void {
    // §17.1.2.2: "If Timer F fires while the client transaction is still in the Trying state [or
    // Proceeding], the client transaction SHOULD inform the TU about the timeout, and then it SHOULD
    // enter the Terminated state."
    this.timeOut();
  }

  protected transportFailed(error: unknown): void {
    // §17.1.4: "inform the TU that a transport failure has occurred, and ... transition directly to the
    // Terminated state". Completed sends nothing, so a late failure there changes nothing.
    if (this.state !== NictState.Trying && this.state !== NictState.Proceeding) return;
    this.failOnTransportError(error);
  }
}
