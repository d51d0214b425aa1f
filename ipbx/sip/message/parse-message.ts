// Parses one SIP message from bytes (RFC 3261 §7, §18.3). Over a datagram the body is what
// Content-Length says (trailing octets are ignored, RFC 3261 §18.3) or the rest of the packet
// when it is absent; over a stream the framer has already cut exactly one message.
// Never throws: the result is a message or a SipParseError naming what is wrong.

import { canonicalKey, SINGLETON_HEADERS, displayName } from './header-names.ts';
import { HeaderList } from './header-list.ts';
import { isToken, tokenEnd } from './header-params.ts';
import { isKnownMethod } from './methods.ts';
import { SipParseError } from './sip-parse-error.ts';
import { SipRequest, SipResponse, type SipMessage } from './sip-message.ts';
import { SipUri, parseUri } from './uri.ts';

export interface ParseLimits {
  /** Largest message, head and body, in bytes. */
  maxMessageBytes: number;
  /** Most header lines (after unfolding). */
  maxHeaders: number;
  /** Longest physical line of the head, in characters. */
  maxLineLength: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageBytes: 65_535,
  maxHeaders: 256,
  maxLineLength: 8_192,
});

export interface ParseOptions {
  /** UDP: body by Content-Length or the rest of the packet. Streams: Content-Length required. */
  datagram: boolean;
  limits?: Partial<ParseLimits>;
}

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

/** Where the head ends: the index of its terminating blank line and the body's start. */
export function findHeadEnd(buf: Buffer, from = 0): { headEnd: number; bodyStart: number } | undefined {
  // The first blank line, CRLFCRLF or a bare-LF LFLF (sent by some broken UAs), whichever starts
  // first. One hop per line with the native indexOf: cheaper than searching for both patterns,
  // and a JS loop over every byte is slower still.
  for (let lf = buf.indexOf(0x0a, from); lf !== -1; lf = buf.indexOf(0x0a, lf + 1)) {
    const next = buf[lf + 1];
    if (next === 0x0a) return { headEnd: lf, bodyStart: lf + 2 };
    if (next === 0x0d && buf[lf + 2] === 0x0a && lf - 1 >= from && buf[lf - 1] === 0x0d) return { headEnd: lf - 1, bodyStart: lf + 3 };
  }
  return undefined;
}

export function parseMessage(buf: Buffer, options: ParseOptions): ParseResult {
  const limits = options.limits === undefined ? DEFAULT_PARSE_LIMITS : { ...DEFAULT_PARSE_LIMITS, ...options.limits };
  const partial = { isRequest: false, method: undefined as string | undefined, headers: new HeaderList() };
  try {
    return { ok: true, message: parseOrThrow(buf, options.datagram, limits, partial) };
  } catch (err) {
    const error = err instanceof SipParseError
      ? err
      : new SipParseError('SIP_BAD_HEADER', `unparseable message: ${(err as Error).message}`);
    if (partial.headers.size > 0 || partial.isRequest) error.partial = partial;
    return { ok: false, error };
  }
}

