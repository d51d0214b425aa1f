// Bencode as the ng protocol uses it: exact wire forms, round trips, the UTF-8-or-Buffer rule for
// strings, and a decoder that rejects every malformed or oversized input with MEDIA_BENCODE_INVALID
// (never another exception, never a stack overflow or a polluted prototype).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBencode, encodeBencode } from '../../ipbx/media/ng/bencode.ts';
import { MediaError } from '../../ipbx/media/media-error.ts';
import type { NgValue } from '../../ipbx/media/media-control.ts';
import { mulberry32 } from '../../scenarios/audio/index.ts';

const text = (value: NgValue): string => encodeBencode(value).toString('latin1');
const decode = (wire: string | Buffer): NgValue => decodeBencode(typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire);

function assertInvalid(run: () => unknown, what: string): void {
  assert.throws(run, (err: unknown) => err instanceof MediaError && err.code === 'MEDIA_BENCODE_INVALID', what);
}

describe('encodeBencode', () => {
  test('writes the canonical forms', () => {
    assert.equal(text(42), 'i42e');
    assert.equal(text(-7), 'i-7e');
    assert.equal(text(0), 'i0e');
    assert.equal(text('spam'), '4:spam');
    assert.equal(text(''), '0:');
    assert.equal(text(['a', 1, []]), 'l1:ai1elee');
    assert.equal(text({}), 'de');
    assert.equal(text(Buffer.from([0xff, 0x00])), '2:\xff\x00');
  });

  test('counts string lengths in UTF-8 bytes, not characters', () => {
    assert.equal(encodeBencode('é€').toString('utf8'), '5:é€');
  });

  test('sorts dictionary keys by their bytes, whatever the insertion order', () => {
    assert.equal(text({ 'to-tag': 't', 'call-id': 'c', command: 'answer', 'from-tag': 'f' }), 'd7:call-id1:c7:command6:answer8:from-tag1:f6:to-tag1:te');
    assert.equal(text({ a: 1, Z: 2, é: 3 }), 'd1:Zi2e1:ai1e2:\xc3\xa9i3ee', 'uppercase before lowercase before non-ASCII');
  });

  test('rejects what bencode cannot carry', () => {
    for (const [value, what] of [[1.5, 'a fraction'], [NaN, 'NaN'], [Infinity, 'Infinity'], [2 ** 53, 'an unsafe integer']] as const) {
      assertInvalid(() => encodeBencode(value), what);
    }
    assertInvalid(() => encodeBencode({ sdp: undefined } as unknown as NgValue), 'undefined in a dictionary');
    assertInvalid(() => encodeBencode([null] as unknown as NgValue), 'null');
    assertInvalid(() => encodeBencode([true] as unknown as NgValue), 'a boolean');
    assertInvalid(() => encodeBencode([1n] as unknown as NgValue), 'a bigint');
    const cycle: NgValue[] = [];
    cycle.push(cycle);
    assertInvalid(() => encodeBencode(cycle), 'a cycle');
  });
});

