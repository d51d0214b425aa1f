// INVITE client transaction (RFC 3261 §17.1.1, with RFC 6026's Accepted state): retransmits the
// INVITE over UDP on Timer A, times out on Timer B, ACKs non-2xx finals itself, and hands every
// 2xx (retransmissions and forks included) to the TU, which sends their ACKs.

import type { MessageSource, SendTarget } from '../transport/transport-types.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { buildNon2xxAck } from './build-ack.ts';
import { ClientTransactionBase } from './client-transaction.ts';
import type { ClientTransactionHandlers, TransactionContext, TransitionTable } from './transaction.ts';

export const IctState = {
  Calling: 'Calling',
  Proceeding: 'Proceeding',
  Completed: 'Completed',
  Accepted: 'Accepted',
  Terminated: 'Terminated',
} as const;
export type IctState = (typeof IctState)[keyof typeof IctState];

/** RFC 3261 Figure 5 as amended by RFC 6026 Figure 5. */
export const ICT_TRANSITIONS: TransitionTable<IctState> = {
  Calling: ['Proceeding', 'Completed', 'Accepted', 'Terminated'],
  Proceeding: ['Completed', 'Accepted'],
  Completed: ['Terminated'],
  Accepted: ['Terminated'],
  Terminated: [],
};

export class InviteClientTransaction extends ClientTransactionBase<IctState> {
  readonly kind = 'ict';
  #ack: SipRequest | undefined;
  /** Where the non-2xx ACK goes: `target`, pinned to the response's flow over a connection. */
  #ackTarget: SendTarget;

  constructor(context: TransactionContext, request: SipRequest, target: SendTarget, handlers: ClientTransactionHandlers, key: string, reliable: boolean) {
    super(context, request, target, handlers, key, reliable, IctState.Calling, ICT_TRANSITIONS);
    this.#ackTarget = target;
  }

  /** The ACK sent for a non-2xx final response, once there is one. */
  get ack(): SipRequest | undefined {
    return this.#ack;
  }

  /** Sends the INVITE and starts Timers A and B (the layer calls it once, after filing the transaction). */
  start(): void {
    // §17.1.1.2: "The client transaction MUST pass the request to the transport layer for transmission".
    this.sendRequest();
    // "If an unreliable transport is being used, the client transaction MUST start timer A with a value of T1."
    // "When timer A fires, the client transaction MUST retransmit the request ... and MUST reset the timer
    // with a value of 2*T1" — intervals double after each transmission.
    if (this.timers.A !== undefined) this.armRetransmission('A', this.timers.A, () => this.sendRequest(), (interval) => interval * 2);
    // "For any transport, the client transaction MUST start timer B with a value of 64*T1 seconds".
    this.arm('B', this.timers.B, () => this.#onTimerB());
  }

  receiveResponse(response: SipResponse, source: MessageSource): void {
    const status = response.status;
    switch (this.state) {
      case IctState.Calling:
      case IctState.Proceeding:
        // §17.1.1.2: "In the Proceeding state, the client transaction SHOULD NOT retransmit the request any longer."
        this.disarm('A');
        this.disarm('B');
        if (status < 200) {
          // "If the client transaction receives a provisional response while in the Calling state, it
          // transitions to the Proceeding state ... the provisional response MUST be passed to the TU."
          if (this.state === IctState.Calling) this.transition(IctState.Proceeding);
          this.passUp(response);
        } else if (status < 300) {
          // RFC 6026 §8.4: "When a 2xx response is received while in either the Calling or Proceeding
          // states, the client transaction MUST transition to the Accepted state, and Timer M MUST be
          // started with a value of 64*T1 ... The 2xx response MUST be passed up to the TU."
          this.transition(IctState.Accepted);
          this.arm('M', this.timers.M, () => this.transition(IctState.Terminated));
          this.passUp(response);
        } else {
          // §17.1.1.2: "reception of a response with status code from 300-699 MUST cause the client
          // transaction to transition to Completed ... MUST generate an ACK request, even if the
          // transport is reliable ... The ACK MUST be sent to the same address, port, and transport to
          // which the original request was sent." Over a connection that is the flow the response used.
          this.transition(IctState.Completed);
          this.#ack = buildNon2xxAck(this.request, response);
          if (this.reliable && this.target.flowId === undefined) this.#ackTarget = { ...this.target, flowId: source.flowId };
          this.sendMessage(this.#ack, this.#ackTarget);
          // "The client transaction MUST start timer D when it enters the Completed state".
          this.armOrTerminate('D', this.timers.D);
          this.passUp(response);
        }
        return;
      case IctState.Completed:
        // "Any retransmissions of the final response that are received while in the Completed state MUST
        // cause the ACK to be re-passed to the transport layer for retransmission, but the newly received
        // response MUST NOT be passed up to the TU."
        if (status >= 300 && this.#ack !== undefined) this.sendMessage(this.#ack, this.#ackTarget);
        return;
      case IctState.Accepted:
        // RFC 6026 §8.4: "Any 2xx responses that match this client transaction and that are received
        // while in the Accepted state MUST be passed up to the TU. The client transaction MUST NOT
        // generate an ACK to the 2xx response."
        if (status >= 200 && status < 300) this.passUp(response);
        return;
      case IctState.Terminated:
        return;
    }
  }

  #onTimerB(): void {
    // §17.1.1.2: "If the client transaction is still in the Calling state when timer B fires, the client
    // transaction SHOULD inform the TU that a timeout has occurred. The client transaction MUST NOT generate an ACK."
    if (this.state !== IctState.Calling) return;
    this.timeOut();
  }

  protected transportFailed(error: unknown): void {
    // §17.1.4: "the client transaction SHOULD inform the TU that a transport failure has occurred, and
    // the client transaction SHOULD transition directly to the Terminated state." Only Calling (the
    // INVITE) and Completed (the ACK) send anything; a late failure in another state changes nothing.
    if (this.state !== IctState.Calling && this.state !== IctState.Completed) return;
    this.failOnTransportError(error);
  }
}
