// Deterministic mutation testing of the parser on the RFC 4475 corpus: parseMessage never throws,
// and the typed views of whatever parses either return or throw SipParseError (RFC 4475 §1: an
// element must survive any input).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  createErrorResponse,
  createResponse,
  parseMessage,
  parseUri,
  serializeMessage,
  SipParseError,
  uriEquals,
  type ParseOptions,
  type SipMessage,
} from '../../ipbx/sip/message/index.ts';
import { mulberry32 } from '../../scenarios/audio/index.ts';
import { RFC4475_DIR } from '../helpers/rfc4475-kit.ts';

const KIT = RFC4475_DIR;
const manifest = JSON.parse(readFileSync(KIT + 'manifest.json', 'utf8')) as { messages: Array<{ name: string; file: string }> };
const corpus = new Map(manifest.messages.map((m) => [m.name, readFileSync(KIT + m.file)]));
const MODES: ParseOptions[] = [{ datagram: true }, { datagram: false }];

// A seeded PRNG, so every run tries the same cases.
const prng = mulberry32;

const INSERTS = ['\r', '\n', '\r\n', '\r\n\r\n', ':', '"', '\\', '<', '>', '%', '%0', ',', ';', '=', '@', '[', ']', ' ', '\t', '\0', '\r\n ', '?', '&'].map((s) => Buffer.from(s, 'latin1'));

function mutate(input: Buffer, rand: () => number): Buffer {
  let buf = Buffer.from(input);
  const at = () => Math.floor(rand() * (buf.length + 1));
  const steps = 1 + Math.floor(rand() * 4);
  for (let s = 0; s < steps; s++) {
    const kind = Math.floor(rand() * 5);
    if (kind === 0 && buf.length > 0) {
      const i = Math.min(at(), buf.length - 1);
      buf[i] = Math.floor(rand() * 256); // byte flip
    } else if (kind === 1 && buf.length > 0) {
      const i = Math.min(at(), buf.length - 1);
      buf[i] = (buf[i] ?? 0) ^ (1 << Math.floor(rand() * 8)); // bit flip
    } else if (kind === 2) {
      const i = at();
      const piece = INSERTS[Math.floor(rand() * INSERTS.length)] ?? Buffer.alloc(0);
      buf = Buffer.concat([buf.subarray(0, i), piece, buf.subarray(i)]);
    } else if (kind === 3) {
      const i = at();
      const n = 1 + Math.floor(rand() * 8);
      buf = Buffer.concat([buf.subarray(0, i), buf.subarray(Math.min(buf.length, i + n))]);
    } else {
      // Duplicate a span: repeated headers, doubled separators.
      const i = at();
      const n = 1 + Math.floor(rand() * 40);
      buf = Buffer.concat([buf.subarray(0, i + n), buf.subarray(i, i + n), buf.subarray(i + n)]);
    }
  }
  return buf;
}

/** Every getter of the message classes (the typed views), found on their prototypes. */
function getterNames(message: SipMessage): string[] {
  const names = new Set<string>();
  for (let p: object | null = Object.getPrototypeOf(message) as object | null; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (d.get !== undefined) names.add(name);
    }
  }
  return [...names].sort();
}

interface Tally { cases: number; parsed: number; failed: number; viewErrors: number }

