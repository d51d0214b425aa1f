// Bencode, the encoding of rtpengine's ng protocol: integers `i42e`, byte strings `4:spam`, lists
// `l…e` and dictionaries `d…e` (keys are byte strings, written sorted). Written here rather than
// taken from npm: it is small, and the decoder must hold up against hostile datagrams (depth and
// length limits, no prototype pollution, only MediaError thrown).
//
// Strings: a decoded byte string becomes a JS `string` when it is valid UTF-8 (every SDP, tag and
// result rtpengine sends), and stays a `Buffer` otherwise, so binary payloads survive untouched.
// Dictionary keys must be valid UTF-8 (rtpengine's are ASCII); others are rejected, as are
// duplicate keys. Key order is not checked on decode (being lenient costs nothing here).

import { MediaError } from '../media-error.ts';
import type { NgDictionary, NgValue } from '../media-control.ts';

export interface BencodeDecodeLimits {
  /** Deepest nesting of lists and dictionaries accepted. Default 32 (rtpengine replies use < 10). */
  maxDepth?: number;
  /** Largest input accepted, in bytes. Default 65_535 (a UDP datagram's payload). */
  maxBytes?: number;
}

const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_BYTES = 65_535;
/** How deep `encodeBencode` goes before assuming a cycle. */
const MAX_ENCODE_DEPTH = 64;
/** Digits in a string length prefix: 10 is already beyond any datagram. */
const MAX_LENGTH_DIGITS = 10;
/** Digits in an integer: Number.MAX_SAFE_INTEGER has 16. */
const MAX_INTEGER_DIGITS = 16;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string): MediaError {
  return new MediaError('MEDIA_BENCODE_INVALID', message);
}

/** Bencodes `value`; throws MEDIA_BENCODE_INVALID for what bencode cannot carry (non-integers, undefined, cycles). */
export function encodeBencode(value: NgValue): Buffer {
  const parts: Buffer[] = [];
  encodeInto(value, parts, 0);
  return Buffer.concat(parts);
}

function encodeInto(value: unknown, parts: Buffer[], depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) throw invalid(`bencode: nesting deeper than ${MAX_ENCODE_DEPTH} (a cycle?)`);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`${bytes.length}:`), bytes);
  } else if (Buffer.isBuffer(value)) {
    parts.push(Buffer.from(`${value.length}:`), value);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalid(`bencode: ${value} is not a safe integer`);
    parts.push(Buffer.from(`i${value}e`));
  } else if (Array.isArray(value)) {
    parts.push(Buffer.from('l'));
    for (const item of value) encodeInto(item, parts, depth + 1);
    parts.push(Buffer.from('e'));
  } else if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => ({ key: Buffer.from(key, 'utf8'), item }));
    entries.sort((a, b) => Buffer.compare(a.key, b.key)); // bencode orders keys by raw bytes
    parts.push(Buffer.from('d'));
    for (const { key, item } of entries) {
      if (item === undefined) throw invalid(`bencode: key "${key.toString()}" is undefined`);
      parts.push(Buffer.from(`${key.length}:`), key);
      encodeInto(item, parts, depth + 1);
    }
    parts.push(Buffer.from('e'));
  } else {
    throw invalid(`bencode: cannot encode a value of type ${value === null ? 'null' : typeof value}`);
  }
}

/** Decodes exactly one bencoded value filling `data`; throws MEDIA_BENCODE_INVALID on anything else. */
export function decodeBencode(data: Buffer, limits: BencodeDecodeLimits = {}): NgValue {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  if (data.length > maxBytes) throw invalid(`bencode: input of ${data.length} bytes exceeds the ${maxBytes}-byte limit`);
  const decoder = new Decoder(data, limits.maxDepth ?? DEFAULT_MAX_DEPTH);
  const value = decoder.value(0);
  if (decoder.offset !== data.length) throw invalid(`bencode: ${data.length - decoder.offset} trailing bytes after the value`);
  return value;
}

class Decoder {
  offset = 0;

  constructor(private readonly data: Buffer, private readonly maxDepth: number) {}

