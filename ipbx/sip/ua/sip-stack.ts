// The SIP user-agent core (RFC 3261 §8, §13, §9, §22): ties the transport and transaction
// layers together for applications (the IPBX, the desk-phone emulator, tests).
// - UAS: §8.2 checks, CANCEL handling, 2xx retransmission (UDP) until the ACK and a report when
//   none comes (§13.3.1.4).
// - UAC: Via/Max-Forwards filled in, next hop resolved, timeouts and transport errors turned
//   into 408/503 (§8.1.3.1), digest challenges answered once (and again when stale), ACK for
//   2xx sent and re-sent on 2xx retransmissions (§13.2.2.4), CANCEL (§9.1).

import type { Clock, TimerHandle } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { DigestClient, type DigestClientOptions } from '../digest/index.ts';
import type { Dialog } from '../dialog/index.ts';
import type { SipResponse} from '../message/index.ts';
import {
  HeaderList, NameAddr, SipRequest, SipUri, createResponse, formatCSeq, randomToken,
  reasonPhrase, type Uri,
} from '../message/index.ts';
import { TransactionLayer, responseTarget, type ServerTransaction, type TimerConfig } from '../transaction/index.ts';
import { isReliable, viaTransport, type IncomingMessage, type MessageSource, type SendTarget, type SipTransportLayer, type TransportProtocol } from '../transport/transport-types.ts';
import { IncomingRequest, type ResponseSink } from './incoming-request.ts';
import { nextHopUri, resolveTarget } from './resolve-target.ts';
import { checkRequest, type UasPolicy } from './uas-checks.ts';

/** What the stack needs of a transport layer: the contract plus receiving and closing. */
export interface StackTransport extends SipTransportLayer {
  onMessage(handler: (incoming: IncomingMessage) => void): void;
  close(): Promise<void> | void;
}

export interface SipStackOptions {
  transport: StackTransport;
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  /** Sent as User-Agent in requests and Server in responses. */
  userAgent?: string;
  policy?: Partial<UasPolicy>;
  onError?: (err: unknown) => void;
}

export interface SendOptions {
  /** Where to send; resolved from the Route set or Request-URI when absent (RFC 3263). */
  target?: SendTarget;
  onProvisional?: (response: SipResponse) => void;
  /** Answers 401/407 challenges with these credentials. */
  credentials?: DigestClientOptions | DigestClient;
  /** Called with the request once a Via and branch are set, before it is sent (and on each retry). */
  onSent?: (request: SipRequest) => void;
}

export interface NewRequestOptions {
  from: NameAddr | string;
  to?: NameAddr | string;
  callId?: string;
  cseq?: number;
  contact?: NameAddr | string;
  headers?: Array<[string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

type RequestHandler = (incoming: IncomingRequest) => void | Promise<void>;

const DEFAULT_POLICY: UasPolicy = {
  allowedMethods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'MESSAGE', 'NOTIFY', 'REFER', 'UPDATE', 'SUBSCRIBE'],
  supported: ['outbound', 'path', 'replaces', 'timer'],
  acceptedContentTypes: ['application/sdp', 'application/dtmf-relay', 'application/dtmf', 'text/plain', 'message/sipfrag'],
};

interface PendingAck {
  response: SipResponse;
  target: SendTarget;
  interval: number;
  timer: TimerHandle;
  giveUp: TimerHandle;
  onTimeout?: (() => void) | undefined;
}

export class SipStack implements ResponseSink {
  readonly transport: StackTransport;
  readonly transactions: TransactionLayer;
  readonly clock: Clock;
  readonly userAgent: string;
  readonly policy: UasPolicy;
  #handler: RequestHandler | undefined;
  #onError: (err: unknown) => void;
  #t1: number;
  #t2: number;
  /** INVITE server transactions by their IncomingRequest, for CANCEL (§9.2). */
  #serverTransactions = new WeakMap<IncomingRequest, ServerTransaction>();
  #invitesByTransaction = new Map<ServerTransaction, IncomingRequest>();
  /** 2xx to INVITE awaiting their ACK, by Call-ID + CSeq + To tag. */
  #pendingAcks = new Map<string, PendingAck>();
  /** ACKs we sent for 2xx, to re-send when the 2xx is retransmitted, by Call-ID + CSeq + To tag. */
  #sentAcks = new Map<string, { ack: SipRequest; target: SendTarget; expires: TimerHandle }>();
  /** Authorization lines of INVITEs answered 2xx, which their ACK repeats (§13.2.2.4), by Call-ID + CSeq. */
  #inviteCredentials = new Map<string, { lines: Array<[string, string]>; expires: TimerHandle }>();
  #closed = false;

