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

// Marks a view not parsed yet (`undefined` is a parsed value: an absent optional header).
const UNSET: unique symbol = Symbol('unset');
type Cached<T> = T | typeof UNSET;

// Plain fields rather than a Map keyed by name and a parse closure per getter call: cheaper on
// every message, since the parser itself reads six of these views.
/** The views parsed from one version of the headers. */
class Views {
  readonly version: number;
  from: Cached<NameAddr> = UNSET;
  to: Cached<NameAddr> = UNSET;
  cseq: Cached<CSeq> = UNSET;
  vias: Cached<Via[]> = UNSET;
  topVia: Cached<Via | undefined> = UNSET;
  contacts: Cached<NameAddr[]> = UNSET;
  routes: Cached<NameAddr[]> = UNSET;
  recordRoutes: Cached<NameAddr[]> = UNSET;
  maxForwards: Cached<number | undefined> = UNSET;
  expires: Cached<number | undefined> = UNSET;
  contentLength: Cached<number | undefined> = UNSET;
  contentType: Cached<MediaType | undefined> = UNSET;

  constructor(version: number) {
    this.version = version;
  }
}

abstract class SipMessageBase {
  readonly headers: HeaderList;
  body: Buffer;
  #views: Views | undefined;

  constructor(headers: HeaderList, body: Buffer) {
    this.headers = headers;
    this.body = body;
  }

  abstract isRequest(): this is SipRequest;

  /** The views of the current version of the headers: parsed on first use, dropped on any change. */
  #current(): Views {
    let views = this.#views;
    if (views === undefined || views.version !== this.headers.version) {
      views = new Views(this.headers.version);
      this.#views = views;
    }
    return views;
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
    const views = this.#current();
    if (views.from === UNSET) views.from = parseNameAddr(this.#required('From'), 'From');
    return views.from;
  }

  set from(value: NameAddr) {
    this.headers.set('From', value.toString());
  }

  get to(): NameAddr {
    const views = this.#current();
    if (views.to === UNSET) views.to = parseNameAddr(this.#required('To'), 'To');
    return views.to;
  }

  set to(value: NameAddr) {
    this.headers.set('To', value.toString());
  }

  get cseq(): CSeq {
    const views = this.#current();
    if (views.cseq === UNSET) views.cseq = parseCSeq(this.#required('CSeq'));
    return views.cseq;
  }

  set cseq(value: CSeq) {
    this.headers.set('CSeq', formatCSeq(value));
  }

  get vias(): Via[] {
    const views = this.#current();
    if (views.vias === UNSET) views.vias = this.headers.getAll('Via').map(parseVia);
    return views.vias;
  }

  /** The first Via value, parsed on its own (cheaper than all of `vias`). */
  get topVia(): Via | undefined {
    const views = this.#current();
    if (views.topVia === UNSET) views.topVia = this.#parseTopVia();
    return views.topVia;
  }

  #parseTopVia(): Via | undefined {
    const line = this.headers.get('Via');
    if (line === undefined) return undefined;
    const first = line.indexOf(',') === -1 ? line : this.headers.getAll('Via')[0];
    return first === undefined ? undefined : parseVia(first);
  }

  /** Contact values; empty for `Contact: *` (see `isContactStar`). */
  get contacts(): NameAddr[] {
    const views = this.#current();
    if (views.contacts === UNSET) views.contacts = this.isContactStar ? [] : this.headers.getAll('Contact').map((v) => parseNameAddr(v, 'Contact'));
    return views.contacts;
  }

  get isContactStar(): boolean {
    return this.headers.getAll('Contact').some((v) => v === '*');
  }

  get routes(): NameAddr[] {
    const views = this.#current();
    if (views.routes === UNSET) views.routes = this.headers.getAll('Route').map((v) => parseNameAddr(v, 'Route'));
    return views.routes;
  }

  get recordRoutes(): NameAddr[] {
    const views = this.#current();
    if (views.recordRoutes === UNSET) views.recordRoutes = this.headers.getAll('Record-Route').map((v) => parseNameAddr(v, 'Record-Route'));
    return views.recordRoutes;
  }

  get maxForwards(): number | undefined {
    const views = this.#current();
    if (views.maxForwards === UNSET) views.maxForwards = parseCount(this.headers.get('Max-Forwards'), 'Max-Forwards', 255);
    return views.maxForwards;
  }

  get expires(): number | undefined {
    const views = this.#current();
    if (views.expires === UNSET) views.expires = parseCount(this.headers.get('Expires'), 'Expires', 0xffffffff);
    return views.expires;
  }

  get contentLength(): number | undefined {
    const views = this.#current();
    if (views.contentLength === UNSET) views.contentLength = parseCount(this.headers.get('Content-Length'), 'Content-Length', 0xffffffff);
    return views.contentLength;
  }

  get contentType(): MediaType | undefined {
    const views = this.#current();
    if (views.contentType === UNSET) {
      const v = this.headers.get('Content-Type');
      views.contentType = v === undefined ? undefined : parseMediaType(v);
    }
    return views.contentType;
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

// 1*DIGIT: leading zeros are legal (RFC 4475 §3.1.1.1), at most 10 significant digits.
const COUNT_RE = /^0*([0-9]{1,10})$/;

function parseCount(value: string | undefined, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  const m = COUNT_RE.exec(t);
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
