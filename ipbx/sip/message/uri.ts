// SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966), plus any other absolute URI kept
// as text. User parts, parameters and headers are kept escaped as received; comparison (§19.1.4)
// unescapes, so `sip:%61lice@h` equals `sip:alice@h` and nothing is ever unescaped twice.

import { SipParseError } from './sip-parse-error.ts';

export type UriParams = Map<string, string | null>;

export class SipUri {
  readonly scheme: 'sip' | 'sips';
  user: string | undefined;
  password: string | undefined;
  /** Host name, IPv4 address or bracketed IPv6 reference (`[2001:db8::1]`). */
  host: string;
  port: number | undefined;
  /** Lower-case names; `null` for a parameter without value (`;lr`). */
  params: UriParams;
  headers: Map<string, string>;

  constructor(init: {
    scheme?: 'sip' | 'sips';
    user?: string | undefined;
    password?: string | undefined;
    host: string;
    port?: number | undefined;
    params?: UriParams;
    headers?: Map<string, string>;
  }) {
    this.scheme = init.scheme ?? 'sip';
    this.user = init.user;
    this.password = init.password;
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Map<string, string | null>();
    this.headers = init.headers ?? new Map<string, string>();
  }

  get transportParam(): string | undefined {
    return this.params.get('transport')?.toLowerCase() ?? undefined;
  }

  /** `host:port` or `host`, as used in Via sent-by and connection keys. */
  get hostport(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }

  clone(): SipUri {
    return new SipUri({ ...this, params: new Map(this.params), headers: new Map(this.headers) });
  }

  toString(): string {
    let s = this.scheme + ':';
    if (this.user !== undefined) {
      s += this.user;
      if (this.password !== undefined) s += ':' + this.password;
      s += '@';
    }
    s += this.host;
    if (this.port !== undefined) s += ':' + this.port;
    for (const [k, v] of this.params) s += v === null ? ';' + k : ';' + k + '=' + v;
    let first = true;
    for (const [k, v] of this.headers) {
      s += (first ? '?' : '&') + k + '=' + v;
      first = false;
    }
    return s;
  }
}

export class TelUri {
  readonly scheme = 'tel';
  number: string;
  params: UriParams;

  constructor(number: string, params: UriParams = new Map()) {
    this.number = number;
    this.params = params;
  }

  toString(): string {
    let s = 'tel:' + this.number;
    for (const [k, v] of this.params) s += v === null ? ';' + k : ';' + k + '=' + v;
    return s;
  }
}

/** Any other absolute URI (`http:`, `urn:`, `isbn:`): carried, never interpreted. */
export class AbsoluteUri {
  readonly scheme: string;
  readonly raw: string;

  constructor(scheme: string, raw: string) {
    this.scheme = scheme;
    this.raw = raw;
  }

  toString(): string {
    return this.raw;
  }
}

export type Uri = SipUri | TelUri | AbsoluteUri;

export function isSipUri(uri: Uri): uri is SipUri {
  return uri instanceof SipUri;
}

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// RFC 3261 §25.1: hostname labels, IPv4, or a bracketed IPv6 reference.
const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const IPV6_RE = /^\[[0-9A-Fa-f:.]+\]$/;
const PORT_RE = /^[0-9]{1,5}$/;
// Characters allowed in user, password, params and headers once escapes are accounted for
// (unreserved, escaped, and the reserved characters each part admits).
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
const PARAM_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
const HEADER_PART_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})*$/;

function bad(reason: string): never {
  throw new SipParseError('SIP_BAD_URI', reason);
}

/** Parses a URI; throws SipParseError('SIP_BAD_URI') naming the faulty part. */
export function parseUri(text: string): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0) bad(`URI "${text}" has no scheme`);
  const scheme = text.slice(0, colon);
  if (!SCHEME_RE.test(scheme)) bad(`URI scheme "${scheme}" is not valid`);
  const lower = scheme.toLowerCase();
  if (lower === 'sip' || lower === 'sips') return parseSipUri(lower, text.slice(colon + 1), text);
  if (lower === 'tel') return parseTelUri(text.slice(colon + 1), text);
  if (colon + 1 >= text.length || /[\s<>"]/.test(text)) bad(`URI "${text}" is not valid`);
  return new AbsoluteUri(lower, text);
}

function parseSipUri(scheme: 'sip' | 'sips', rest: string, whole: string): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    const pc = userinfo.indexOf(':');
    user = pc === -1 ? userinfo : userinfo.slice(0, pc);
    if (pc !== -1) password = userinfo.slice(pc + 1);
    if (!USER_RE.test(user)) bad(`user part "${user}" of "${whole}" is not valid`);
    if (password !== undefined && !PASSWORD_RE.test(password)) bad(`password of "${whole}" is not valid`);
    rest = rest.slice(at + 1);
  }
  let headerText: string | undefined;
  const q = rest.indexOf('?');
  if (q !== -1) {
    headerText = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const semi = rest.indexOf(';');
  const hostport = semi === -1 ? rest : rest.slice(0, semi);
  const { host, port } = parseHostPort(hostport, whole);
  const params = semi === -1 ? new Map<string, string | null>() : parseUriParams(rest.slice(semi + 1), whole);
  const headers = new Map<string, string>();
  if (headerText !== undefined) {
    for (const h of headerText.split('&')) {
      const eq = h.indexOf('=');
      const name = eq === -1 ? h : h.slice(0, eq);
      const value = eq === -1 ? '' : h.slice(eq + 1);
      if (name === '' || !HEADER_PART_RE.test(name) || !HEADER_PART_RE.test(value)) bad(`header "${h}" in URI "${whole}" is not valid`);
      headers.set(name, value);
    }
  }
  return new SipUri({ scheme, user, password, host, port, params, headers });
}