  constructor(options: SipStackOptions) {
    this.transport = options.transport;
    this.clock = options.clock ?? systemClock;
    this.userAgent = options.userAgent ?? 'voiplab';
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.#onError = options.onError ?? ((err: unknown) => process.emitWarning(err instanceof Error ? err : String(err), { code: 'SIP_STACK_ERROR' }));
    this.#t1 = options.timers?.T1 ?? 500;
    this.#t2 = options.timers?.T2 ?? 4000;
    this.transactions = new TransactionLayer({
      transport: this.transport,
      clock: this.clock,
      timers: options.timers ?? {},
      tu: {
        onRequest: (request, transaction, source) => this.#onRequest(request, transaction, source),
        onStrayResponse: (response) => this.#onStrayResponse(response),
      },
      onError: this.#onError,
    });
    this.transport.onMessage((incoming) => this.transactions.receive(incoming));
  }

  /** The application's handler for every new request (ACKs for 2xx included, with no transaction). */
  onRequest(handler: RequestHandler): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pendingAcks.values()) { p.timer.cancel(); p.giveUp.cancel(); }
    for (const s of this.#sentAcks.values()) s.expires.cancel();
    for (const c of this.#inviteCredentials.values()) c.expires.cancel();
    this.#pendingAcks.clear();
    this.#sentAcks.clear();
    this.#inviteCredentials.clear();
    this.transactions.close();
    await this.transport.close();
  }

  // ---------------------------------------------------------------- UAS

  #onRequest(request: SipRequest, transaction: ServerTransaction | undefined, source: MessageSource): void {
    if (request.method === 'ACK') {
      this.#onAck(request);
      if (transaction !== undefined) return; // ACK for a non-2xx: absorbed by its transaction
    }
    if (request.method === 'CANCEL' && transaction !== undefined) {
      this.#onCancel(request, transaction);
      return;
    }
    const incoming = new IncomingRequest(request, source, this);
    if (transaction !== undefined) this.#serverTransactions.set(incoming, transaction);
    if (request.method !== 'ACK') {
      const rejection = checkRequest(request, this.policy);
      if (rejection !== undefined) {
        incoming.send(rejection);
        return;
      }
    }
    if (request.method === 'INVITE' && transaction !== undefined) this.#invitesByTransaction.set(transaction, incoming);
    const handler = this.#handler;
    if (handler === undefined) {
      if (request.method !== 'ACK') incoming.respond(request.method === 'OPTIONS' ? 200 : 501);
      return;
    }
    try {
      const result = handler(incoming);
      if (result instanceof Promise) result.catch((err: unknown) => this.#handlerFailed(incoming, err));
    } catch (err) {
      this.#handlerFailed(incoming, err);
    }
  }

  #handlerFailed(incoming: IncomingRequest, err: unknown): void {
    this.#onError(err);
    if (incoming.method !== 'ACK' && incoming.finalResponse === undefined) {
      incoming.respond(500, { reason: 'Server Internal Error' });
    }
  }

  /**
   * §9.2: 481 when no INVITE transaction matches; otherwise "as long as the CANCEL matched an
   * existing transaction, the UAS answers the CANCEL request itself with a 200 (OK)", and a 487
   * ends the INVITE if it has no final response yet (once it has one, the CANCEL changes nothing).
   */
  #onCancel(cancel: SipRequest, cancelTransaction: ServerTransaction): void {
    const inviteTransaction = this.transactions.findInviteServerTransaction(cancel);
    if (inviteTransaction === undefined) {
      cancelTransaction.respond(this.#withServer(createResponse(cancel, 481)));
      return;
    }
    const invite = this.#invitesByTransaction.get(inviteTransaction);
    // §9.2: the To tag of the 200 SHOULD be the one of the INVITE's responses.
    const toTag = invite?.toTag ?? inviteTransaction.finalResponse?.to.tag;
    cancelTransaction.respond(this.#withServer(createResponse(cancel, 200, toTag === undefined ? {} : { toTag })));
    if (invite !== undefined && invite.finalResponse === undefined) {
      invite.markCancelled();
      if (invite.finalResponse === undefined) invite.respond(487);
    }
  }

  sendResponse(incoming: IncomingRequest, response: SipResponse): void {
    this.#withServer(response);
    const transaction = this.#serverTransactions.get(incoming);
    if (transaction === undefined) throw new Error(`no transaction to respond to ${incoming.method} on`);
    transaction.respond(response);
    if (response.status >= 200) {
      this.#invitesByTransaction.delete(transaction);
      if (incoming.method === 'INVITE' && response.status < 300) this.#retransmit2xx(incoming, response);
    }
  }

  #withServer<T extends SipResponse>(response: T): T {
    if (!response.headers.has('Server')) response.headers.append('Server', this.userAgent);
    return response;
  }

