// What the two server transactions share (RFC 3261 §17.2): where responses go, the last
// provisional and the final response they remember to answer request retransmissions with, and
// how a transport failure reaches the TU. Each kind's state machine stays in its own class.

import type { SipRequest, SipResponse } from '../message/index.ts';
import { isReliable, type MessageSource, type SendTarget } from '../transport/transport-types.ts';
import { responseTarget } from './response-target.ts';
import { Transaction, type ServerTransactionEvents, type TransactionContext, type TransitionTable } from './transaction.ts';

export abstract class ServerTransactionBase<S extends string> extends Transaction<S> {
  /** Where the request came from. */
  readonly source: MessageSource;
  /** Where responses go (§18.2.2, RFC 3581). */
  readonly responseTarget: SendTarget;
  protected readonly events: ServerTransactionEvents;
  #lastProvisional: SipResponse | undefined;
  #finalResponse: SipResponse | undefined;

  protected constructor(
    context: TransactionContext,
    request: SipRequest,
    source: MessageSource,
    key: string,
    events: ServerTransactionEvents,
    initial: S,
    table: TransitionTable<S>,
  ) {
    super(context, request, key, isReliable(source.protocol), initial, table);
    this.source = source;
    this.responseTarget = responseTarget(request, source);
    this.events = events;
  }

  /** The final response sent, if any (for an INVITE, its To tag is what an ACK must carry to match, §17.2.3). */
  get finalResponse(): SipResponse | undefined {
    return this.#finalResponse;
  }

  /** Passes a provisional response to the transport, remembered for request retransmissions. */
  protected sendProvisional(response: SipResponse): void {
    this.#lastProvisional = response;
    this.sendMessage(response, this.responseTarget);
  }

  /** Passes a final response to the transport, remembered for retransmissions. */
  protected sendFinal(response: SipResponse): void {
    this.#finalResponse = response;
    this.sendMessage(response, this.responseTarget);
  }

  /** Passes the most recent provisional response to the transport again, if there is one. */
  protected resendProvisional(): void {
    if (this.#lastProvisional !== undefined) this.sendMessage(this.#lastProvisional, this.responseTarget);
  }

  /** Passes the final response to the transport again, if there is one. */
  protected resendFinal(): void {
    if (this.#finalResponse !== undefined) this.sendMessage(this.#finalResponse, this.responseTarget);
  }

  protected transportFailed(error: unknown): void {
    // RFC 6026 §8.8: "the server transaction SHOULD inform the TU that a failure has occurred, and MUST
    // remain in the current state." The kind's own timers (IST H and L, NIST J) still end it.
    this.events.onTransportError(error);
  }
}
