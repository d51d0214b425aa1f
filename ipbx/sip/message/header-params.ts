// `;name=value` parameters of header values (Via, From/To tag, Contact expires/q, Content-Type),
// and quoted strings (RFC 3261 §25.1: `"` ... `"` with `\` escapes).

import { SipParseError } from './sip-parse-error.ts';

/** Lower-case names; values as written (quoted values keep their quotes); `null` when absent. */
export type HeaderParams = Map<string, string | null>;

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
// A parameter value: token, host (IPv6 brackets and colons) or quoted string.
const PARAM_VALUE_RE = /^(?:[A-Za-z0-9\-.!%*_+`'~:[\]]+|"(?:[^"\\]|\\.)*")$/;

export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

/**
 * Reads a quoted string starting at `start` (which must be `"`).
 * Returns the unescaped content and the index just past the closing quote.
 */
export function readQuotedString(text: string, start: number, context: string): { value: string; end: number } {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      if (i + 1 >= text.length) break;
      value += text[++i];
    } else if (c === '"') {
      return { value, end: i + 1 };
    } else {
      value += c;
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

/**
 * Parses `;a=1;b;c="x;y"` (leading `;` optional) with LWS around separators.
 * Empty or malformed parameters are errors naming the header.
 */
export function parseHeaderParams(text: string, context: string): HeaderParams {
  const params: HeaderParams = new Map();
  let i = 0;
  const n = text.length;
  const skipWs = () => { while (i < n && (text[i] === ' ' || text[i] === '\t')) i++; };
  skipWs();
  if (i < n && text[i] === ';') i++;
  else if (i < n) throw new SipParseError('SIP_BAD_HEADER', `${context}: expected ";" before "${text.slice(i)}"`);
  while (i <= n) {
    skipWs();
    let j = i;
    while (j < n && text[j] !== '=' && text[j] !== ';' && text[j] !== ' ' && text[j] !== '\t') j++;
    const name = text.slice(i, j);
    if (!isToken(name)) throw new SipParseError('SIP_BAD_HEADER', `${context}: empty or invalid parameter name "${name}"`);
    i = j;
    skipWs();
    let value: string | null = null;
    if (i < n && text[i] === '=') {
      i++;
      skipWs();
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
      skipWs();
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