  /**
   * §13.3.1.4: the UAS core re-sends its 2xx (T1 doubling to T2) until the ACK, for 64·T1. Over a
   * reliable transport it is not re-sent, but the ACK is awaited all the same: "If the server
   * retransmits the 2xx response for 64*T1 seconds without receiving an ACK, ... the session
   * SHOULD be terminated", and over TCP/WS the application needs that news just as much.
   */
  #retransmit2xx(incoming: IncomingRequest, response: SipResponse): void {
    const key = ackKey(response.callId, response.cseq.seq, response.to.tag);
    // §18.2.2 / RFC 3581: where the first 2xx went (the Via's sent-by unless rport), not simply the source.
    const target = responseTarget(incoming.request, incoming.source);
    const pending: PendingAck = {
      response, target, interval: this.#t1,
      timer: { cancel: () => undefined },
      giveUp: this.clock.setTimer(64 * this.#t1, () => {
        pending.timer.cancel();
        this.#pendingAcks.delete(key);
        pending.onTimeout?.();
      }),
    };
    const schedule = () => {
      pending.timer = this.clock.setTimer(pending.interval, () => {
        this.transport.send(response, target).catch(this.#onError);
        pending.interval = Math.min(pending.interval * 2, this.#t2);
        schedule();
      });
    };
    if (!isReliable(target.protocol)) schedule();
    const previous = this.#pendingAcks.get(key);
    previous?.timer.cancel();
    previous?.giveUp.cancel();
    this.#pendingAcks.set(key, pending);
  }

  /** Lets the application learn that a 2xx was never acknowledged (it should then send BYE). */
  onAckTimeout(response: SipResponse, listener: () => void): void {
    const pending = this.#pendingAcks.get(ackKey(response.callId, response.cseq.seq, response.to.tag));
    if (pending !== undefined) pending.onTimeout = listener;
  }

  #onAck(ack: SipRequest): void {
    const key = ackKey(ack.callId, ack.cseq.seq, ack.to.tag);
    const pending = this.#pendingAcks.get(key);
    if (pending === undefined) return;
    pending.timer.cancel();
    pending.giveUp.cancel();
    this.#pendingAcks.delete(key);
  }

  // ---------------------------------------------------------------- UAC

  /** A new out-of-dialog request (§8.1.1): fresh Call-ID, From tag and CSeq unless given. */
  createRequest(method: string, uri: Uri, options: NewRequestOptions): SipRequest {
    const headers = new HeaderList();
    const from = typeof options.from === 'string' ? options.from : options.from.toString();
    const fromHasTag = /;\s*tag=/i.test(from);
    headers.append('Max-Forwards', '70');
    headers.append('From', fromHasTag ? from : `${from};tag=${randomToken()}`);
    headers.append('To', options.to === undefined ? `<${uri.toString()}>` : options.to.toString());
    headers.append('Call-ID', options.callId ?? randomToken(12));
    headers.append('CSeq', formatCSeq({ seq: options.cseq ?? 1 + Math.floor(Math.random() * 10_000), method }));
    if (options.contact !== undefined) headers.append('Contact', options.contact.toString());
    headers.append('User-Agent', this.userAgent);
    for (const [name, value] of options.headers ?? []) headers.append(name, value);
    const request = new SipRequest(method, uri, headers);
    if (options.body !== undefined) {
      request.body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
      headers.set('Content-Type', options.contentType ?? 'application/sdp');
    }
    return request;
  }

  /** `<sip:user@ip:port;transport=x>` for this stack's listener of that protocol. */
  contactFor(protocol: TransportProtocol, user?: string): NameAddr {
    const local = this.transport.localEndpoint(protocol);
    const host = local.address.includes(':') ? `[${local.address}]` : local.address;
    const params = new Map<string, string | null>();
    if (protocol !== 'udp') params.set('transport', protocol);
    return new NameAddr(new SipUri({ scheme: protocol === 'tls' || protocol === 'wss' ? 'sips' : 'sip', user, host, port: local.port, params }));
  }

  /**
   * Sends a request in a client transaction and resolves with its final response. A timeout
   * resolves as 408 and a transport failure as 503 (§8.1.3.1), so callers handle one shape.
   */
  async send(request: SipRequest, options: SendOptions = {}): Promise<SipResponse> {
    const target = options.target ?? await resolveTarget(nextHopUri(request.uri, request.routes));
    const digest = options.credentials === undefined ? undefined
      : options.credentials instanceof DigestClient ? options.credentials : new DigestClient(options.credentials);
    let current = request;
    for (let attempt = 0; ; attempt++) {
      const response = await this.#sendOnce(current, target, options);
      const retry = digest === undefined ? undefined : this.#answerChallenge(digest, current, response, attempt);
      if (retry === undefined) {
        this.#keepCredentials(current, response);
        return response;
      }
      current = retry;
    }
  }

  /** One answer to a challenge, and one more when the server says our nonce went stale. */
  #answerChallenge(digest: DigestClient, request: SipRequest, response: SipResponse, attempt: number): SipRequest | undefined {
    const challenged = response.status === 401 || response.status === 407;
    if (!challenged || attempt >= 2) return undefined;
    const values = response.status === 401 ? response.wwwAuthenticate : response.proxyAuthenticate;
    if (attempt === 1 && !values.some((v) => /stale\s*=\s*"?true/i.test(v))) return undefined;
    let authorization: string;
    try {
      authorization = digest.authorize({ challengeValues: values, method: request.method, uri: request.uri.toString(), body: request.body });
    } catch {
      return undefined;
    }
    return this.#nextAttempt(request, response.status === 401 ? 'Authorization' : 'Proxy-Authorization', authorization);
  }

  /** §13.2.2.4: "The ACK MUST contain the same credentials as the INVITE": kept for ack(), as long as a 2xx may come. */
  #keepCredentials(request: SipRequest, response: SipResponse): void {
    if (request.method !== 'INVITE' || response.status < 200 || response.status >= 300) return;
    const lines: Array<[string, string]> = [];
    for (const name of ['Authorization', 'Proxy-Authorization']) {
      for (const line of request.headers.getLines(name)) lines.push([name, line]);
    }
    if (lines.length === 0) return;
    const key = `${request.callId}\u0000${request.cseq.seq}`;
    this.#inviteCredentials.get(key)?.expires.cancel();
    this.#inviteCredentials.set(key, { lines, expires: this.clock.setTimer(64 * this.#t1, () => this.#inviteCredentials.delete(key)) });
  }

  /** §22.2: the retried request has the same Call-ID and tags, CSeq + 1, a new branch. */
  #nextAttempt(previous: SipRequest, header: string, value: string): SipRequest {
    const headers = previous.headers.clone();
    const next = new SipRequest(previous.method, previous.uri, headers, previous.body);
    headers.remove('Via');
    next.cseq = { seq: previous.cseq.seq + 1, method: previous.method };
    headers.set(header, value);
    return next;
  }

  #sendOnce(request: SipRequest, target: SendTarget, options: SendOptions): Promise<SipResponse> {
    this.#addVia(request, target.protocol);
    options.onSent?.(request);
    return new Promise<SipResponse>((resolve) => {
      let settled = false;
      this.transactions.sendRequest(request, target, {
        onResponse: (response) => {
          if (response.status < 200) {
            if (!settled) options.onProvisional?.(response);
          } else if (!settled) {
            settled = true;
            resolve(response);
          } else {
            // RFC 6026 §8.4: in Accepted the ICT hands up every later 2xx; a retransmission of the
            // one we acknowledged gets the same ACK again (§13.2.2.4).
            this.#resendAck(response);
          }
        },
        onTimeout: () => resolve(localResponse(request, 408)),
        onTransportError: () => resolve(localResponse(request, 503)),
      });
    });
  }

  #addVia(request: SipRequest, protocol: TransportProtocol): void {
    if (request.headers.has('Via') && request.method === 'CANCEL') return; // §9.1: CANCEL keeps the INVITE's Via
    const local = this.transport.localEndpoint(protocol);
    const host = local.address.includes(':') ? `[${local.address}]` : local.address;
    request.headers.prepend('Via', `SIP/2.0/${viaTransport(protocol)} ${host}:${local.port};branch=${this.transactions.newBranch()};rport`);
    if (!request.headers.has('Max-Forwards')) request.headers.prepend('Max-Forwards', '70');
  }

  /**
   * §9.1: CANCEL for an INVITE we sent (after it got a provisional response): same Request-URI,
   * Call-ID, From, To, CSeq number and top Via, its own transaction to the same target.
   */
  cancel(invite: SipRequest, target: SendTarget, reason?: string): Promise<SipResponse> {
    const headers = new HeaderList();
    const topVia = invite.headers.getAll('Via')[0];
    if (topVia !== undefined) headers.append('Via', topVia);
    headers.append('Max-Forwards', '70');
    for (const name of ['From', 'To', 'Call-ID']) headers.append(name, invite.headers.get(name) ?? '');
    headers.append('CSeq', formatCSeq({ seq: invite.cseq.seq, method: 'CANCEL' }));
    for (const route of invite.headers.getAll('Route')) headers.append('Route', route);
    if (reason !== undefined) headers.append('Reason', reason);
    return this.#sendOnce(new SipRequest('CANCEL', invite.uri, headers), target, {});
  }

  /**
   * §13.2.2.4: ACK for a 2xx, built from the dialog, sent outside any transaction, and kept
   * for 64·T1 so that retransmissions of the 2xx are answered with the same ACK.
   */
  async ack(dialog: Dialog, inviteCSeq: number, options: { body?: Buffer; contentType?: string; target?: SendTarget } = {}): Promise<void> {
    const ack = dialog.createRequest('ACK', { cseq: inviteCSeq });
    for (const [name, line] of this.#inviteCredentials.get(`${dialog.id.callId}\u0000${inviteCSeq}`)?.lines ?? []) ack.headers.append(name, line);
    if (options.body !== undefined) {
      ack.body = options.body;
      ack.headers.set('Content-Type', options.contentType ?? 'application/sdp');
    }
    const target = options.target ?? await resolveTarget(nextHopUri(ack.uri, ack.routes));
    this.#addVia(ack, target.protocol);
    const key = ackKey(dialog.id.callId, inviteCSeq, dialog.id.remoteTag);
    this.#sentAcks.get(key)?.expires.cancel();
    this.#sentAcks.set(key, { ack, target, expires: this.clock.setTimer(64 * this.#t1, () => this.#sentAcks.delete(key)) });
    await this.transport.send(ack, target);
  }

  /** In-dialog request (BYE, re-INVITE, INFO…) sent to the dialog's next hop. */
  sendInDialog(dialog: Dialog, method: string, options: Omit<SendOptions, 'target'> & { body?: Buffer; contentType?: string; target?: SendTarget } = {}): Promise<SipResponse> {
    const request = dialog.createRequest(method);
    if (options.body !== undefined) {
      request.body = options.body;
      request.headers.set('Content-Type', options.contentType ?? 'application/sdp');
    }
    return this.send(request, options);
  }

  #onStrayResponse(response: SipResponse): void {
    this.#resendAck(response);
  }

  /** A retransmitted 2xx to an INVITE whose ACK we already sent: send it again (§13.2.2.4). */
  #resendAck(response: SipResponse): void {
    if (response.cseq.method !== 'INVITE' || response.status < 200 || response.status >= 300) return;
    const sent = this.#sentAcks.get(ackKey(response.callId, response.cseq.seq, response.to.tag));
    if (sent !== undefined) this.transport.send(sent.ack, sent.target).catch(this.#onError);
  }
}

function ackKey(callId: string, seq: number, toTag: string | undefined): string {
  return `${callId}\u0000${seq}\u0000${toTag ?? ''}`;
}

/** Responses made up by `localResponse`, so that applications can tell them from a peer's. */
const LOCAL_RESPONSES = new WeakSet<SipResponse>();

/**
 * True for the 408/503 the UAC core made up on a timeout or a transport failure (§8.1.3.1) rather
 * than received: a B2BUA ends a call when its peer is unreachable, not when the peer says 503.
 */
export function isLocalResponse(response: SipResponse): boolean {
  return LOCAL_RESPONSES.has(response);
}

/** A response the UAC core makes up for a timeout or transport failure (§8.1.3.1). */
function localResponse(request: SipRequest, status: number): SipResponse {
  const response = createResponse(request, status, { reason: reasonPhrase(status) });
  response.headers.remove('To');
  response.headers.append('To', request.headers.get('To') ?? '');
  LOCAL_RESPONSES.add(response);
  return response;
}

