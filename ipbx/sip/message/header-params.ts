// `;name=value` parameters of header values (Via, From/To tag, Contact expires/q, Content-Type),
// and quoted strings (RFC 3261 §25.1: `"` ... `"` with `\` escapes).

import { SipParseError } from './sip-parse-error.ts';

/** Lower-case names; values as written (quoted values keep their quotes); `null` when absent. */
export type HeaderParams = Map<string, string | null>;

// token (RFC 3261 §25.1): alphanum and -.!%*_+`'~, as a table by character code.
const TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~";
const TOKEN_CHARS = charTable(TOKEN);
// A parameter value: token, host (IPv6 brackets and colons) or quoted string.
const PARAM_VALUE_CHARS = charTable(TOKEN + ':[]');
const QUOTED_VALUE_RE = /^"(?:[^"\\]|\\.)*"$/;
// Character codes, compared with charCodeAt rather than as one-character strings.
const HTAB = 0x09;
const SP = 0x20;
const DQUOTE = 0x22;
const SEMI = 0x3b;
const EQUAL = 0x3d;

/** A 128-entry table, 1 for each ASCII character listed. */
function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

/** True when `s` is not empty and every character is in `table`. */
// A loop over a table rather than a regexp: on such short strings (header and parameter names)
// the regexp's call overhead dominates.
function consistsOf(table: Uint8Array, s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (table[s.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

export function isToken(s: string): boolean {
  return consistsOf(TOKEN_CHARS, s);
}

/** The index of the first character at or after `i` that is not a token character, or the length. */
export function tokenEnd(text: string, i: number): number {
  while (i < text.length && TOKEN_CHARS[text.charCodeAt(i)] === 1) i++;
  return i;
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
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== SP && c !== HTAB) break;
  }
  return i;
}

/** True for the characters that end a parameter value: `;`, SP, HTAB (and `=` for a name). */
function endsParam(c: number, orEqual: boolean): boolean {
  return c === SEMI || c === SP || c === HTAB || (orEqual && c === EQUAL);
}

/** The index of the first character at or after `i` that ends a parameter name or value, or the length. */
function paramEnd(text: string, i: number, orEqual: boolean): number {
  while (i < text.length && !endsParam(text.charCodeAt(i), orEqual)) i++;
  return i;
}

/**
 * The end of the parameter name or value at `i`, if it is valid: made of `table`'s characters,
 * not empty, and followed by a character that ends it (or by the end). -1 otherwise.
 */
// One scan that both finds the end and checks the characters.
function validParamEnd(text: string, i: number, table: Uint8Array, orEqual: boolean): number {
  let j = i;
  while (j < text.length && table[text.charCodeAt(j)] === 1) j++;
  return j > i && (j === text.length || endsParam(text.charCodeAt(j), orEqual)) ? j : -1;
}

/**
 * Parses `;a=1;b;c="x;y"` (leading `;` optional) with LWS around separators.
 * Empty or malformed parameters are errors naming the header.
 */
export function parseHeaderParams(text: string, context: string): HeaderParams {
  const params: HeaderParams = new Map();
  const n = text.length;
  let i = skipWs(text, 0);
  if (i < n && text.charCodeAt(i) === SEMI) i++;
  else if (i < n) throw new SipParseError('SIP_BAD_HEADER', `${context}: expected ";" before "${text.slice(i)}"`);
  while (i <= n) {
    i = skipWs(text, i);
    const nameEnd = validParamEnd(text, i, TOKEN_CHARS, true);
    if (nameEnd === -1) {
      throw new SipParseError('SIP_BAD_HEADER', `${context}: empty or invalid parameter name "${text.slice(i, paramEnd(text, i, true))}"`);
    }
    const name = text.slice(i, nameEnd);
    i = skipWs(text, nameEnd);
    let value: string | null = null;
    if (i < n && text.charCodeAt(i) === EQUAL) {
      i = skipWs(text, i + 1);
      let end: number;
      if (text.charCodeAt(i) === DQUOTE) {
        end = readQuotedString(text, i, context).end;
        if (!QUOTED_VALUE_RE.test(text.slice(i, end))) end = -1;
      } else {
        end = validParamEnd(text, i, PARAM_VALUE_CHARS, false);
      }
      if (end === -1) throw new SipParseError('SIP_BAD_HEADER', `${context}: invalid value for parameter "${name}"`);
      value = text.slice(i, end);
      i = skipWs(text, end);
    }
    params.set(name.toLowerCase(), value);
    if (i >= n) break;
    if (text.charCodeAt(i) !== SEMI) throw new SipParseError('SIP_BAD_HEADER', `${context}: unexpected "${text.slice(i)}"`);
    i++;
  }
  return params;
}

export function formatHeaderParams(params: HeaderParams): string {
  let s = '';
  for (const [k, v] of params) s += v === null ? ';' + k : ';' + k + '=' + v;
  return s;
}
