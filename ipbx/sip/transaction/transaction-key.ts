// Matching messages to transactions. Server side (RFC 3261 §17.2.3): the top Via branch with its
// magic cookie, the sent-by and the method (ACK counts as INVITE; CANCEL is its own transaction),
// or, for RFC 2543 peers whose branch lacks the cookie, a field-by-field comparison with the
// request that created the transaction. Client side (§17.1.3): the top Via branch and the CSeq method.

import { uriEquals, type SipRequest, type SipResponse, type Via } from '../message/index.ts';
import { TransactionError } from './transaction-errors.ts';

/** How an incoming request relates to the transactions it is compared with. */
export type MatchMode =
  /** A retransmission of the request that created the transaction (same method). */
  | 'request'
  /** An ACK, compared with INVITE transactions. */
  | 'ack'
  /** A CANCEL looking for the INVITE it cancels (§9.2). */
  | 'cancel';

/**
 * The key of the server transaction a request belongs to, or `undefined` when its top Via has no
 * RFC 3261 branch and the RFC 2543 rules apply. `mode` 'ack' and 'cancel' look for the INVITE.
 */
export function serverTransactionKey(request: SipRequest, mode: MatchMode = request.method === 'ACK' ? 'ack' : 'request'): string | undefined {
  const via = requireTopVia(request);
  // §17.2.3: "If the branch parameter in the top Via header field is present and begins with the magic
  // cookie", the branch, the sent-by and the method match the transaction; "the method of the request
  // matches the one that created the transaction, except for ACK, where the method of the request
  // that created the transaction is INVITE."
  if (!via.hasRfc3261Branch) return undefined;
  const method = mode === 'request' ? request.method : 'INVITE';
  return `${(via.branch ?? '').toLowerCase()}|${via.host.toLowerCase()}:${via.port ?? ''}|${method}`;
}

/** §17.1.3: the branch of the request's top Via and the CSeq method; ACK shares the INVITE's. */
export function clientTransactionKey(branch: string, method: string): string {
  return `${branch.toLowerCase()}|${method === 'ACK' ? 'INVITE' : method}`;
}

/** The client transaction key a response belongs to, or `undefined` when its top Via has no branch. */
export function responseTransactionKey(response: SipResponse): string | undefined {
  const branch = response.topVia?.branch;
  return branch === undefined ? undefined : clientTransactionKey(branch, response.cseq.method);
}

/** Bucket for RFC 2543 matching: Call-ID and CSeq number are compared by every rule. */
export function legacyBucketKey(request: SipRequest): string {
  return `${request.callId}|${request.cseq.seq}`;
}

/**
 * RFC 2543 matching (§17.2.3, and §9.2 for CANCEL). `original` created the transaction;
 * `responseToTag` is the To tag of the response the server transaction sent (ACK matching).
 */
export function matchesLegacy(original: SipRequest, responseToTag: string | undefined, incoming: SipRequest, mode: MatchMode): boolean {
  if (incoming.callId !== original.callId || incoming.cseq.seq !== original.cseq.seq) return false;
  if (!uriEquals(incoming.uri, original.uri) || incoming.from.tag !== original.from.tag) return false;
  if (!viaEquals(requireTopVia(incoming), requireTopVia(original))) return false;
  switch (mode) {
    case 'ack':
      // "The ACK request matches a transaction if the Request-URI, From tag, Call-ID, CSeq number (not
      // the method), and top Via header field match those of the INVITE request which created the
      // transaction, and the To tag of the ACK matches the To tag of the response sent by the server transaction."
      return original.method === 'INVITE' && incoming.to.tag === responseToTag;
    case 'cancel':
      // §9.2: the TU takes the CANCEL "assuming that the request method is anything but CANCEL or ACK"
      // and applies §17.2.3: Request-URI, To tag, From tag, Call-ID, CSeq and top Via.
      return original.method === 'INVITE' && incoming.to.tag === original.to.tag;
    case 'request':
      // "a request is matched to a transaction if the Request-URI, To tag, From tag, Call-ID, CSeq
      // (including the method), and top Via header field match those of the request that created the transaction."
      return incoming.method === original.method && incoming.cseq.method === original.cseq.method && incoming.to.tag === original.to.tag;
  }
}

/**
 * §20.42 Via equality, minus `received` and `rport`: the transport layer may stamp them on what it
 * receives, and they say nothing about which request this is.
 */
function viaEquals(a: Via, b: Via): boolean {
  if (a.transport !== b.transport || a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  const significant = (v: Via) => [...v.params].filter(([k]) => k !== 'received' && k !== 'rport');
  const pa = significant(a);
  const pb = significant(b);
  if (pa.length !== pb.length) return false;
  return pa.every(([k, v]) => b.params.has(k) && (b.params.get(k) ?? '').toLowerCase() === (v ?? '').toLowerCase());
}

function requireTopVia(request: SipRequest): Via {
  const via = request.topVia;
  if (via === undefined) throw new TransactionError('TRANSACTION_UNMATCHABLE', `${request.method} without a Via cannot be matched to a transaction (RFC 3261 §8.1.1.7)`);
  return via;
}
