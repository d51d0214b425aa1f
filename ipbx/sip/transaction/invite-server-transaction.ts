// INVITE server transaction (RFC 3261 §17.2.1, with RFC 6026's Accepted state): answers 100 at
// once, repeats the last response when the INVITE is retransmitted, retransmits non-2xx finals
// over UDP on Timer G until the ACK (or Timer H), and after a 2xx lingers in Accepted for Timer L
// absorbing INVITE retransmissions and passing ACKs and the TU's 2xx retransmissions through.

import { createResponse, type SipRequest, type SipResponse } from '../message/index.ts';
import type { MessageSource } from '../transport/transport-types.ts';
import { ServerTransactionBase } from './server-transaction.ts';
import type { ServerTransactionEvents, TransactionContext, TransitionTable } from './transaction.ts';

export const IstState = {
  Proceeding: 'Proceeding',
  Completed: 'Completed',
  Confirmed: 'Confirmed',
  Accepted: 'Accepted',
  Terminated: 'Terminated',
} as const;
export type IstState = (typeof IstState)[keyof typeof IstState];

/** RFC 3261 Figure 7 as amended by RFC 6026 Figure 7 (transport errors leave the state alone, §8.8). */
export const IST_TRANSITIONS: TransitionTable<IstState> = {
  Proceeding: ['Completed', 'Accepted'],
  Completed: ['Confirmed', 'Terminated'],
  Confirmed: ['Terminated'],
  Accepted: ['Terminated'],
  Terminated: [],
};

export class InviteServerTransaction extends ServerTransactionBase<IstState> {
  readonly kind = 'ist';

  constructor(context: TransactionContext, request: SipRequest, source: MessageSource, key: string, events: ServerTransactionEvents) {
    super(context, request, source, key, events, IstState.Proceeding, IST_TRANSITIONS);
  }

  /** Sends 100 Trying unless the TU will answer quickly (the layer calls it once, after filing the transaction). */
  start(sendTrying: boolean): void {
    // §17.2.1: "The server transaction MUST generate a 100 (Trying) response unless it knows that the TU
    // will generate a provisional or final response within 200 ms".
    if (sendTrying) this.respond(createResponse(this.request, 100));
  }

  /** Sends a response from the TU; `false` when this state takes none (it is then discarded). */
  respond(response: SipResponse): boolean {
    const status = response.status;
    switch (this.state) {
      case IstState.Proceeding:
        if (status < 200) {
          // §17.2.1: "So long as the server transaction is in the Proceeding state, each of these MUST be
          // passed to the transport layer for transmission. They are not sent reliably".
          this.sendProvisional(response);
        } else if (status < 300) {
          // RFC 6026 §8.5: "the server transaction MUST pass this response to the transport layer for
          // transmission. It is not retransmitted by the server transaction ... The server transaction
          // MUST then transition to the Accepted state." §8.7: "When Timer L fires ... the machine
          // MUST transition to the Terminated state"; L is 64*T1.
          this.transition(IstState.Accepted);
          this.sendFinal(response);
          this.arm('L', this.timers.L, () => this.transition(IstState.Terminated));
        } else {
          // §17.2.1: "if the TU passes a response with status code from 300 to 699 to the server transaction,
          // the response MUST be passed to the transport layer for transmission, and the state machine MUST
          // enter the Completed state. For unreliable transports, timer G is set to fire in T1 seconds ...
          // For any transport, timer H MUST be set to fire in 64*T1 seconds."
          this.transition(IstState.Completed);
          this.sendFinal(response);
          // "If timer G fires, the response is passed to the transport layer once more for retransmission,
          // and timer G is set to fire in MIN(2*T1, T2) seconds" and doubling, capped at T2.
          if (this.timers.G !== undefined) {
            this.armRetransmission('G', this.timers.G, () => this.resendFinal(), (interval) => Math.min(2 * interval, this.timers.T2));
          }
          this.arm('H', this.timers.H, () => this.#onTimerH());
        }
        return true;
      case IstState.Accepted:
        // RFC 6026 §8.7: "While in the Accepted state, if the TU passes a 2xx response, the server
        // transaction MUST pass the response to the transport layer for transmission."
        if (status < 200 || status >= 300) return false;
        this.sendMessage(response, this.responseTarget);
        return true;
      default:
        return false;
    }
  }

  /** A retransmission of the INVITE. */
  receiveRetransmission(_request: SipRequest): void {
    switch (this.state) {
      case IstState.Proceeding:
        // §17.2.1: "If a request retransmission is received while in the Proceeding state, the most recent
        // provisional response that was received from the TU MUST be passed to the transport layer for retransmission."
        this.resendProvisional();
        return;
      case IstState.Completed:
        // "while in the Completed state, if a request retransmission is received, the server SHOULD pass
        // the response to the transport for retransmission."
        this.resendFinal();
        return;
      default:
        // RFC 6026 §7.1: in Accepted, "retransmissions of the INVITE received will match this transaction
        // state machine and will be absorbed"; Confirmed absorbs them too.
        return;
    }
  }

  /** An ACK that matched this transaction; `true` when the TU must see it (RFC 6026 Accepted). */
  receiveAck(_ack: SipRequest): boolean {
    switch (this.state) {
      case IstState.Completed:
        // §17.2.1: "If an ACK is received while the server transaction is in the Completed state, the server
        // transaction MUST transition to the Confirmed state. As Timer G is ignored in this state, any
        // retransmissions of the response will cease." "timer I is set to fire in T4 seconds for
        // unreliable transports, and zero seconds for reliable transports."
        this.disarm('G');
        this.disarm('H');
        this.transition(IstState.Confirmed);
        this.armOrTerminate('I', this.timers.I);
        return false;
      case IstState.Accepted:
        // RFC 6026 §8.7: "Any ACKs received from the network while in the Accepted state MUST be passed
        // directly to the TU and not absorbed."
        return true;
      default:
        // §17.2.1: "The purpose of the Confirmed state is to absorb any additional ACK messages".
        return false;
    }
  }

  #onTimerH(): void {
    // §17.2.1: "If timer H fires while in the Completed state, it implies that the ACK was never received.
    // In this case, the server transaction MUST transition to the Terminated state, and MUST indicate to
    // the TU that a transaction failure has occurred."
    this.transition(IstState.Terminated);
    this.guard(() => this.events.onAckTimeout());
  }
}