describe('decodeBencode', () => {
  test('round-trips every kind of value', () => {
    const values: NgValue[] = [
      0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, '', 'spam', 'v=0\r\nm=audio 4000 RTP/AVP 0\r\n', 'é€😀',
      Buffer.from([0xc3, 0x28, 0x00, 0xff]),
      [], [1, 'two', [3, { four: 4 }]],
      { result: 'ok', sdp: 'v=0', flags: ['trust-address', 'generate-mid'], 'rtcp-mux': ['demux'], nested: { deeper: { deepest: [] } } },
    ];
    for (const value of values) assert.deepEqual(decodeBencode(encodeBencode(value)), value, text(value));
  });

  test('strings are UTF-8 strings when valid, Buffers otherwise', () => {
    assert.equal(decode('4:spam'), 'spam');
    assert.equal(decode(Buffer.from('5:\xc3\xa9t\xc3\xa9', 'latin1')), 'été');
    const binary = decode(Buffer.from('2:\xc3\x28', 'latin1'));
    assert.ok(Buffer.isBuffer(binary), 'an invalid UTF-8 sequence stays bytes');
    assert.deepEqual(binary, Buffer.from([0xc3, 0x28]));
  });

  test('accepts dictionary keys in any order (rtpengine does not promise sorted replies)', () => {
    assert.deepEqual(decode('d6:result2:ok3:sdp3:v=0e'), { result: 'ok', sdp: 'v=0' });
    assert.deepEqual(decode('d3:sdp3:v=06:result2:oke'), { result: 'ok', sdp: 'v=0' });
  });

  test('a "__proto__" key is plain data, not a prototype', () => {
    const value = decode('d9:__proto__d5:admini1eee') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.ok(Object.hasOwn(value, '__proto__'));
    assert.equal((value as { admin?: unknown }).admin, undefined);
    assert.equal(({} as { admin?: unknown }).admin, undefined);
  });

  test('rejects malformed input with MEDIA_BENCODE_INVALID', () => {
    const malformed: Array<[string, string]> = [
      ['', 'empty input'], ['x', 'an unknown type byte'], ['i', 'an unterminated integer'], ['ie', 'an empty integer'],
      ['i-e', 'a lone minus'], ['i-0e', 'negative zero'], ['i03e', 'a leading zero'], ['i1.5e', 'a fraction'], ['i--1e', 'a double minus'],
      ['i9007199254740992e', 'an integer beyond 2^53'], ['i99999999999999999999e', 'an overlong integer'],
      ['5:abc', 'a string longer than the input'], ['01:a', 'a length with a leading zero'], ['-1:a', 'a negative length'],
      ['3abc', 'a length without colon'], ['99999999999:x', 'an absurd length'],
      ['l', 'an unterminated list'], ['li1e', 'a list without end'], ['d', 'an unterminated dictionary'],
      ['d1:ae', 'a key without value'], ['di1ei2ee', 'an integer key'], ['dlei1ee', 'a list key'],
      ['d1:ai1e1:ai2ee', 'a duplicate key'], ['i1ei2e', 'trailing data'], ['4:spam ', 'a trailing space'],
    ];
    for (const [wire, what] of malformed) assertInvalid(() => decode(wire), `${what}: ${JSON.stringify(wire)}`);
    assertInvalid(() => decode(Buffer.from('d2:\xc3\x28i1ee', 'latin1')), 'a key that is not UTF-8');
  });

  test('limits nesting depth (no stack overflow on a hostile datagram)', () => {
    const nested = (depth: number): string => 'l'.repeat(depth) + 'e'.repeat(depth);
    assert.ok(Array.isArray(decode(nested(32))), '32 levels are fine by default');
    assertInvalid(() => decode(nested(33)), '33 levels exceed the default');
    assertInvalid(() => decode(nested(60_000)), 'a datagram of nothing but list openings');
    assertInvalid(() => decodeBencode(Buffer.from(nested(5)), { maxDepth: 4 }), 'a custom depth');
    assertInvalid(() => decode('d1:a'.repeat(40) + 'i1e' + 'e'.repeat(40)), 'nested dictionaries');
  });

  test('limits input size', () => {
    const big = encodeBencode('x'.repeat(70_000));
    assertInvalid(() => decodeBencode(big), 'beyond the default 65 535 bytes');
    assert.equal((decodeBencode(big, { maxBytes: 100_000 }) as string).length, 70_000);
    assertInvalid(() => decodeBencode(encodeBencode('abc'), { maxBytes: 4 }), 'a custom limit');
  });

  test('random and mutated input never throws anything but MEDIA_BENCODE_INVALID (seeded)', () => {
    const random = mulberry32(4733);
    const seed = encodeBencode({ result: 'ok', sdp: 'v=0\r\n', list: [1, -2, 'x', { y: [] }], number: 123_456 });
    const alphabet = Buffer.from('ilde0123456789:-xa', 'latin1');
    let decoded = 0;
    for (let round = 0; round < 5000; round++) {
      let input: Buffer;
      if (round % 2 === 0) {
        input = Buffer.from(seed);
        for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
          input[Math.floor(random() * input.length)] = random() < 0.5 ? Math.floor(random() * 256) : alphabet[Math.floor(random() * alphabet.length)] ?? 0;
        }
        if (random() < 0.3) input = input.subarray(0, Math.floor(random() * input.length));
      } else {
        input = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)] ?? 0));
      }
      try {
        decodeBencode(input);
        decoded++;
      } catch (err) {
        assert.ok(err instanceof MediaError && err.code === 'MEDIA_BENCODE_INVALID', `input ${input.toString('latin1')} threw ${String(err)}`);
      }
    }
    assert.ok(decoded > 0, 'some mutations are still valid bencode (the fuzzer is not only testing the first byte)');
  });
});