function parseOrThrow(
  buf: Buffer,
  datagram: boolean,
  limits: ParseLimits,
  partial: { isRequest: boolean; method: string | undefined; headers: HeaderList },
): SipMessage {
  if (buf.length > limits.maxMessageBytes) {
    throw new SipParseError('SIP_MESSAGE_TOO_LARGE', `message of ${buf.length} bytes exceeds the limit of ${limits.maxMessageBytes}`, 513);
  }
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  // A datagram whose head lacks the closing empty line ends at the end of the packet
  // (RFC 4475 §3.1.2.16 ends so); on a stream the framer only cuts complete heads.
  const bounds = findHeadEnd(buf, start) ?? (datagram ? { headEnd: trimTrailingNewline(buf), bodyStart: buf.length } : undefined);
  if (bounds === undefined) throw new SipParseError('SIP_INCOMPLETE', 'no empty line ends the header section');
  const head = buf.toString('utf8', start, bounds.headEnd);

  // Start line.
  let lineEnd = head.indexOf('\n');
  if (lineEnd === -1) lineEnd = head.length;
  const startLine = head.charCodeAt(lineEnd - 1) === 0x0d ? head.slice(0, lineEnd - 1) : head.slice(0, lineEnd);

  // A bad start line is reported only once the headers are read, so that `partial` carries the
  // Via, From, To, Call-ID and CSeq a UAS needs to answer 400 or 505 (RFC 3261 §8.2.6, §21.5.26).
  let message: SipMessage | undefined;
  let startError: SipParseError | undefined;
  const headers = partial.headers;
  try {
    if (startLine.length > limits.maxLineLength) throw new SipParseError('SIP_LINE_TOO_LONG', `start line longer than ${limits.maxLineLength} characters`);
    if (startLine.startsWith('SIP/')) {
      message = parseStatusLine(startLine, headers);
    } else {
      partial.isRequest = true;
      message = parseRequestLine(startLine, headers, partial);
    }
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
    startError = err;
  }

  try {
    readHeaders(head, lineEnd + 1, limits, headers);
  } catch (err) {
    throw startError ?? err;
  }
  if (message === undefined) throw startError ?? new SipParseError('SIP_BAD_START_LINE', 'no start line');

  validate(message, datagram);
  message.body = extractBody(buf, bounds.bodyStart, message, datagram);
  return message;
}

/** Header lines, unfolding continuation lines (RFC 3261 §7.3.1). */
function readHeaders(head: string, from: number, limits: ParseLimits, headers: HeaderList): void {
  // Works on `head` by index: a line is sliced out only for a continuation or an error.
  let pos = from;
  let name: string | undefined;
  let value = '';
  while (pos < head.length) {
    let end = head.indexOf('\n', pos);
    if (end === -1) end = head.length;
    const lineEnd = head.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
    const start = pos;
    pos = end + 1;
    if (lineEnd - start > limits.maxLineLength) throw new SipParseError('SIP_LINE_TOO_LONG', `header line longer than ${limits.maxLineLength} characters`);
    const first = lineEnd > start ? head.charCodeAt(start) : -1;
    if (first === 0x20 || first === 0x09) {
      if (name === undefined) throw new SipParseError('SIP_BAD_HEADER', 'continuation line before any header');
      value += ' ' + head.slice(start, lineEnd).trim();
      continue;
    }
    if (name !== undefined) addHeader(headers, name, value, limits);
    // Usually the name is a token right before the colon: one scan finds and checks it.
    let colon = tokenEnd(head, start);
    if (colon > start && head.charCodeAt(colon) === 0x3a /* : */ && colon < lineEnd) {
      name = head.slice(start, colon);
    } else {
      colon = head.indexOf(':', start);
      if (colon === -1 || colon === start || colon >= lineEnd) {
        throw new SipParseError('SIP_BAD_HEADER', `header line "${truncate(head.slice(start, lineEnd))}" has no name and colon`);
      }
      const rawName = head.slice(start, colon).trimEnd();
      if (!isToken(rawName)) throw new SipParseError('SIP_BAD_HEADER', `header name "${truncate(rawName)}" is not a token`);
      name = rawName;
    }
    // Skipping the blanks after the colon here leaves the trim() in addHeader nothing to cut in
    // the usual case, so it returns its input instead of making a second string.
    let valueStart = colon + 1;
    while (valueStart < lineEnd && (head.charCodeAt(valueStart) === 0x20 || head.charCodeAt(valueStart) === 0x09)) valueStart++;
    value = head.slice(valueStart, lineEnd);
  }
  if (name !== undefined) addHeader(headers, name, value, limits);
}

// Not a closure in readHeaders: tsx (esbuild keepNames) wraps named closures in __name(), an
// Object.defineProperty on every creation. `headers` holds only this message's header lines.
function addHeader(headers: HeaderList, name: string, value: string, limits: ParseLimits): void {
  if (headers.size >= limits.maxHeaders) throw new SipParseError('SIP_TOO_MANY_HEADERS', `more than ${limits.maxHeaders} header lines`);
  headers.appendRaw(name, value.trim(), canonicalKey(name));
}