/** Calls `fn`; a SipParseError is an allowed outcome, any other error fails the test. */
function survive<T>(what: string, fn: () => T, tally: Tally): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof SipParseError)) {
      assert.fail(`${what} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
    assert.equal(typeof err.code, 'string');
    tally.viewErrors++;
    return undefined;
  }
}

function exerciseViews(message: SipMessage, label: string, tally: Tally, roundTrip = true): void {
  for (const name of getterNames(message)) {
    const value: unknown = survive(`${label}: ${name}`, () => Reflect.get(message, name) as unknown, tally);
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (item !== null && typeof item === 'object') {
        survive(`${label}: ${name}.toString()`, () => (item as { toString(): string }).toString(), tally);
      }
      if (item !== null && typeof item === 'object' && 'uri' in item) {
        const uri = (item as { uri: Parameters<typeof uriEquals>[0] }).uri;
        survive(`${label}: ${name} URI reparse`, () => uriEquals(uri, parseUri(uri.toString())), tally);
      }
    }
  }
  if (message.isRequest()) {
    survive(`${label}: Request-URI reparse`, () => uriEquals(message.uri, parseUri(message.uri.toString())), tally);
    const response = survive(`${label}: createResponse`, () => createResponse(message, 200), tally);
    if (response !== undefined) survive(`${label}: serialize response`, () => serializeMessage(response), tally);
  }
  if (!roundTrip) {
    survive(`${label}: serializeMessage`, () => serializeMessage(message), tally);
    return;
  }
  // What parsed once must serialize to a stream message that parses to the same message.
  const again = parseMessage(serializeMessage(message), { datagram: false });
  if (!again.ok) assert.fail(`${label}: the serialized message does not parse: ${again.error.code}: ${again.error.reason}`);
  assert.deepEqual(snapshot(again.message), snapshot(message), `${label}: round trip`);
}

function snapshot(m: SipMessage): unknown {
  return {
    start: m.isRequest() ? [m.method, m.uri.toString()] : [m.status, m.reason],
    headers: [...m.headers].filter((h) => h.key !== 'content-length').map((h) => [h.name, h.value]),
    body: m.body.toString('latin1'),
  };
}

function check(buf: Buffer, label: string, tally: Tally): void {
  for (const options of MODES) {
    tally.cases++;
    let result: ReturnType<typeof parseMessage> | undefined;
    try {
      result = parseMessage(buf, options);
    } catch (err) {
      assert.fail(`${label} datagram=${options.datagram}: parseMessage threw ${String(err)}`);
    }
    const where = `${label} datagram=${options.datagram}`;
    if (result.ok) {
      tally.parsed++;
      exerciseViews(result.message, where, tally);
    } else {
      tally.failed++;
      assert.ok(result.error instanceof SipParseError, where);
      assert.match(result.error.code, /^SIP_[A-Z_]+$/, where);
      assert.ok(result.error.sipStatus >= 400 && result.error.sipStatus <= 699, where);
      const partial = result.error.partial;
      if (partial !== undefined) {
        const response = survive(`${where}: createErrorResponse`, () => createErrorResponse(partial, result.error.sipStatus, result.error.reason), tally);
        if (response !== undefined) {
          const reparsed = parseMessage(serializeMessage(response), { datagram: true });
          if (!reparsed.ok) assert.ok(reparsed.error instanceof SipParseError, `${where}: error response reparse`);
        }
      }
    }
  }
}

const newTally = (): Tally => ({ cases: 0, parsed: 0, failed: 0, viewErrors: 0 });

void describe('parser robustness on the mutated RFC 4475 corpus (RFC 4475 §1)', () => {
  void it('finds the typed views it exercises on the message classes', () => {
    const m = parseMessage(corpus.get('wsinv') ?? assert.fail(), { datagram: true });
    assert.ok(m.ok);
    const names = getterNames(m.message);
    for (const view of ['topVia', 'vias', 'from', 'to', 'cseq', 'callId', 'contacts', 'isContactStar', 'routes', 'recordRoutes',
      'maxForwards', 'expires', 'contentLength', 'contentType', 'supported', 'require', 'proxyRequire', 'authorization', 'wwwAuthenticate']) {
      assert.ok(names.includes(view), view);
    }
  });

  void it('survives every truncation of wsinv, intmeth and esc02', () => {
    const tally = newTally();
    for (const name of ['wsinv', 'intmeth', 'esc02']) {
      const bytes = corpus.get(name) ?? assert.fail(name);
      for (let n = 0; n <= bytes.length; n++) check(bytes.subarray(0, n), `${name}[0..${n}]`, tally);
    }
    assert.equal(tally.cases, 2 * (1001 + 641 + 439 + 3));
    assert.ok(tally.parsed > 0 && tally.failed > 0);
  });

  void it('survives 1500 seeded random mutations (byte and bit flips, CR/LF/":"/quote/"<>"/"%" insertions, deletions, duplications)', () => {
    const rand = prng(0x4475);
    const names = [...corpus.keys()];
    const tally = newTally();
    for (let i = 0; i < 1500; i++) {
      const name = names[Math.floor(rand() * names.length)] ?? assert.fail();
      const mutated = mutate(corpus.get(name) ?? assert.fail(), rand);
      check(mutated, `mutation #${i} of ${name}`, tally);
    }
    assert.equal(tally.cases, 3000);
    assert.ok(tally.parsed > 100, `only ${tally.parsed} mutated messages parsed`);
    assert.ok(tally.failed > 100, `only ${tally.failed} mutated messages failed`);
  });

  void it('re-parses views after header edits through the HeaderList API, with the same outcomes', () => {
    const rand = prng(7);
    const tally = newTally();
    for (const [name, bytes] of corpus) {
      const r = parseMessage(bytes, { datagram: true });
      if (!r.ok) continue;
      // Re-parsed views after a mutation of the header text through the HeaderList API.
      const m = r.message;
      for (const header of ['Via', 'Contact', 'To', 'From', 'Route', 'CSeq', 'Max-Forwards', 'Content-Type']) {
        const value = m.headers.get(header) ?? '';
        const i = Math.floor(rand() * (value.length + 1));
        const piece = INSERTS[Math.floor(rand() * INSERTS.length)]?.toString('latin1') ?? '';
        m.headers.set(header, value.slice(0, i) + piece + value.slice(i));
        exerciseViews(m, `${name} after editing ${header}`, tally, false);
      }
    }
  });
});

