// Non-INVITE server transaction (RFC 3261 §17.2.2): sends the TU's responses, answers request
// retransmissions with the last one, and absorbs them after the final until Timer J.

import type { SipRequest, SipResponse } from '../message/index.ts';
import { isReliable, type MessageSource, type SendTarget } from '../transport/transport-types.ts';
import { responseTarget } from './response-target.ts';
import { Transaction, type ServerTransactionEvents, type TransactionContext, type TransitionTable } from './transaction.ts';

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

export class NonInviteServerTransaction extends Transaction<NistState> {
  readonly kind = 'nist';
  readonly source: MessageSource;
  readonly responseTarget: SendTarget;
  readonly #events: ServerTransactionEvents;
  #lastProvisional: SipResponse | undefined;
  #finalResponse: SipResponse | undefined;

  constructor(context: TransactionContext, request: SipRequest, source: MessageSource, key: string, events: ServerTransactionEvents) {
    super(context, request, key, isReliable(source.protocol), NistState.Trying, NIST_TRANSITIONS);
    this.source = source;
    this.responseTarget = responseTarget(request, source);
    this.#events = events;
  }

  get finalResponse(): SipResponse | undefined {
    return this.#finalResponse;
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
      this.#lastProvisional = response;
      this.sendMessage(response, this.responseTarget);
      return true;
    }
    // "If the TU passes a final response (status codes 200-699) to the server while in the Proceeding
    // [or Trying] state, the transaction MUST enter the Completed state, and the response MUST be passed
    // to the transport layer for transmission." "When the server transaction enters the Completed state,
    // it MUST set Timer J to fire in 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
    this.#finalResponse = response;
    this.transition(NistState.Completed);
    this.sendMessage(response, this.responseTarget);
    this.armOrTerminate('J', this.timers.J);
    return true;
  }

  /** A retransmission of the request. */
  receiveRetransmission(_request: SipRequest): void {
    switch (this.state) {
      case NistState.Proceeding:
        // §17.2.2: "If a retransmission of the request is received while in the Proceeding state, the most
        // recently sent provisional response MUST be passed to the transport layer for retransmission."
        if (this.#lastProvisional !== undefined) this.sendMessage(this.#lastProvisional, this.responseTarget);
        return;
      case NistState.Completed:
        // "While in the Completed state, the server transaction MUST pass the final response to the
        // transport layer for retransmission whenever a retransmission of the request is received."
        if (this.#finalResponse !== undefined) this.sendMessage(this.#finalResponse, this.responseTarget);
        return;
      default:
        // "Once in the Trying state, any further request retransmissions are discarded."
        return;
    }
  }

  protected transportFailed(error: unknown): void {
    // RFC 6026 §8.8: "inform the TU that a failure has occurred, and MUST remain in the current state."
    this.#events.onTransportError(error);
  }
}