function trimTrailingNewline(buf: Buffer): number {
  let end = buf.length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d)) end--;
  return end;
}

function truncate(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

const STATUS_RE = /^SIP\/([0-9]+\.[0-9]+) ([0-9]+)(?: (.*))?$/;

function parseStatusLine(line: string, headers: HeaderList): SipResponse {
  const m = STATUS_RE.exec(line.trimEnd());
  if (m === null) throw new SipParseError('SIP_BAD_START_LINE', 'status line is not "SIP/2.0 code reason"');
  const [, version, code = '', reason = ''] = m;
  if (version !== '2.0') throw new SipParseError('SIP_BAD_VERSION', `SIP version ${version} is not supported`, 505);
  if (code.length !== 3 || Number(code) < 100 || Number(code) > 699) {
    throw new SipParseError('SIP_BAD_STATUS', `status code ${truncate(code)} is not 100 to 699`);
  }
  return new SipResponse(Number(code), reason, headers);
}

const VERSION_RE = /^SIP\/([0-9]+\.[0-9]+)$/i;

function parseRequestLine(line: string, headers: HeaderList, partial: { method: string | undefined }): SipRequest {
  // One SP between the parts (RFC 3261 §7.1); extra SP around them is tolerated as RFC 4475
  // §3.1.2.8/§3.1.2.9 allow, but white space inside the Request-URI is not (§3.1.2.7).
  const parts = splitOnSpaces(line.trim());
  if (parts.length !== 3) {
    throw new SipParseError('SIP_BAD_START_LINE', parts.length > 3 ? 'white space inside the Request-URI' : 'request line is not "METHOD Request-URI SIP/2.0"');
  }
  const [method = '', uriText = '', versionText = ''] = parts;
  if (!isToken(method)) throw new SipParseError('SIP_BAD_START_LINE', `method "${truncate(method)}" is not a token`);
  partial.method = method;
  const v = VERSION_RE.exec(versionText);
  if (v === null) throw new SipParseError('SIP_BAD_START_LINE', `"${truncate(versionText)}" is not a SIP version`);
  if (v[1] !== '2.0') throw new SipParseError('SIP_BAD_VERSION', `SIP version ${v[1]} is not supported`, 505);
  const uri = parseUri(uriText);
  if (uri instanceof SipUri && uri.headers.size > 0) {
    throw new SipParseError('SIP_BAD_URI', 'the Request-URI must not contain headers (RFC 3261 §19.1.1)');
  }
  return new SipRequest(method, uri, headers);
}

/** `s.split(/ +/)`, without the regexp split machinery (slow in V8 on every request line). */
function splitOnSpaces(s: string): string[] {
  const parts: string[] = [];
  let from = 0;
  for (let sp = s.indexOf(' '); sp !== -1; sp = s.indexOf(' ', from)) {
    parts.push(s.slice(from, sp));
    from = sp + 1;
    while (s.charCodeAt(from) === 0x20) from++;
  }
  parts.push(s.slice(from));
  return parts;
}

// Module constants: a regexp literal in a function body is a new object on every evaluation.
const WS_RE = /\s/;
const CONTENT_LENGTH_RE = /^0*([0-9]{1,10})$/;

// The headers validate() reads in its one pass over the lines, by index: Via, then the singleton
// headers in the order their duplicates are reported.
const TRACKED = ['via', ...SINGLETON_HEADERS];
const VIA = 0;
const CALL_ID = 1;
const CSEQ = 2;
const FROM = 3;
const TO = 4;
const MAX_FORWARDS = 5;
const CONTENT_LENGTH = 6;
const CONTENT_TYPE = 7;
const EXPIRES = 8;
const MANDATORY = [VIA, FROM, TO, CALL_ID, CSEQ];

/** The index of a header key in TRACKED, or -1. */
// A switch rather than a Map: a Map lookup hashes each key, a fresh string, and was 3× slower.
function trackedIndex(key: string): number {
  switch (key) {
    case 'via': return VIA;
    case 'call-id': return CALL_ID;
    case 'cseq': return CSEQ;
    case 'from': return FROM;
    case 'to': return TO;
    case 'max-forwards': return MAX_FORWARDS;
    case 'content-length': return CONTENT_LENGTH;
    case 'content-type': return CONTENT_TYPE;
    case 'expires': return EXPIRES;
    default: return -1;
  }
}
if (TRACKED.length !== EXPIRES + 1 || TRACKED.some((key, i) => trackedIndex(key) !== i)) {
  throw new Error('trackedIndex() is out of step with SINGLETON_HEADERS');
}

/** RFC 3261 §8.1.1 and §8.2: what every request and response must carry, checked up front. */
function validate(message: SipMessage, datagram: boolean): void {
  // One pass (not a has()/count() per name, each a scan): the first value of each tracked
  // header, and a bit per singleton header repeated with a different value.
  const firsts = new Array<string | undefined>(TRACKED.length);
  let conflicts = 0;
  for (const e of message.headers) {
    const i = trackedIndex(e.key);
    if (i === -1) continue;
    const first = firsts[i];
    if (first === undefined) firsts[i] = e.value;
    else if (i !== VIA && e.value !== first) conflicts |= 1 << i;
  }
  for (const i of MANDATORY) {
    if (firsts[i] === undefined) throw new SipParseError('SIP_MISSING_HEADER', `missing ${displayName(TRACKED[i] ?? '')} header`);
  }
  for (let i = 0; conflicts !== 0 && i < TRACKED.length; i++) {
    if ((conflicts & (1 << i)) === 0) continue;
    const key = TRACKED[i] ?? '';
    const code = key === 'content-length' ? 'SIP_BAD_CONTENT_LENGTH' : 'SIP_DUPLICATE_HEADER';
    throw new SipParseError(code, `more than one ${displayName(key)} header`);
  }
  // Parse the views every element needs, so that errors surface here and not later.
  void message.topVia;
  void message.from;
  void message.to;
  const cseq = message.cseq;
  const callId = firsts[CALL_ID] ?? '';
  if (callId === '' || WS_RE.test(callId)) throw new SipParseError('SIP_BAD_HEADER', 'Call-ID is empty or contains white space');
  if (message.isRequest()) {
    if (cseq.method !== message.method) {
      // An unknown method is the bigger problem, and the one a UAS reports (RFC 4475 §3.1.2.18).
      const unknown = !isKnownMethod(message.method);
      throw new SipParseError(
        'SIP_CSEQ_MISMATCH',
        `${unknown ? `unknown method ${message.method}, and its ` : ''}CSeq method ${cseq.method} does not match the request method ${message.method}`,
        unknown ? 501 : 400,
      );
    }
    void message.maxForwards;
  }
  const length = firsts[CONTENT_LENGTH];
  if (length === undefined) {
    if (!datagram) throw new SipParseError('SIP_BAD_CONTENT_LENGTH', 'Content-Length is required on stream transports');
  } else {
    const m = CONTENT_LENGTH_RE.exec(length);
    if (m === null || Number(m[1]) > 0xffffffff) {
      throw new SipParseError('SIP_BAD_CONTENT_LENGTH', `Content-Length "${truncate(length)}" is not a number from 0 to 4294967295`);
    }
  }
}

function extractBody(buf: Buffer, bodyStart: number, message: SipMessage, datagram: boolean): Buffer {
  const available = buf.length - bodyStart;
  const declared = message.contentLength;
  if (declared === undefined) return buf.subarray(bodyStart);
  if (declared > available) {
    throw new SipParseError('SIP_TRUNCATED_BODY', `Content-Length ${declared} is larger than the ${available} bytes of body received`);
  }
  if (!datagram && declared < available) {
    throw new SipParseError('SIP_BAD_CONTENT_LENGTH', `Content-Length ${declared} is smaller than the ${available} bytes framed`);
  }
  return buf.subarray(bodyStart, bodyStart + declared);
}
