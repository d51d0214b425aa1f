// Parse and write the value of WWW-Authenticate, Proxy-Authenticate, Authorization and
// Proxy-Authorization: `Scheme name=token, name="quoted \"string\"", ...`
// (RFC 3261 §25.1 challenge/credentials, RFC 7235 §2.1 auth-param and token68).
// Error messages name the problem and a position but never echo values: they may hold credentials.

import { DigestError } from './digest-errors.ts';

export interface AuthValue {
  /** `Digest` in canonical case; any other scheme as written. */
  scheme: string;
  /** Parameter names lower-cased (they are case-insensitive), values unquoted and unescaped. */
  params: Map<string, string>;
  /** RFC 7235 token68 form (`Basic QWxh...`), only for schemes other than Digest. */
  token68?: string;
}

/** A challenge (WWW-/Proxy-Authenticate) quotes `qop`; credentials (Authorization) do not. */
export type AuthValueKind = 'challenge' | 'credentials';

// RFC 7230 tchar, a superset of RFC 3261 token: accepting both costs nothing and avoids
// rejecting peers that follow either grammar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const ALWAYS_QUOTED = new Set(['realm', 'nonce', 'uri', 'response', 'cnonce', 'opaque', 'username', 'domain']);
const NEVER_QUOTED = new Set(['algorithm', 'nc', 'stale', 'userhash', 'charset', 'username*']);

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

const malformed = (message: string): DigestError => new DigestError('DIGEST_MALFORMED', message);

export function parseAuthValue(input: string): AuthValue {
  const cursor = new Cursor(input);
  cursor.skipLws();
  const rawScheme = cursor.token();
  if (rawScheme === '') throw malformed(`expected an auth-scheme token at position ${cursor.pos}`);
  const isDigest = rawScheme.toLowerCase() === 'digest';
  const scheme = isDigest ? 'Digest' : rawScheme;
  const params = new Map<string, string>();
  if (!cursor.skipLws()) {
    if (cursor.atEnd()) return { scheme, params };
    throw malformed(`expected whitespace after the auth-scheme at position ${cursor.pos}`);
  }
  if (!isDigest) {
    const rest = input.slice(cursor.pos).trimEnd();
    if (TOKEN68.test(rest)) return { scheme, params, token68: rest };
  }
  for (;;) {
    cursor.skipLws();
    if (cursor.atEnd()) break;
    // RFC 7230 §7: recipients accept empty list elements (`a=1, , b=2`).
    if (cursor.peek() === ',') {
      cursor.pos++;
      continue;
    }
    const at = cursor.pos;
    const name = cursor.token().toLowerCase();
    if (name === '') throw malformed(`expected a parameter name at position ${at}`);
    cursor.skipLws();
    if (cursor.peek() !== '=') throw malformed(`parameter "${name}" has no "=value" (position ${cursor.pos})`);
    cursor.pos++;
    cursor.skipLws();
    const quoted = cursor.peek() === '"';
    const value = quoted ? cursor.quotedString(name) : cursor.token();
    if (value === '' && !quoted) {
      throw malformed(`parameter "${name}" has an empty or non-token value (position ${cursor.pos})`);
    }
    // RFC 7616 §3.3/§3.4: each directive appears at most once; a second copy is ambiguous.
    if (params.has(name)) throw malformed(`parameter "${name}" appears more than once`);
    params.set(name, value);
    cursor.skipLws();
    if (cursor.atEnd()) break;
    if (cursor.peek() !== ',') throw malformed(`expected "," after parameter "${name}" (position ${cursor.pos})`);
    cursor.pos++;
  }
  return { scheme, params };
}

export function serializeAuthValue(value: AuthValue, kind: AuthValueKind): string {
  if (!isToken(value.scheme)) throw malformed('the auth-scheme must be a token');
  if (value.token68 !== undefined) {
    if (!TOKEN68.test(value.token68)) throw malformed('the token68 value has characters outside its alphabet');
    return `${value.scheme} ${value.token68}`;
  }
  const parts: string[] = [];
  for (const [name, v] of value.params) {
    if (!isToken(name)) throw malformed('a parameter name must be a token');
    parts.push(`${name}=${mustQuote(name, v, kind) ? quoteString(name, v) : asToken(name, v)}`);
  }
  return parts.length === 0 ? value.scheme : `${value.scheme} ${parts.join(', ')}`;
}

function mustQuote(name: string, value: string, kind: AuthValueKind): boolean {
  if (ALWAYS_QUOTED.has(name)) return true;
  // RFC 7616 §3.3: qop-options is a quoted list in a challenge; §3.4: qop-value is a bare token.
  if (name === 'qop') return kind === 'challenge';
  if (NEVER_QUOTED.has(name)) return false;
  return !isToken(value);
}

function asToken(name: string, value: string): string {
  if (!isToken(value)) throw malformed(`parameter "${name}" must be a token`);
  return value;
}

function quoteString(name: string, value: string): string {
  // HTAB is the only control character a quoted-pair may carry; CR/LF would split the header.
  if ([...value].some(isForbiddenControl)) throw malformed(`parameter "${name}" contains a control character`);
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

class Cursor {
  pos = 0;
  readonly #s: string;

  constructor(s: string) {
    this.#s = s;
  }

  atEnd(): boolean {
    return this.pos >= this.#s.length;
  }

  peek(): string | undefined {
    return this.#s[this.pos];
  }

  /** LWS = [*WSP CRLF] 1*WSP (RFC 3261 §25.1), repeated; returns whether any was consumed. */
  skipLws(): boolean {
    const start = this.pos;
    for (;;) {
      const c = this.#s[this.pos];
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '\r' && this.#s[this.pos + 1] === '\n' && isWsp(this.#s[this.pos + 2])) this.pos += 3;
      else break;
    }
    return this.pos > start;
  }

  token(): string {
    const start = this.pos;
    while (this.pos < this.#s.length && TOKEN.test(this.#s[this.pos] ?? '')) this.pos++;
    return this.#s.slice(start, this.pos);
  }

  /** At an opening quote: returns the unescaped content and leaves the cursor after the closing quote. */
  quotedString(name: string): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.#s[this.pos];
      if (c === undefined) throw malformed(`parameter "${name}" has an unterminated quoted string (from position ${start})`);
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const next = this.#s[this.pos + 1];
        if (next === undefined || isForbiddenControl(next)) {
          throw malformed(`parameter "${name}" has an invalid escape at position ${this.pos}`);
        }
        out += next;
        this.pos += 2;
        continue;
      }
      if (c === '\r' && this.#s[this.pos + 1] === '\n' && isWsp(this.#s[this.pos + 2])) {
        // A folded line inside a quoted string reads as one SP (RFC 3261 §7.3.1).
        this.pos += 2;
        while (isWsp(this.#s[this.pos])) this.pos++;
        out += ' ';
        continue;
      }
      if (isForbiddenControl(c)) throw malformed(`parameter "${name}" has a control character at position ${this.pos}`);
      out += c;
      this.pos++;
    }
  }
}

function isWsp(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

function isForbiddenControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code < 0x20 && code !== 0x09) || code === 0x7f;
}
