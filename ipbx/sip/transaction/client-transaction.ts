// What the two client transactions share (RFC 3261 §17.1): the target the request goes to, the
// TU's handlers, and the ways back up to them. Each kind's state machine stays in its own class.

import type { SipRequest, SipResponse } from '../message/index.ts';
import type { SendTarget } from '../transport/transport-types.ts';
import { Transaction, type ClientTransactionHandlers, type TransactionContext, type TransitionTable } from './transaction.ts';

export abstract class ClientTransactionBase<S extends string> extends Transaction<S> {
  /** Where the request goes. */
  readonly target: SendTarget;
  readonly #handlers: ClientTransactionHandlers;

  protected constructor(
    context: TransactionContext,
    request: SipRequest,
    target: SendTarget,
    handlers: ClientTransactionHandlers,
    key: string,
    reliable: boolean,
    initial: S,
    table: TransitionTable<S>,
  ) {
    super(context, request, key, reliable, initial, table);
    this.target = target;
    this.#handlers = handlers;
  }

  /** Passes the request to the transport (again). */
  protected sendRequest(): void {
    this.sendMessage(this.request, this.target);
  }

  /** Passes a response up to the TU. */
  protected passUp(response: SipResponse): void {
    this.guard(() => this.#handlers.onResponse(response));
  }

  /** Ends the transaction on Timer B or F: Terminated, then the TU learns of the timeout. */
  protected timeOut(): void {
    this.transition('Terminated' as S);
    this.guard(() => this.#handlers.onTimeout());
  }

  /** Ends the transaction on a transport failure (§17.1.4): Terminated, then the TU learns of it. */
  protected failOnTransportError(error: unknown): void {
    this.transition('Terminated' as S);
    this.guard(() => this.#handlers.onTransportError(error));
  }
}
