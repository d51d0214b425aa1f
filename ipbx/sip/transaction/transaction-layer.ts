// The transaction layer (RFC 3261 §17): matches what the transport receives to client and server
// transactions, creates server transactions for new requests, starts client transactions for the
// TU, and forgets each transaction when it reaches Terminated. Nothing a TU handler throws
// escapes `receive` or a timer: it goes to `onError`.

import { systemClock, type Clock } from '../clock.ts';
import { BRANCH_MAGIC_COOKIE, createResponse, randomToken, type SipRequest, type SipResponse } from '../message/index.ts';
import { isReliable, viaTransport, type IncomingMessage, type MessageSource, type SendTarget, type SipTransportLayer } from '../transport/transport-types.ts';
import { InviteClientTransaction } from './invite-client-transaction.ts';
import { InviteServerTransaction } from './invite-server-transaction.ts';
import { NonInviteClientTransaction } from './non-invite-client-transaction.ts';
import { NonInviteServerTransaction } from './non-invite-server-transaction.ts';
import { resolveTimerConfig, type TimerConfig } from './timer-config.ts';
import type { ClientTransactionHandlers, Transaction, TransactionContext } from './transaction.ts';
import { TransactionError } from './transaction-errors.ts';
import { clientTransactionKey, legacyBucketKey, matchesLegacy, responseTransactionKey, serverTransactionKey, type MatchMode } from './transaction-key.ts';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/** The layer above (UA core, proxy core) as the transaction layer calls it. */
export interface TransactionUser {
  /**
   * A new request, with the server transaction created for it. ACKs never create one and only
   * reach the TU when they acknowledge a 2xx, always with `transaction` undefined: those that
   * match no transaction (§17.2.3) and those matching an INVITE transaction in RFC 6026's Accepted
   * state (an RFC 2543 peer's ACK). ACKs for non-2xx finals are absorbed by their transaction.
   */
  onRequest(request: SipRequest, transaction: ServerTransaction | undefined, source: MessageSource): void;
  /** A response that matches no client transaction, e.g. a 2xx retransmission after Timer M (§18.1.2). */
  onStrayResponse?(response: SipResponse, source: MessageSource): void;
  /** IST Timer H fired: the ACK for a non-2xx final never came (§17.2.1). */
  onAckTimeout?(transaction: InviteServerTransaction): void;
  /** A server transaction could not send a response (§17.2.4, RFC 6026 §8.8). */
  onServerTransportError?(transaction: ServerTransaction, error: unknown): void;
}

export interface TransactionLayerOptions {
  transport: SipTransportLayer;
  tu: TransactionUser;
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  /** Send 100 Trying as soon as an INVITE arrives (§17.2.1); false when the TU always answers within 200 ms. Default true. */
  sendTrying?: boolean;
  /** Errors thrown by TU handlers, and messages dropped as unmatchable. Default: a process warning. */
  onError?: (error: unknown) => void;
}

export interface TransactionCounts {
  client: number;
  server: number;
}

export class TransactionLayer {
  readonly timers: Readonly<TimerConfig>;
  readonly #transport: SipTransportLayer;
  readonly #tu: TransactionUser;
  readonly #clock: Clock;
  readonly #sendTrying: boolean;
  readonly #onError: (error: unknown) => void;
  readonly #context: TransactionContext;
  readonly #client = new Map<string, ClientTransaction>();
  /** Server transactions by RFC 3261 key, and RFC 2543 ones under a unique key. */
  readonly #server = new Map<string, ServerTransaction>();
  /** RFC 2543 server transactions by Call-ID and CSeq number, for field-by-field matching. */
  readonly #legacy = new Map<string, ServerTransaction[]>();
  #legacySeq = 0;
  #closed = false;

