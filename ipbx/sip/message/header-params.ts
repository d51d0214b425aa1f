// `;name=value` parameters of header values (Via, From/To tag, Contact expires/q, Content-Type),
// and quoted strings (RFC 3261 §25.1: `"` ... `"` with `\` escapes).

import { SipParseError } from './sip-parse-error.ts';

/** Lower-case names; values as written (quoted values keep their quotes); `null` when absent. */
export type HeaderParams = Map<string, string | null>;

// token (RFC 3261 §25.1): alphanum and -.!%*_+`'~, as a table by character code.
const TOKEN_CHARS = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~");
// A parameter value: token, host (IPv6 brackets and colons) or quoted string.
const PARAM_VALUE_RE = /^(?:[A-Za-z0-9\-.!%*_+`'~:[\]]+|"(?:[^"\\]|\\.)*")$/;

/** A 128-entry table, 1 for each ASCII character listed. */
export function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

// A loop over a table rather than a regexp: it runs on every header name and parameter name, and
// the short strings make the regexp's call overhead dominate.
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (TOKEN_CHARS[s.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

/**
 * Reads a quoted string starting at `start` (which must be `"`).
 * Returns the unescaped content and the index just past the closing quote.
 */
export function readQuotedString(text: string, start: number, context: string): { value: string; end: number } {
  // Runs between escapes are sliced, not appended character by character.
  let value = '';
  let run = start + 1;
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      if (i + 1 >= text.length) break;
      value += text.slice(run, i) + text[i + 1];
      i++;
      run = i + 1;
    } else if (c === 0x22 /* " */) {
      return { value: value + text.slice(run, i), end: i + 1 };
    }
  }
  throw new SipParseError('SIP_BAD_HEADER', `unterminated quoted string in ${context}`);
}

export function quoteString(s: string): string {
  return '"' + s.replace(/(["\\])/g, '\\$1') + '"';
}

/** Unquotes a parameter value if it is quoted (`"a\"b"` → `a"b`). */
export function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2
    ? readQuotedString(value, 0, 'parameter').value
    : value;
}

/** The index of the first character at or after `i` that is not SP or HTAB. */
// Module level rather than a closure in parseHeaderParams: tsx (esbuild keepNames) wraps every
// named closure in __name(), an Object.defineProperty on each creation, which showed in profiles.
function skipWs(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

/**
 * Parses `;a=1;b;c="x;y"` (leading `;` optional) with LWS around separators.
 * Empty or malformed parameters are errors naming the header.
 */
export function parseHeaderParams(text: string, context: string): HeaderParams {
  const params: HeaderParams = new Map();
  const n = text.length;
  let i = skipWs(text, 0);
  if (i < n && text[i] === ';') i++;
  else if (i < n) throw new SipParseError('SIP_BAD_HEADER', `${context}: expected ";" before "${text.slice(i)}"`);
  while (i <= n) {
    i = skipWs(text, i);
    let j = i;
    while (j < n && text[j] !== '=' && text[j] !== ';' && text[j] !== ' ' && text[j] !== '\t') j++;
    const name = text.slice(i, j);
    if (!isToken(name)) throw new SipParseError('SIP_BAD_HEADER', `${context}: empty or invalid parameter name "${name}"`);
    i = skipWs(text, j);
    let value: string | null = null;
    if (i < n && text[i] === '=') {
      i = skipWs(text, i + 1);
      if (text[i] === '"') {
        const q = readQuotedString(text, i, context);
        value = text.slice(i, q.end);
        i = q.end;
      } else {
        j = i;
        while (j < n && text[j] !== ';' && text[j] !== ' ' && text[j] !== '\t') j++;
        value = text.slice(i, j);
        i = j;
      }
      if (!PARAM_VALUE_RE.test(value)) throw new SipParseError('SIP_BAD_HEADER', `${context}: invalid value for parameter "${name}"`);
      i = skipWs(text, i);
    }
    params.set(name.toLowerCase(), value);
    if (i >= n) break;
    if (text[i] !== ';') throw new SipParseError('SIP_BAD_HEADER', `${context}: unexpected "${text.slice(i)}"`);
    i++;
  }
  return params;
}

export function formatHeaderParams(params: HeaderParams): string {
  let s = '';
  for (const [k, v] of params) s += v === null ? ';' + k : ';' + k + '=' + v;
  return s;
}
