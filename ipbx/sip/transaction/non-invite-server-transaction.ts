// Non-INVITE server transaction (RFC 3261 §17.2.2): sends the TU's responses, answers request
// retransmissions with the last one, and absorbs them after the final until Timer J.

import type { SipRequest, SipResponse } from '../message/index.ts';
import type { MessageSource } from '../transport/transport-types.ts';
import { ServerTransactionBase } from './server-transaction.ts';
import type { ServerTransactionEvents, TransactionContext, TransitionTable } from './transaction.ts';

export const NistState = {
  Trying: 'Trying',
  Proceeding: 'Proceeding',
  Completed: 'Completed',
  Terminated: 'Terminated',
} as const;
export type NistState = (typeof NistState)[keyof typeof NistState];

/** RFC 3261 Figure 8 (transport errors leave the state alone, RFC 6026 §8.8). */
export const NIST_TRANSITIONS: TransitionTable<NistState> = {
  Trying: ['Proceeding', 'Completed'],
  Proceeding: ['Completed'],
  Completed: ['Terminated'],
  Terminated: [],
};

export class NonInviteServerTransaction extends ServerTransactionBase<NistState> {
  readonly kind = 'nist';

  constructor(context: TransactionContext, request: SipRequest, source: MessageSource, key: string, events: ServerTransactionEvents) {
    super(context, request, source, key, events, NistState.Trying, NIST_TRANSITIONS);
  }

  /** Sends a response from the TU; `false` when this state takes none (it is then discarded). */
  respond(response: SipResponse): boolean {
    if (this.state !== NistState.Trying && this.state !== NistState.Proceeding) {
      // §17.2.2: "Any other final responses passed by the TU to the server transaction MUST be discarded
      // while in the Completed state."
      return false;
    }
    if (response.status < 200) {
      // §17.2.2: "While in the Trying state, if the TU passes a provisional response to the server
      // transaction, the server transaction MUST enter the Proceeding state. The response MUST be passed
      // to the transport layer for transmission."
      if (this.state === NistState.Trying) this.transition(NistState.Proceeding);
      this.sendProvisional(response);
      return true;
    }
    // "If the TU passes a final response (status codes 200-699) to the server while in the Proceeding
    // [or Trying] state, the transaction MUST enter the Completed state, and the response MUST be passed
    // to the transport layer for transmission." "When the server transaction enters the Completed state,
    // it MUST set Timer J to fire in 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
    this.transition(NistState.Completed);
    this.sendFinal(response);
    this.armOrTerminate('J', this.timers.J);
    return true;
  }

  /** A retransmission of the request. */
  receiveRetransmission(_request: SipRequest): void {
    switch (this.state) {
      case NistState.Proceeding:
        // §17.2.2: "If a retransmission of the request is received while in the Proceeding state, the most
        // recently sent provisional response MUST be passed to the transport layer for retransmission."
        this.resendProvisional();
        return;
      case NistState.Completed:
        // "While in the Completed state, the server transaction MUST pass the final response to the
        // transport layer for retransmission whenever a retransmission of the request is received."
        this.resendFinal();
        return;
      default:
        // "Once in the Trying state, any further request retransmissions are discarded."
        return;
    }
  }
}
