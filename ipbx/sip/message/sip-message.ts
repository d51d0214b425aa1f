// SIP requests and responses: start line, ordered headers, body, and typed views of the headers
// the stack needs. Views are parsed on first use and cached until the headers change; setters
// write the header text, so what is serialized is always what the views show.

import { parseMediaType, type MediaType } from './content-type.ts';
import { parseCSeq, formatCSeq, type CSeq } from './cseq.ts';
import { HeaderList } from './header-list.ts';
import { parseNameAddr, type NameAddr } from './name-addr.ts';
import { SipParseError } from './sip-parse-error.ts';
import type { Uri } from './uri.ts';
import { parseVia, type Via } from './via.ts';

abstract class SipMessageBase {
  readonly headers: HeaderList;
  body: Buffer;
  #cache = new Map<string, unknown>();
  #cacheVersion = -1;

  constructor(headers: HeaderList, body: Buffer) {
    this.headers = headers;
    this.body = body;
  }

  abstract isRequest(): this is SipRequest;

  /** Parses a header view once per version of the headers. */
  protected view<T>(key: string, parse: () => T): T {
    if (this.#cacheVersion !== this.headers.version) {
      this.#cache.clear();
      this.#cacheVersion = this.headers.version;
    }
    if (this.#cache.has(key)) return this.#cache.get(key) as T;
    const value = parse();
    this.#cache.set(key, value);
    return value;
  }

  #required(name: string): string {
    const v = this.headers.get(name);
    if (v === undefined) throw new SipParseError('SIP_MISSING_HEADER', `missing ${name} header`);
    return v;
  }

  get callId(): string {
    return this.#required('Call-ID');
  }

  set callId(value: string) {
    this.headers.set('Call-ID', value);
  }

  get from(): NameAddr {
    return this.view('from', () => parseNameAddr(this.#required('From'), 'From'));
  }

  set from(value: NameAddr) {
    this.headers.set('From', value.toString());
  }

  get to(): NameAddr {
    return this.view('to', () => parseNameAddr(this.#required('To'), 'To'));
  }

  set to(value: NameAddr) {
    this.headers.set('To', value.toString());
  }

  get cseq(): CSeq {
    return this.view('cseq', () => parseCSeq(this.#required('CSeq')));
  }

  set cseq(value: CSeq) {
    this.headers.set('CSeq', formatCSeq(value));
  }

  get vias(): Via[] {
    return this.view('vias', () => this.headers.getAll('Via').map(parseVia));
  }

  /** The first Via value, parsed on its own (cheaper than all of `vias`). */
  get topVia(): Via | undefined {
    return this.view('topVia', () => {
      const line = this.headers.get('Via');
      if (line === undefined) return undefined;
      const first = line.indexOf(',') === -1 ? line : this.headers.getAll('Via')[0];
      return first === undefined ? undefined : parseVia(first);
    });
  }

  /** Contact values; empty for `Contact: *` (see `isContactStar`). */
  get contacts(): NameAddr[] {
    return this.view('contacts', () => this.isContactStar ? [] : this.headers.getAll('Contact').map((v) => parseNameAddr(v, 'Contact')));
  }

  get isContactStar(): boolean {
    return this.headers.getAll('Contact').some((v) => v === '*');
  }

  get routes(): NameAddr[] {
    return this.view('routes', () => this.headers.getAll('Route').map((v) => parseNameAddr(v, 'Route')));
  }

  get recordRoutes(): NameAddr[] {
    return this.view('recordRoutes', () => this.headers.getAll('Record-Route').map((v) => parseNameAddr(v, 'Record-Route')));
  }

  get maxForwards(): number | undefined {
    return this.view('maxForwards', () => parseCount(this.headers.get('Max-Forwards'), 'Max-Forwards', 255));
  }

  get expires(): number | undefined {
    return this.view('expires', () => parseCount(this.headers.get('Expires'), 'Expires', 0xffffffff));
  }

  get contentLength(): number | undefined {
    return this.view('contentLength', () => parseCount(this.headers.get('Content-Length'), 'Content-Length', 0xffffffff));
  }

  get contentType(): MediaType | undefined {
    return this.view('contentType', () => {
      const v = this.headers.get('Content-Type');
      return v === undefined ? undefined : parseMediaType(v);
    });
  }

  /** Option tags, lower case (RFC 3261 §19.2). */
  get supported(): string[] {
    return this.#optionTags('Supported');
  }

  get require(): string[] {
    return this.#optionTags('Require');
  }

  get proxyRequire(): string[] {
    return this.#optionTags('Proxy-Require');
  }

  /** Raw values: their commas separate auth parameters, so they are never split. */
  get authorization(): string[] {
    return this.headers.getLines('Authorization');
  }

  get proxyAuthorization(): string[] {
    return this.headers.getLines('Proxy-Authorization');
  }

  get wwwAuthenticate(): string[] {
    return this.headers.getLines('WWW-Authenticate');
  }

  get proxyAuthenticate(): string[] {
    return this.headers.getLines('Proxy-Authenticate');
  }

  #optionTags(name: string): string[] {
    return this.headers.getAll(name).map((t) => t.toLowerCase());
  }
}

function parseCount(value: string | undefined, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  // 1*DIGIT: leading zeros are legal (RFC 4475 §3.1.1.1), at most 10 significant digits.
  const m = /^0*([0-9]{1,10})$/.exec(t);
  if (m === null || Number(m[1]) > max) {
    throw new SipParseError('SIP_BAD_HEADER', `${name} "${t}" is not a number from 0 to ${max}`);
  }
  return Number(m[1]);
}

export class SipRequest extends SipMessageBase {
  method: string;
  uri: Uri;

  constructor(method: string, uri: Uri, headers = new HeaderList(), body: Buffer = Buffer.alloc(0)) {
    super(headers, body);
    this.method = method;
    this.uri = uri;
  }

  isRequest(): this is SipRequest {
    return true;
  }
}

export class SipResponse extends SipMessageBase {
  status: number;
  reason: string;

  constructor(status: number, reason: string, headers = new HeaderList(), body: Buffer = Buffer.alloc(0)) {
    super(headers, body);
    this.status = status;
    this.reason = reason;
  }

  isRequest(): this is SipRequest {
    return false;
  }
}

export type SipMessage = SipRequest | SipResponse;
