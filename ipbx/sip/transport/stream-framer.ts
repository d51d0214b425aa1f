// Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3): the head ends at the first
// empty line and Content-Length, mandatory on streams, says where the body ends. Written like
// ws's receiver: bytes accumulate, then an explicit-state loop runs until it lacks bytes.
// Between messages it recognizes RFC 5626 §3.5.1 keep-alives: a double CRLF ping and a single
// CRLF pong. A framing error is final: after one the stream has no trustworthy boundaries.

import { EventEmitter } from 'node:events';
import { DEFAULT_PARSE_LIMITS, findHeadEnd } from '../message/index.ts';
import { FramingError, type FramingErrorCode } from './transport-errors.ts';

export interface FramerLimits {
  /** Longest head (start line and headers, with the empty line), in bytes. */
  maxHeadBytes: number;
  /** Longest message, head and body, in bytes. */
  maxMessageBytes: number;
}

export const DEFAULT_FRAMER_LIMITS: Readonly<FramerLimits> = Object.freeze({
  maxHeadBytes: 32_768,
  maxMessageBytes: DEFAULT_PARSE_LIMITS.maxMessageBytes,
});

export interface StreamFramerOptions extends Partial<FramerLimits> {
  /**
   * RFC 5626 §4.4.1: the side that opened the connection sends pings and gets pongs. A 'server'
   * framer reads CRLFCRLF as a ping; a 'client' framer reads every CRLF as a pong.
   */
  role?: 'server' | 'client';
}

export interface StreamFramerEvents {
  /** One complete message, head and body, in a buffer of its own. */
  message: [message: Buffer];
  /** A double-CRLF ping: answer with a single CRLF. */
  ping: [];
  /** A single-CRLF pong (or a stray CRLF before a start line, RFC 3261 §7.5). */
  pong: [];
  error: [error: FramingError];
}

const CR = 0x0d;
const SHRINK_ABOVE = 16_384;
const LF = 0x0a;

const State = { BOUNDARY: 0, HEAD: 1, BODY: 2, DONE: 3 } as const;
type State = (typeof State)[keyof typeof State];

export class StreamFramer extends EventEmitter<StreamFramerEvents> {
  readonly limits: Readonly<FramerLimits>;
  readonly #role: 'server' | 'client';
  #state: State = State.BOUNDARY;
  // Bytes live in #buf[#start, #end); the buffer grows by doubling, so a slow sender costs
  // amortized O(1) per byte instead of one concatenation per read.
  #buf = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** HEAD: how many bytes of this head were already searched for its end. */
  #scanned = 0;
  /** BODY: the whole message's length. */
  #messageLength = 0;

  constructor(options: StreamFramerOptions = {}) {
    super();
    this.limits = Object.freeze({
      maxHeadBytes: options.maxHeadBytes ?? DEFAULT_FRAMER_LIMITS.maxHeadBytes,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_FRAMER_LIMITS.maxMessageBytes,
    });
    this.#role = options.role ?? 'server';
  }

  /** True while part of a message has arrived but not all of it. */
  get hasPartialMessage(): boolean {
    return this.#state === State.HEAD || this.#state === State.BODY;
  }