void describe('parser cost stays linear on adversarial input', () => {
  const limits = { maxLineLength: 70_000, maxMessageBytes: 70_000 };
  const head = (extra: string): Buffer => Buffer.from([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1',
    'From: <sip:a@example.com>;tag=1',
    'To: <sip:b@example.com>',
    'Call-ID: c1',
    'CSeq: 1 OPTIONS',
    extra,
  ].join('\r\n') + '\r\n\r\n');

  const cases: Record<string, Buffer> = {
    'a Via sent-by followed by a long run of blanks': head('Via: SIP/2.0/UDP a' + ' '.repeat(60_000) + 'b;\rx'),
    'a top Via with a long run of blanks': Buffer.from(head('X: y').toString('latin1').replace('Via: SIP/2.0/UDP a.example.com', 'Via: SIP/2.0/UDP a' + ' '.repeat(60_000) + 'b;\r'), 'latin1'),
    'a Content-Type with a long run of blanks': head('Content-Type: a/b' + ' '.repeat(60_000) + ';\r'),
    'a number with 60000 leading zeros': head('Max-Forwards: ' + '0'.repeat(60_000) + 'x'),
    'a Request-URI with 15000 parameters': Buffer.from(head('X: y').toString('latin1').replace('sip:bob@example.com', 'sip:h' + ';a=b'.repeat(15_000) + ';'), 'latin1'),
    'a Contact with 6000 values': head('Contact: ' + '<sip:a@b>,'.repeat(6_000)),
    '30000 empty lines': Buffer.from('\r\n'.repeat(30_000)),
  };
  for (const [what, buf] of Object.entries(cases)) {
    void it(`parses ${what} in well under a second`, () => {
      const started = performance.now();
      for (const datagram of [true, false]) {
        const r = parseMessage(buf, { datagram, limits });
        if (r.ok) exerciseViews(r.message, what, newTally(), false);
      }
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 500, `${what}: ${elapsed.toFixed(0)} ms`);
    });
  }
});
