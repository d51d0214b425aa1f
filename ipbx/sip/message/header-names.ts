// Header name table: compact forms (RFC 3261 §7.3.3 and later RFCs), canonical spelling for
// headers we create, and which headers are comma-separated lists that may be split into values.

/** Compact form → lower-case long form. */
const COMPACT: Record<string, string> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'rack': 'RAck',
  'rseq': 'RSeq',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
};

/**
 * Headers whose grammar is `#value` (RFC 3261 §7.3.1): several values may share one line.
 * Authorization, WWW-Authenticate and their proxy forms are not here: their commas separate
 * parameters of one value. Unknown headers are never split, since their grammar is unknown.
 */
const LIST_HEADERS = new Set([
  'via', 'contact', 'route', 'record-route', 'path', 'service-route',
  'allow', 'supported', 'require', 'proxy-require', 'unsupported', 'allow-events',
  'accept', 'accept-encoding', 'accept-language', 'content-encoding', 'content-language',
  'alert-info', 'call-info', 'error-info', 'in-reply-to', 'warning', 'reason',
  'p-asserted-identity', 'p-preferred-identity', 'history-info', 'security-client',
  'security-server', 'security-verify', 'accept-contact', 'reject-contact', 'request-disposition',
]);

/** Headers that must appear at most once in a message (RFC 3261 §7.3.1 and §20). */
export const SINGLETON_HEADERS = new Set([
  'call-id', 'cseq', 'from', 'to', 'max-forwards', 'content-length', 'content-type', 'expires',
]);

/** Lower-case long form of a header name, from any spelling or compact form. */
export function canonicalKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

/** The spelling voiplab writes for a header it creates: `Call-ID`, `CSeq`, `Max-Forwards`. */
export function displayName(key: string): string {
  const special = CANONICAL[key];
  if (special !== undefined) return special;
  return key.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}
