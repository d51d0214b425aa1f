// Builds a response to a request (RFC 3261 §8.2.6.2): same Via values, From, Call-ID and CSeq;
// To gets a tag on every response but 100 when the request had none.

import { randomBytes } from 'node:crypto';
import { HeaderList } from './header-list.ts';
import { parseNameAddr, type NameAddr } from './name-addr.ts';
import { SipParseError, type PartialMessage } from './sip-parse-error.ts';
import { SipResponse, type SipRequest } from './sip-message.ts';
import { reasonPhrase } from './reason-phrases.ts';

/** Random token for tags, branches and Call-IDs: 64 bits (RFC 3261 §19.3 wants at least 32). */
// randomBytes() per token was 14% of the registrar's CPU under load (a libuv job each time): tokens
// are cut from a pool of crypto-random bytes refilled 4 KiB at a time.
const POOL_BYTES = 4096;
let pool = randomBytes(POOL_BYTES);
let poolOffset = 0;

export function randomToken(bytes = 8): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString('hex');
  if (poolOffset + bytes > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const token = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return token;
}

export interface ResponseOptions {
  reason?: string;
  /** To-tag to add when the request's To has none (status > 100). Default: a new random tag. */
  toTag?: string;
  headers?: Array<[string, string]>;
  body?: Buffer;
  contentType?: string;
}

export function createResponse(request: SipRequest, status: number, options: ResponseOptions = {}): SipResponse {
  const headers = new HeaderList();
  copyResponseHeaders(request.headers, headers);
  const response = new SipResponse(status, options.reason ?? reasonPhrase(status), headers);
  if (status > 100 && request.to.tag === undefined) {
    const to = request.to.clone();
    to.tag = options.toTag ?? randomToken();
    response.to = to;
  }
  if (status === 100) {
    // RFC 3261 §8.2.6.1: a Timestamp in the request is echoed in the 100.
    const ts = request.headers.get('Timestamp');
    if (ts !== undefined) headers.append('Timestamp', ts);
  }
  for (const [name, value] of options.headers ?? []) headers.append(name, value);
  if (options.body !== undefined) {
    response.body = options.body;
    if (options.contentType !== undefined) headers.set('Content-Type', options.contentType);
  }
  return response;
}

function copyResponseHeaders(from: HeaderList, to: HeaderList): void {
  for (const h of from) {
    if (h.key === 'via' || h.key === 'from' || h.key === 'to' || h.key === 'call-id' || h.key === 'cseq') {
      to.appendRaw(h.name, h.value, h.key);
    }
  }
}

/**
 * A 400 (or the error's status) for a request that could not be parsed, when enough of it was
 * read to address a response; otherwise undefined and the request is dropped (RFC 3261 §8.2).
 */
export function createErrorResponse(partial: PartialMessage, status: number, reason: string): SipResponse | undefined {
  if (!partial.isRequest || partial.method === 'ACK') return undefined;
  const h = partial.headers;
  // The reply goes straight back to the source; the Via lets the sender match it to its request,
  // so it is sent even when From, To, Call-ID or CSeq are missing (RFC 4475 §3.3.1 wants a 400).
  if (!h.has('Via')) return undefined;
  const headers = new HeaderList();
  copyResponseHeaders(h, headers);
  if (status > 100) addToTag(headers);
  return new SipResponse(status, reason.replace(/[\r\n]/g, ' ').slice(0, 120), headers);
}

/** RFC 3261 §8.2.6.2 (and §16.3 for proxies answering): a To tag on every response but 100, when To parses. */
function addToTag(headers: HeaderList): void {
  let to: NameAddr;
  try {
    to = parseNameAddr(headers.get('To') ?? '', 'To');
  } catch (err) {
    if (err instanceof SipParseError) return; // the To cannot be rewritten; it is echoed as received
    throw err;
  }
  if (to.tag !== undefined) return;
  to.tag = randomToken();
  headers.set('To', to.toString());
}