/** `host[:port]`, with bracketed IPv6; used by URIs and Via sent-by. */
export function parseHostPort(text: string, context: string): { host: string; port: number | undefined } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) bad(`IPv6 reference in "${context}" is not closed`);
    host = text.slice(0, close + 1);
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) bad(`unexpected "${after}" after host in "${context}"`);
      portText = after.slice(1);
    }
    if (!IPV6_RE.test(host)) bad(`IPv6 reference "${host}" in "${context}" is not valid`);
  } else {
    const pc = text.indexOf(':');
    host = pc === -1 ? text : text.slice(0, pc);
    if (pc !== -1) portText = text.slice(pc + 1);
    if (!HOSTNAME_RE.test(host)) bad(`host "${host}" in "${context}" is not valid`);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!PORT_RE.test(portText) || Number(portText) > 65535) bad(`port "${portText}" in "${context}" is not valid`);
    port = Number(portText);
  }
  return { host, port };
}

function parseUriParams(text: string, whole: string): UriParams {
  const params: UriParams = new Map();
  for (const p of text.split(';')) {
    const eq = p.indexOf('=');
    const name = eq === -1 ? p : p.slice(0, eq);
    const value = eq === -1 ? null : p.slice(eq + 1);
    if (!PARAM_RE.test(name) || (value !== null && !PARAM_RE.test(value))) bad(`parameter "${p}" in URI "${whole}" is not valid`);
    params.set(name.toLowerCase(), value);
  }
  return params;
}

function parseTelUri(rest: string, whole: string): TelUri {
  const semi = rest.indexOf(';');
  const number = semi === -1 ? rest : rest.slice(0, semi);
  if (!/^\+?[0-9A-Fa-f*#().\-pw]+$/.test(number)) bad(`telephone number in "${whole}" is not valid`);
  const params = semi === -1 ? new Map<string, string | null>() : parseUriParams(rest.slice(semi + 1), whole);
  return new TelUri(number, params);
}

/** Replaces %HH escapes once; invalid escapes are kept literally. */
export function unescapeUriPart(s: string): string {
  if (s.indexOf('%') === -1) return s;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

// Parameters that must match when present in either URI (RFC 3261 §19.1.4).
const SIGNIFICANT_PARAMS = ['transport', 'user', 'ttl', 'method', 'maddr'];

// RFC 2396 reserved characters, plus `%` itself: their escapes are not equivalent to the
// characters (RFC 3261 §19.1.4), so `sip:a%3Bb@h` differs from `sip:a;b@h`.
const KEEP_ESCAPED = new Set([';', '/', '?', ':', '@', '&', '=', '+', '$', ',', '%']);

/** The form compared: escapes of other characters decoded once, kept escapes in upper case. */
function comparable(s: string): string {
  if (s.indexOf('%') === -1) return s;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (m: string, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return KEEP_ESCAPED.has(c) ? m.toUpperCase() : c;
  });
}

/** Parameters by comparable lower-case name (`;%74ransport=` is `;transport=`). */
function comparableParams(params: UriParams): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const [k, v] of params) out.set(comparable(k).toLowerCase(), v);
  return out;
}

/** URI equivalence per RFC 3261 §19.1.4 (SIP, SIPS) and RFC 3966 §4 (tel). */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a instanceof SipUri && b instanceof SipUri) {
    if (a.scheme !== b.scheme) return false;
    if (comparable(a.user ?? '') !== comparable(b.user ?? '')) return false;
    if (comparable(a.password ?? '') !== comparable(b.password ?? '')) return false;
    if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
    const ap = comparableParams(a.params);
    const bp = comparableParams(b.params);
    for (const name of SIGNIFICANT_PARAMS) {
      if (!paramEquals(ap.get(name), bp.get(name))) return false;
    }
    for (const [k, v] of ap) {
      if (bp.has(k) && !paramEquals(v, bp.get(k))) return false;
    }
    if (a.headers.size !== b.headers.size) return false;
    for (const [k, v] of a.headers) {
      const name = comparable(k).toLowerCase();
      const other = [...b.headers].find(([bk]) => comparable(bk).toLowerCase() === name);
      if (other === undefined || comparable(other[1]) !== comparable(v)) return false;
    }
    return true;
  }
  if (a instanceof TelUri && b instanceof TelUri) {
    // Visual separators do not count; every parameter must be in both, with equal values.
    const digits = (n: string) => n.replace(/[-.()]/g, '').toLowerCase();
    if (digits(a.number) !== digits(b.number) || a.params.size !== b.params.size) return false;
    const bp = comparableParams(b.params);
    for (const [k, v] of comparableParams(a.params)) {
      if (!bp.has(k) || !paramEquals(v, bp.get(k))) return false;
    }
    return true;
  }
  return a.toString() === b.toString();
}

function paramEquals(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return comparable(a ?? '').toLowerCase() === comparable(b ?? '').toLowerCase();
}