  /** Bytes received and not yet handed out. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  push(chunk: Buffer): void {
    if (this.#state === State.DONE || chunk.length === 0) return;
    this.#append(chunk);
    while (this.#step()) { /* until bytes run out or the framer fails */ }
  }

  /** Runs the current state's reader; false when it needs more bytes or the framer is done. */
  #step(): boolean {
    switch (this.#state) {
      case State.BOUNDARY:
        return this.#readBoundary();
      case State.HEAD:
        return this.#readHead();
      case State.BODY:
        return this.#readBody();
      case State.DONE:
        return false;
    }
  }

  /** Drops buffered bytes and ignores whatever is pushed later. Idempotent. */
  close(): void {
    this.#state = State.DONE;
    this.#buf = Buffer.alloc(0);
    this.#start = this.#end = 0;
  }

  #append(chunk: Buffer): void {
    const live = this.#end - this.#start;
    if (this.#end + chunk.length > this.#buf.length) {
      if (live + chunk.length <= this.#buf.length / 2) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(live + chunk.length, this.#buf.length * 2, 4096));
        this.#buf.copy(grown, 0, this.#start, this.#end);
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = live;
    }
    chunk.copy(this.#buf, this.#end);
    this.#end += chunk.length;
  }

  #byte(offset: number): number | undefined {
    return this.#start + offset < this.#end ? this.#buf[this.#start + offset] : undefined;
  }

  #consume(n: number): void {
    this.#start += n;
    if (this.#start !== this.#end) return;
    this.#start = this.#end = 0;
    // One large message must not pin a large buffer to an idle connection.
    if (this.#buf.length > SHRINK_ABOVE) this.#buf = Buffer.alloc(0);
  }

  /** Between messages: keep-alives and stray line ends, then the first byte of a head. */
  #readBoundary(): boolean {
    for (;;) {
      const b0 = this.#byte(0);
      if (b0 === undefined) return false;
      if (b0 === LF) {
        this.#consume(1); // a bare LF is no keep-alive; skipped like CRLFs before a start line (RFC 3261 §7.5)
        continue;
      }
      if (b0 !== CR) {
        this.#state = State.HEAD;
        this.#scanned = 0;
        return true;
      }
      const b1 = this.#byte(1);
      if (b1 === undefined) return false; // the LF of this CR is still on its way
      if (b1 !== LF) {
        this.#state = State.HEAD; // not a line end: let the head be read (and rejected by the parser)
        this.#scanned = 0;
        return true;
      }
      if (this.#role === 'client') {
        this.#consume(2);
        this.emit('pong');
        if (this.#state !== State.BOUNDARY) return false;
        continue;
      }
      const b2 = this.#byte(2);
      // A server cannot tell a lone CRLF from the first half of a ping until the next bytes come.
      if (b2 === undefined) return false;
      if (b2 === CR) {
        const b3 = this.#byte(3);
        if (b3 === undefined) return false;
        if (b3 === LF) {
          this.#consume(4);
          this.emit('ping');
          if (this.#state !== State.BOUNDARY) return false;
          continue;
        }
      }
      this.#consume(2);
      this.emit('pong');
      if (this.#state !== State.BOUNDARY) return false;
    }
  }

  #readHead(): boolean {
    const available = this.#end - this.#start;
    const view = this.#buf.subarray(this.#start, this.#end);
    // Resume 3 bytes back: the previous read may have ended inside the CRLFCRLF.
    const bounds = findHeadEnd(view, Math.max(0, this.#scanned - 3));
    if (bounds === undefined) {
      if (available > this.#maxHead) return this.#fail('SIP_FRAMING_HEAD_TOO_LARGE', `header section longer than ${this.#maxHead} bytes`);
      this.#scanned = available;
      return false;
    }
    if (bounds.bodyStart > this.#maxHead) return this.#fail('SIP_FRAMING_HEAD_TOO_LARGE', `header section longer than ${this.#maxHead} bytes`);
    const head = view.subarray(0, bounds.bodyStart);
    const length = readContentLength(head.toString('latin1', 0, bounds.headEnd));
    if (typeof length !== 'number') return this.#fail(length.code, length.reason, 400, head);
    if (bounds.bodyStart + length > this.limits.maxMessageBytes) {
      return this.#fail('SIP_FRAMING_MESSAGE_TOO_LARGE', `message of ${bounds.bodyStart + length} bytes exceeds the limit of ${this.limits.maxMessageBytes}`, 513, head);
    }
    this.#messageLength = bounds.bodyStart + length;
    this.#state = State.BODY;
    return true;
  }

  #readBody(): boolean {
    if (this.#end - this.#start < this.#messageLength) return false;
    // A copy: the buffer is reused for the bytes that follow.
    const message = Buffer.from(this.#buf.subarray(this.#start, this.#start + this.#messageLength));
    this.#consume(this.#messageLength);
    this.#state = State.BOUNDARY;
    this.emit('message', message);
    // A listener may have closed the framer.
    return this.#state === State.BOUNDARY;
  }

  get #maxHead(): number {
    return Math.min(this.limits.maxHeadBytes, this.limits.maxMessageBytes);
  }

  #fail(code: FramingErrorCode, reason: string, sipStatus = 400, head?: Buffer): false {
    const error = new FramingError(code, reason, sipStatus, head === undefined ? undefined : Buffer.from(head));
    this.close();
    this.emit('error', error);
    return false;
  }
}

const CONTENT_LENGTH_NAME_RE = /^(?:content-length|l)$/i;

/**
 * The body length a head declares (RFC 3261 §18.3, §20.14, compact form `l`), or why it has none.
 * Several Content-Length lines are tolerated only when they agree.
 */
export function readContentLength(head: string): number | { code: FramingErrorCode; reason: string } {
  const lines = head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  let length: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0 || !CONTENT_LENGTH_NAME_RE.test(line.slice(0, colon).trim())) continue;
    const value = line.slice(colon + 1).trim();
    if (!/^[0-9]{1,10}$/.test(value)) {
      const what = value.startsWith('-') ? 'negative' : 'not a number';
      return { code: 'SIP_FRAMING_BAD_CONTENT_LENGTH', reason: `Content-Length "${value.slice(0, 20)}" is ${what}` };
    }
    const n = Number(value);
    if (length !== undefined && length !== n) {
      return { code: 'SIP_FRAMING_CONFLICTING_CONTENT_LENGTH', reason: `conflicting Content-Length values ${length} and ${n}` };
    }
    length = n;
  }
  if (length === undefined) {
    return { code: 'SIP_FRAMING_MISSING_CONTENT_LENGTH', reason: 'Content-Length is required on stream transports (RFC 3261 §18.3)' };
  }
  return length;
}