  value(depth: number): NgValue {
    const byte = this.peek();
    if (byte === 0x69 /* i */) return this.integer();
    if (byte >= 0x30 && byte <= 0x39) return this.string();
    if (byte === 0x6c /* l */ || byte === 0x64 /* d */) {
      if (depth >= this.maxDepth) throw invalid(`bencode: nesting deeper than ${this.maxDepth} at byte ${this.offset}`);
      return byte === 0x6c ? this.list(depth) : this.dictionary(depth);
    }
    throw invalid(`bencode: unexpected byte 0x${byte.toString(16).padStart(2, '0')} at byte ${this.offset}`);
  }

  private peek(): number {
    const byte = this.data[this.offset];
    if (byte === undefined) throw invalid(`bencode: input ends at byte ${this.offset} inside a value`);
    return byte;
  }

  /** Reads digits (and a leading minus if allowed) up to `terminator`, which is consumed; returns them as text. */
  private digitsUntil(terminator: number, maxChars: number, what: string, allowMinus = false): string {
    const start = this.offset;
    for (;;) {
      const byte = this.peek();
      if (byte === terminator) break;
      const isDigit = byte >= 0x30 && byte <= 0x39;
      const isLeadingMinus = allowMinus && byte === 0x2d && this.offset === start;
      if (!isDigit && !isLeadingMinus) throw invalid(`bencode: bad ${what} character at byte ${this.offset}`);
      if (this.offset - start >= maxChars) throw invalid(`bencode: ${what} at byte ${start} is too long`);
      this.offset++;
    }
    const text = this.data.toString('latin1', start, this.offset);
    this.offset++; // the terminator
    return text;
  }

  private integer(): number {
    const start = this.offset;
    this.offset++; // 'i'
    const text = this.digitsUntil(0x65 /* e */, MAX_INTEGER_DIGITS + 1, 'integer', true);
    // Canonical form only: no empty, "-", "-0" or leading zeros.
    if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw invalid(`bencode: malformed integer "${text}" at byte ${start}`);
    const value = Number(text);
    if (!Number.isSafeInteger(value)) throw invalid(`bencode: integer ${text} at byte ${start} is beyond 2^53`);
    return value;
  }

  private bytes(): Buffer {
    const start = this.offset;
    const text = this.digitsUntil(0x3a /* : */, MAX_LENGTH_DIGITS, 'string length');
    if (text.length > 1 && text.startsWith('0')) throw invalid(`bencode: string length "${text}" at byte ${start} has a leading zero`);
    const length = Number(text);
    if (length > this.data.length - this.offset) throw invalid(`bencode: string of ${length} bytes at byte ${start} runs past the end of the input`);
    const bytes = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  private string(): string | Buffer {
    const bytes = this.bytes();
    try {
      return utf8.decode(bytes);
    } catch {
      return Buffer.from(bytes); // a copy: the caller may keep it after the datagram is reused
    }
  }

  private list(depth: number): NgValue[] {
    this.offset++; // 'l'
    const items: NgValue[] = [];
    while (this.peek() !== 0x65 /* e */) items.push(this.value(depth + 1));
    this.offset++;
    return items;
  }

  private dictionary(depth: number): NgDictionary {
    this.offset++; // 'd'
    const dict: NgDictionary = {};
    while (this.peek() !== 0x65 /* e */) {
      const keyAt = this.offset;
      if (this.peek() < 0x30 || this.peek() > 0x39) throw invalid(`bencode: dictionary key at byte ${keyAt} is not a string`);
      let key: string;
      try {
        key = utf8.decode(this.bytes());
      } catch (err) {
        if (err instanceof MediaError) throw err;
        throw invalid(`bencode: dictionary key at byte ${keyAt} is not UTF-8`);
      }
      if (Object.hasOwn(dict, key)) throw invalid(`bencode: duplicate dictionary key "${key}" at byte ${keyAt}`);
      // defineProperty, not assignment: a "__proto__" key must stay data, not replace the prototype.
      Object.defineProperty(dict, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
    }
    this.offset++;
    return dict;
  }
}