  constructor(options: TransactionLayerOptions) {
    this.timers = Object.freeze(resolveTimerConfig(options.timers));
    this.#transport = options.transport;
    this.#tu = options.tu;
    this.#clock = options.clock ?? systemClock;
    this.#sendTrying = options.sendTrying ?? true;
    this.#onError = options.onError ?? defaultOnError;
    this.#context = {
      clock: this.#clock,
      transport: this.#transport,
      config: this.timers,
      report: (error) => this.#report(error),
      terminated: (transaction) => this.#forget(transaction),
    };
  }

  get counts(): TransactionCounts {
    return { client: this.#client.size, server: this.#server.size };
  }

  /** A new RFC 3261 branch (§8.1.1.7): the magic cookie and 64 random bits. */
  newBranch(): string {
    return BRANCH_MAGIC_COOKIE + randomToken();
  }

  /** Entry point of the transport layer, for every message it received and parsed. Never throws. */
  receive(incoming: IncomingMessage): void {
    if (this.#closed) return;
    try {
      const { message, source } = incoming;
      if (message.isRequest()) this.#receiveRequest(message, source);
      else this.#receiveResponse(message, source);
    } catch (err) {
      this.#report(err);
    }
  }

  /**
   * Starts a client transaction. A request without Via gets one (this transport's sent-by, a new
   * branch, rport); a top Via without branch gets a new branch. The ACK for a 2xx is not a
   * transaction (§17.1.1.3): send it with the transport.
   */
  sendRequest(request: SipRequest, target: SendTarget, handlers: ClientTransactionHandlers): ClientTransaction {
    if (this.#closed) throw new TransactionError('TRANSACTION_CLOSED', 'sendRequest() after close()');
    if (request.method === 'ACK') {
      throw new TransactionError('TRANSACTION_BAD_REQUEST', 'an ACK is not sent in a client transaction: send the ACK for a 2xx with the transport (RFC 3261 §13.2.2.4)');
    }
    const branch = this.#ensureBranch(request, target);
    const key = clientTransactionKey(branch, request.method);
    if (this.#client.has(key)) {
      throw new TransactionError('TRANSACTION_DUPLICATE', `a ${request.method} client transaction with branch ${branch} is still alive: use newBranch() for every new request`);
    }
    const reliable = isReliable(target.protocol);
    const transaction = request.method === 'INVITE'
      ? new InviteClientTransaction(this.#context, request, target, handlers, key, reliable)
      : new NonInviteClientTransaction(this.#context, request, target, handlers, key, reliable);
    this.#client.set(key, transaction);
    transaction.start();
    return transaction;
  }

  /** The INVITE server transaction a CANCEL targets (§9.2), if it is still alive. */
  findInviteServerTransaction(cancel: SipRequest): InviteServerTransaction | undefined {
    const found = this.#findServer(cancel, 'cancel');
    return found instanceof InviteServerTransaction ? found : undefined;
  }

  /** Stops every transaction and timer, without telling the TU. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const transaction of this.#client.values()) transaction.dispose();
    for (const transaction of this.#server.values()) transaction.dispose();
    this.#client.clear();
    this.#server.clear();
    this.#legacy.clear();
  }

  #receiveRequest(request: SipRequest, source: MessageSource): void {
    if (request.method === 'ACK') {
      // §17.2.3: an ACK matches the INVITE transaction; an ACK for a 2xx carries its own branch and
      // matches none: it goes to the TU (the dialog), which never answers it.
      const transaction = this.#findServer(request, 'ack');
      if (!(transaction instanceof InviteServerTransaction) || transaction.receiveAck(request)) {
        this.#deliver(request, undefined, source);
      }
      return;
    }
    const existing = this.#findServer(request, 'request');
    if (existing !== undefined) {
      existing.receiveRetransmission(request);
      return;
    }
    // §17.2: a request that matches no transaction creates one, then goes to the TU.
    const rfc3261Key = serverTransactionKey(request);
    const key = rfc3261Key ?? `rfc2543#${++this.#legacySeq}`;
    const transaction: ServerTransaction = request.method === 'INVITE'
      ? new InviteServerTransaction(this.#context, request, source, key, {
        onAckTimeout: () => this.#tu.onAckTimeout?.(transaction as InviteServerTransaction),
        onTransportError: (error) => this.#tu.onServerTransportError?.(transaction, error),
      })
      : new NonInviteServerTransaction(this.#context, request, source, key, {
        onAckTimeout: () => undefined,
        onTransportError: (error) => this.#tu.onServerTransportError?.(transaction, error),
      });
    this.#server.set(key, transaction);
    if (rfc3261Key === undefined) {
      const bucketKey = legacyBucketKey(request);
      const bucket = this.#legacy.get(bucketKey);
      if (bucket === undefined) this.#legacy.set(bucketKey, [transaction]);
      else bucket.push(transaction);
    }
    if (transaction instanceof InviteServerTransaction) transaction.start(this.#sendTrying);
    if (!this.#deliver(request, transaction, source) && transaction.finalResponse === undefined && !transaction.isTerminated) {
      // A TU that threw will not answer: a 500 ends the transaction instead of leaving it (and the
      // peer) waiting forever (§21.5.1).
      transaction.respond(createResponse(request, 500));
    }
  }

  #receiveResponse(response: SipResponse, source: MessageSource): void {
    const key = responseTransactionKey(response);
    const transaction = key === undefined ? undefined : this.#client.get(key);
    if (transaction !== undefined) {
      transaction.receiveResponse(response, source);
      return;
    }
    // §17.1.3 / RFC 6026 §7.2: a response that matches no client transaction goes to the core (a
    // proxy forwards a stray 2xx; a UAC re-ACKs it).
    try {
      this.#tu.onStrayResponse?.(response, source);
    } catch (err) {
      this.#report(err);
    }
  }

  /** Calls the TU; false when it threw (reported). */
  #deliver(request: SipRequest, transaction: ServerTransaction | undefined, source: MessageSource): boolean {
    try {
      this.#tu.onRequest(request, transaction, source);
      return true;
    } catch (err) {
      this.#report(err);
      return false;
    }
  }

  #findServer(request: SipRequest, mode: MatchMode): ServerTransaction | undefined {
    const key = serverTransactionKey(request, mode);
    if (key !== undefined) return this.#server.get(key);
    const bucket = this.#legacy.get(legacyBucketKey(request));
    return bucket?.find((t) => matchesLegacy(t.request, t.finalResponse?.to.tag, request, mode));
  }

  #ensureBranch(request: SipRequest, target: SendTarget): string {
    const via = request.topVia;
    if (via === undefined) {
      const branch = this.newBranch();
      const local = this.#transport.localEndpoint(target.protocol);
      const host = local.address.includes(':') && !local.address.startsWith('[') ? `[${local.address}]` : local.address;
      // RFC 3581 §3: a client SHOULD ask for rport (symmetric response routing).
      request.headers.prepend('Via', `SIP/2.0/${viaTransport(target.protocol)} ${host}:${local.port};branch=${branch};rport`);
      return branch;
    }
    if (via.branch === undefined) {
      const branch = this.newBranch();
      const updated = via.clone();
      updated.params.set('branch', branch);
      request.headers.removeFirstValue('Via');
      request.headers.prepend('Via', updated.toString());
      return branch;
    }
    // §8.1.1.7: "The branch ID inserted by an element compliant with this specification MUST always begin with the characters z9hG4bK".
    if (!via.hasRfc3261Branch) {
      throw new TransactionError('TRANSACTION_BAD_REQUEST', `top Via branch "${via.branch}" lacks the ${BRANCH_MAGIC_COOKIE} cookie and a unique suffix: use newBranch()`);
    }
    return via.branch;
  }

  #forget(transaction: Transaction<string>): void {
    if (transaction.kind === 'ict' || transaction.kind === 'nict') {
      if (this.#client.get(transaction.key) === transaction) this.#client.delete(transaction.key);
      return;
    }
    if (this.#server.get(transaction.key) !== transaction) return;
    this.#server.delete(transaction.key);
    const bucketKey = legacyBucketKey(transaction.request);
    const bucket = this.#legacy.get(bucketKey);
    if (bucket === undefined) return;
    const rest = bucket.filter((t) => t !== transaction);
    if (rest.length === 0) this.#legacy.delete(bucketKey);
    else this.#legacy.set(bucketKey, rest);
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch {
      // An error handler that throws has nowhere left to report to.
    }
  }
}

function defaultOnError(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : String(error), { code: 'SIP_TRANSACTION_ERROR' });
}
