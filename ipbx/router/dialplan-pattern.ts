// Asterisk-style dialplan patterns, compiled once into a table the matcher walks in one pass.
//
// - An exact rule (no leading `_`) matches one number. Telephone-like rules lose their visual
//   separators (`01-23-45` is `012345`), as dialled numbers do in normalizeDialled.
// - A `_` pattern is a sequence of positions, each matching one character:
//   X = 0-9, Z = 1-9, N = 2-9 (either case, as in Asterisk, so `_nxx` works too),
//   `[15-7]` = a class of characters and ranges, digits, `*`, `#`, `+` and other letters
//   literally; `-` outside a class is ignored (Asterisk's `_1-800-NXX-XXXX`).
//   A final `.` matches one or more further characters, a final `!` zero or more.
// - Letters other than X/Z/N are literal and case-sensitive, like SIP user parts (RFC 3261
//   §19.1.4). Names are best written as exact rules: in a pattern `_nadia`, `n` is a wildcard
//   (write `[n]` for a literal n).
// - `.` and `!` are allowed only at the end. Asterisk tolerates them elsewhere with surprising
//   results; refusing them keeps matching a single left-to-right pass with no backtracking.

import { DialplanError } from './router-errors.ts';
import { stripTelSeparators } from './normalize-dialled.ts';

/** Longest dialled number the router looks at; longer ones match nothing. Also the longest rule. */
export const MAX_DIALLED_LENGTH = 64;

export interface DialplanPattern {
  /** The rule's `match` as written. */
  readonly source: string;
  readonly kind: 'exact' | 'pattern';
  /** For exact rules: the number compared (separators removed). */
  readonly exact?: string;
  matches(number: string): boolean;
}

const DIGITS = '0123456789';
const WILDCARDS: Readonly<Record<string, string>> = { X: DIGITS, Z: DIGITS.slice(1), N: DIGITS.slice(2) };
const LITERAL_RE = /^[0-9A-Za-z*#+]$/;
const EXACT_RE = /^[0-9A-Za-z*#+._\-() ]+$/;

type Tail = 'none' | 'one-or-more' | 'zero-or-more';

/** Compiles one rule's `match`; throws DialplanError('IPBX_DIALPLAN_BAD_PATTERN') naming the position. */
export function compilePattern(source: string, label = 'dialplan pattern'): DialplanPattern {
  const fail = (position: number, why: string): never => {
    const at = position < source.length ? ` at position ${position} ("${source[position] ?? ''}")` : ` at position ${position} (end)`;
    throw new DialplanError('IPBX_DIALPLAN_BAD_PATTERN', `${label} "${source}": ${why}${at}`, source, position);
  };
  if (source.length === 0) fail(0, 'is empty');
  if (source.length > MAX_DIALLED_LENGTH) fail(MAX_DIALLED_LENGTH, `is longer than ${MAX_DIALLED_LENGTH} characters`);
  return source.startsWith('_') ? compileWildcards(source, fail) : compileExact(source, fail);
}

function compileExact(source: string, fail: (position: number, why: string) => never): DialplanPattern {
  if (!EXACT_RE.test(source)) {
    let bad = 0;
    while (EXACT_RE.test(source[bad] ?? '')) bad++;
    fail(bad, 'an exact number may hold only 0-9 A-Z a-z * # + . _ - ( ) and spaces');
  }
  const exact = stripTelSeparators(source);
  return { source, kind: 'exact', exact, matches: (number) => number === exact };
}

function compileWildcards(source: string, fail: (position: number, why: string) => never): DialplanPattern {
  const sets: string[] = [];
  let tail: Tail = 'none';
  let i = 1;
  while (i < source.length) {
    const c = source[i] ?? '';
    if (c === '.' || c === '!') {
      if (i !== source.length - 1) fail(i, `"${c}" must be the last character`);
      tail = c === '.' ? 'one-or-more' : 'zero-or-more';
      i++;
    } else if (c === '-') {
      i++; // visual separator, as in Asterisk
    } else if (c === '[') {
      const end = source.indexOf(']', i + 1);
      if (end === -1) fail(i, '"[" has no closing "]"');
      sets.push(compileClass(source, i + 1, end, fail));
      i = end + 1;
    } else if (LITERAL_RE.test(c)) {
      sets.push(WILDCARDS[c.toUpperCase()] ?? c);
      i++;
    } else {
      fail(i, `"${c}" is not allowed in a pattern`);
    }
  }
  if (sets.length === 0 && tail === 'none') fail(1, 'a pattern needs at least one position after "_"');
  return new CompiledPattern(source, sets, tail);
}

/** The characters of `[...]` between `from` and `to` (exclusive): single characters and `a-b` ranges. */
function compileClass(source: string, from: number, to: number, fail: (position: number, why: string) => never): string {
  if (from === to) fail(from - 1, 'an empty class "[]" matches nothing');
  let chars = '';
  for (let i = from; i < to; i++) {
    const c = source[i] ?? '';
    if (c === '-') fail(i, 'a "-" in a class must sit between two characters of a range');
    if (!LITERAL_RE.test(c)) fail(i, `"${c}" is not allowed in a class`);
    if (source[i + 1] === '-' && i + 2 < to) {
      const hi = source[i + 2] ?? '';
      if (!sameKind(c, hi)) fail(i + 2, `range "${c}-${hi}" must join two digits or two letters of the same case`);
      if (hi < c) fail(i, `range "${c}-${hi}" goes backwards`);
      for (let code = c.charCodeAt(0); code <= hi.charCodeAt(0); code++) chars += String.fromCharCode(code);
      i += 2;
    } else {
      chars += c;
    }
  }
  return chars;
}

function sameKind(a: string, b: string): boolean {
  const kind = (c: string) => (/[0-9]/.test(c) ? 'digit' : /[a-z]/.test(c) ? 'lower' : /[A-Z]/.test(c) ? 'upper' : 'other');
  return kind(a) !== 'other' && kind(a) === kind(b);
}

/**
 * One 128-bit set per position, four 32-bit words each (characters 0-127; anything else never
 * matches a position). Matching is a length check, then one bit test per position.
 */
class CompiledPattern implements DialplanPattern {
  readonly kind = 'pattern';
  readonly source: string;
  readonly #bits: Uint32Array;
  readonly #positions: number;
  readonly #tail: Tail;

  constructor(source: string, sets: readonly string[], tail: Tail) {
    this.source = source;
    this.#positions = sets.length;
    this.#tail = tail;
    this.#bits = new Uint32Array(sets.length * 4);
    sets.forEach((set, p) => {
      for (let k = 0; k < set.length; k++) {
        const code = set.charCodeAt(k);
        const word = p * 4 + (code >>> 5);
        this.#bits[word] = (this.#bits[word] ?? 0) | (1 << (code & 31));
      }
    });
  }

  matches(number: string): boolean {
    const n = number.length;
    if (n > MAX_DIALLED_LENGTH) return false;
    const need = this.#positions;
    if (this.#tail === 'none' ? n !== need : this.#tail === 'one-or-more' ? n <= need : n < need) return false;
    const bits = this.#bits;
    for (let p = 0; p < need; p++) {
      const code = number.charCodeAt(p);
      if (code > 127 || (((bits[p * 4 + (code >>> 5)] ?? 0) >>> (code & 31)) & 1) === 0) return false;
    }
    return true;
  }
}
