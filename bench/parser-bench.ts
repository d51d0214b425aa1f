// Parse + serialize throughput of voiplab's SIP parser against sip.js's, on the corpus of
// bench/corpus/*.sip, in one process. Both parsers are first checked to read every message the
// same way; then, after a warm-up, rounds alternate the two parsers batch by batch so that
// machine noise hits both, and the median round is reported.
//
// What one "message" costs on each side:
// - voiplab: parseMessage(Buffer, { datagram: true }) then serializeMessage(message) → Buffer,
//   which rebuilds the wire form from the parsed model (start line, header list, body).
// - sip.js: buffer.toString('utf8') (sip.js parses strings, voiplab starts from the Buffer a
//   socket hands over), Parser.parseMessage(string, logger), then the message's own toString(),
//   encoded to a Buffer. IncomingMessage.toString() returns the received text (`data`), since
//   sip.js has no serializer for parsed messages; that is its cheapest possible "serialize" and
//   so favours sip.js. The parse-only figures leave serialization out on both sides.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { IncomingResponseMessage, LoggerFactory, Parser, type IncomingRequestMessage } from 'sip.js/lib/core/index.js';
import { parseMessage, serializeMessage, type SipMessage } from '../ipbx/sip/message/index.ts';

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

/** The ratio voiplab / sip.js the issue asks for, on overall parse + serialize throughput. */
export const TARGET_RATIO = 5;

export interface CorpusEntry {
  /** The file name without `.sip`: `invite`, `ok-200-invite`... */
  kind: string;
  file: string;
  bytes: Buffer;
}

export interface ParserBenchOptions {
  corpusDir: string;
  /** Rounds wanted; fewer (down to `minRounds`) when the time budget cannot hold them. */
  rounds: number;
  minRounds: number;
  /**
   * Target duration of one batch (one parser, one mode, one corpus message, N iterations). N is
   * set per parser and mode from the warm-up timings so that batches of both parsers last about
   * as long: each then amortizes garbage collection alike, and neither is lost in timer noise.
   */
  batchMs: number;
  /** Bounds of N. */
  minIterations: number;
  maxIterations: number;
  warmupMs: number;
  /** Wall-clock bound of the whole bench, checks and warm-up included (N shrinks to fit `minRounds`). */
  budgetMs: number;
}

export const DEFAULT_PARSER_BENCH_OPTIONS: Readonly<ParserBenchOptions> = Object.freeze({
  corpusDir: CORPUS_DIR,
  rounds: 15,
  minRounds: 5,
  batchMs: 40,
  minIterations: 10,
  maxIterations: 50_000,
  warmupMs: 3_000,
  budgetMs: 55_000,
});

const PARSERS = ['voiplab', 'sipjs'] as const;
type ParserName = (typeof PARSERS)[number];
const MODES = ['parseAndSerialize', 'parseOnly'] as const;
type Mode = (typeof MODES)[number];

/** One parsed (and, in parseAndSerialize mode, serialized) message; returns a checksum contribution. */
type Op = (bytes: Buffer) => number;

// sip.js's parser wants a Logger; it only writes to it when a message fails to parse.
const sipLogger = new LoggerFactory().getLogger('bench.parser');
const DATAGRAM = { datagram: true } as const;

function voiplabParse(bytes: Buffer): SipMessage {
  const r = parseMessage(bytes, DATAGRAM);
  if (!r.ok) throw r.error;
  return r.message;
}

function sipjsParse(bytes: Buffer): IncomingRequestMessage | IncomingResponseMessage {
  const m = Parser.parseMessage(bytes.toString('utf8'), sipLogger);
  if (m === undefined) throw new Error('sip.js could not parse the message');
  return m;
}

// Each op returns a checksum of its result: the length and a byte of the output (parse +
// serialize) or two parsed fields (parse only). Both parsers must give the same per message, and
// every timed batch must sum to N times it.
const OPS: Record<Mode, Record<ParserName, Op>> = {
  parseAndSerialize: {
    voiplab: (bytes) => {
      const out = serializeMessage(voiplabParse(bytes));
      return out.length + (out[out.length >> 1] ?? 0);
    },
    sipjs: (bytes) => {
      const out = Buffer.from(sipjsParse(bytes).toString(), 'utf8');
      return out.length + (out[out.length >> 1] ?? 0);
    },
  },
  parseOnly: {
    voiplab: (bytes) => {
      const m = voiplabParse(bytes);
      return m.cseq.seq + m.body.length;
    },
    sipjs: (bytes) => {
      const m = sipjsParse(bytes);
      return m.cseq + m.body.length;
    },
  },
};

export function loadCorpus(dir: string): CorpusEntry[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sip')).sort();
  if (files.length === 0) throw new Error(`no .sip file in ${dir}`);
  return files.map((file) => ({ kind: file.slice(0, -'.sip'.length), file, bytes: readFileSync(join(dir, file)) }));
}

/**
 * Checks, before any timing, that the corpus is well formed and that both parsers read every
 * message alike: kind, method or status, Call-ID, CSeq, From and To tags, top Via branch and
 * body, and that each side's serialization gives back the received bytes.
 */
export function verifyCorpus(corpus: readonly CorpusEntry[]): void {
  const problems: string[] = [];
  for (const { file, bytes } of corpus) {
    const fail = (what: string) => problems.push(`${file}: ${what}`);
    const text = bytes.toString('utf8');
    if (/(?<!\r)\n/.test(text)) fail('has a bare LF line ending (the corpus must be CRLF)');
    const r = parseMessage(bytes, DATAGRAM);
    if (!r.ok) {
      fail(`voiplab rejects it: ${r.error.code} ${r.error.reason}`);
      continue;
    }
    const v = r.message;
    const s = Parser.parseMessage(text, sipLogger);
    if (s === undefined) {
      fail('sip.js rejects it');
      continue;
    }
    const declared = v.contentLength;
    if (declared === undefined || declared !== bytes.length - bytes.indexOf('\r\n\r\n') - 4) fail('Content-Length does not match the body');
    const same = (what: string, ours: unknown, theirs: unknown) => {
      if (ours !== theirs) fail(`${what} differs: voiplab ${String(ours)}, sip.js ${String(theirs)}`);
    };
    same('is a response', !v.isRequest(), s instanceof IncomingResponseMessage);
    if (v.isRequest()) same('method', v.method, s.method);
    else {
      same('status', v.status, s instanceof IncomingResponseMessage ? s.statusCode : undefined);
      same('CSeq method', v.cseq.method, s.method);
    }
    same('Call-ID', v.callId, s.callId);
    same('CSeq number', v.cseq.seq, s.cseq);
    same('From tag', v.from.tag, s.fromTag);
    same('To tag', v.to.tag, s.toTag);
    same('top Via branch', v.topVia?.branch, s.viaBranch);
    same('body', v.body.toString('utf8'), s.body);
    if (!serializeMessage(v).equals(bytes)) fail('voiplab does not serialize it back to the same bytes');
    if (s.toString() !== text) fail('sip.js does not serialize it back to the same text');
  }
  if (problems.length > 0) throw new Error(`corpus check failed:\n  ${problems.join('\n  ')}`);
}

function runBatch(op: Op, bytes: Buffer, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += op(bytes);
  return sum;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export interface Throughput {
  /** Messages per second in the median round. */
  voiplab: number;
  sipjs: number;
  /** voiplab / sip.js. */
  ratio: number;
}

export interface OverallThroughput extends Throughput {
  /** Slowest and fastest round, messages per second: how noisy the run was. */
  voiplabRange: [number, number];
  sipjsRange: [number, number];
}

export interface ModeResult {
  /** N: iterations of each corpus message per batch, for each parser. */
  iterations: Record<ParserName, number>;
  overall: OverallThroughput;
  perKind: Record<string, Throughput>;
}

export interface ParserBenchResult {
  bench: 'parser';
  date: string;
  node: string;
  v8: string;
  platform: string;
  cpu: string;
  sipjsVersion: string;
  unit: 'messages/s';
  rounds: number;
  warmupMs: number;
  /** Messages each parser went through in the timed rounds, both modes together. */
  timedMessages: Record<ParserName, number>;
  corpus: { kind: string; file: string; bytes: number }[];
  parseAndSerialize: ModeResult;
  parseOnly: ModeResult;
  target: { ratio: number; measured: number; met: boolean };
  /** Sum of the per-message checksums over the timed rounds, and over warm-up. */
  checksum: Record<ParserName | 'warmup', number>;
  durationMs: number;
  notes: string[];
}

type PerOp<T> = Record<Mode, Record<ParserName, T>>;
type PerKind<T> = PerOp<Record<string, T>>;

function table<T>(corpus: readonly CorpusEntry[], init: () => T): PerKind<T> {
  const perKind = () => Object.fromEntries(corpus.map((e) => [e.kind, init()]));
  return {
    parseAndSerialize: { voiplab: perKind(), sipjs: perKind() },
    parseOnly: { voiplab: perKind(), sipjs: perKind() },
  };
}

export function runParserBench(options: Partial<ParserBenchOptions> = {}): ParserBenchResult {
  const opts: ParserBenchOptions = { ...DEFAULT_PARSER_BENCH_OPTIONS, ...options };
  const started = performance.now();
  const elapsed = () => performance.now() - started;

  const corpus = loadCorpus(opts.corpusDir);
  verifyCorpus(corpus);

  // What each op returns for each message: every timed batch must sum to N times this.
  const expected = table(corpus, () => 0);
  for (const mode of MODES) {
    for (const p of PARSERS) for (const e of corpus) expected[mode][p][e.kind] = OPS[mode][p](e.bytes);
    for (const e of corpus) {
      if (expected[mode].voiplab[e.kind] !== expected[mode].sipjs[e.kind]) throw new Error(`${mode} of ${e.file}: the parsers' checksums differ`);
    }
  }

  // Warm-up, not counted: batches of ~10 ms of every op on every message, round robin, until
  // `warmupMs` has passed. The last batch of each gives its time per message.
  const perOpMs = table(corpus, () => 1);
  let sink = 0;
  const warmupEnd = performance.now() + opts.warmupMs;
  do {
    for (const mode of MODES) {
      for (const p of PARSERS) {
        for (const e of corpus) {
          const n = clamp(Math.ceil(10 / (perOpMs[mode][p][e.kind] ?? 1)), 1, opts.maxIterations);
          const t0 = performance.now();
          sink += runBatch(OPS[mode][p], e.bytes, n);
          perOpMs[mode][p][e.kind] = (performance.now() - t0) / n;
        }
      }
    }
  } while (performance.now() < warmupEnd);

  // N per parser and mode, so that an average batch lasts `batchMs`; then as many rounds as fit.
  const meanPerOp = (mode: Mode, p: ParserName) => corpus.reduce((ms, e) => ms + (perOpMs[mode][p][e.kind] ?? 0), 0) / corpus.length;
  const iterations: PerOp<number> = {
    parseAndSerialize: { voiplab: 0, sipjs: 0 },
    parseOnly: { voiplab: 0, sipjs: 0 },
  };
  const roundMs = (scale: number) => {
    let ms = 0;
    for (const mode of MODES) {
      for (const p of PARSERS) {
        iterations[mode][p] = clamp(Math.round((scale * opts.batchMs) / meanPerOp(mode, p)), opts.minIterations, opts.maxIterations);
        ms += iterations[mode][p] * meanPerOp(mode, p) * corpus.length;
      }
    }
    return ms;
  };
  const remaining = opts.budgetMs - elapsed();
  let perRoundMs = roundMs(1);
  let rounds = clamp(Math.floor(remaining / perRoundMs), opts.minRounds, opts.rounds);
  if (rounds * perRoundMs > remaining) perRoundMs = roundMs(remaining / (rounds * perRoundMs));

  // Timed rounds. Each corpus message goes through both parsers back to back, in an order that
  // flips every round, so that a noisy moment of the machine lands on both.
  const timings = table(corpus, () => [] as number[]);
  const checksum = { voiplab: 0, sipjs: 0 };
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    if (r >= opts.minRounds && elapsed() + perRoundMs > opts.budgetMs) break;
    const order: readonly ParserName[] = r % 2 === 0 ? PARSERS : [...PARSERS].reverse();
    for (const mode of MODES) {
      for (const e of corpus) {
        for (const p of order) {
          const n = iterations[mode][p];
          const t0 = performance.now();
          const sum = runBatch(OPS[mode][p], e.bytes, n);
          timings[mode][p][e.kind]?.push(performance.now() - t0);
          if (sum !== n * (expected[mode][p][e.kind] ?? NaN)) throw new Error(`${p} ${mode} of ${e.file}: checksum ${sum}, expected ${n} × ${expected[mode][p][e.kind]}`);
          checksum[p] += sum;
        }
      }
    }
    done++;
  }
  rounds = done;

  const summarize = (mode: Mode): ModeResult => {
    const rate = (p: ParserName, ms: number, messages = iterations[mode][p]) => Math.round((messages * 1000) / ms);
    const perKind: Record<string, Throughput> = {};
    for (const e of corpus) {
      const v = median((timings[mode].voiplab[e.kind] ?? []).map((ms) => rate('voiplab', ms)));
      const s = median((timings[mode].sipjs[e.kind] ?? []).map((ms) => rate('sipjs', ms)));
      perKind[e.kind] = { voiplab: v, sipjs: s, ratio: round2(v / s) };
    }
    // Overall, the corpus as a mix with one of each message: per round, messages over summed time.
    const roundRates = (p: ParserName) => {
      const out: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const ms = corpus.reduce((sum, e) => sum + (timings[mode][p][e.kind]?.[r] ?? NaN), 0);
        out.push(rate(p, ms, iterations[mode][p] * corpus.length));
      }
      return out;
    };
    const vr = roundRates('voiplab');
    const sr = roundRates('sipjs');
    const v = median(vr);
    const s = median(sr);
    return {
      iterations: { ...iterations[mode] },
      overall: {
        voiplab: v,
        sipjs: s,
        ratio: round2(v / s),
        voiplabRange: [Math.min(...vr), Math.max(...vr)],
        sipjsRange: [Math.min(...sr), Math.max(...sr)],
      },
      perKind,
    };
  };

  const parseAndSerialize = summarize('parseAndSerialize');
  const parseOnly = summarize('parseOnly');
  const require = createRequire(import.meta.url);
  const sipjsPackage = JSON.parse(readFileSync(require.resolve('sip.js/package.json'), 'utf8')) as { version: string };
  const timedMessages = (p: ParserName) => MODES.reduce((n, mode) => n + iterations[mode][p] * corpus.length * rounds, 0);

  return {
    bench: 'parser',
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    sipjsVersion: sipjsPackage.version,
    unit: 'messages/s',
    rounds,
    warmupMs: opts.warmupMs,
    timedMessages: { voiplab: timedMessages('voiplab'), sipjs: timedMessages('sipjs') },
    corpus: corpus.map((e) => ({ kind: e.kind, file: e.file, bytes: e.bytes.length })),
    parseAndSerialize,
    parseOnly,
    target: { ratio: TARGET_RATIO, measured: parseAndSerialize.overall.ratio, met: parseAndSerialize.overall.ratio >= TARGET_RATIO },
    // Every result ends up here, so that no call can be dropped as dead code.
    checksum: { ...checksum, warmup: sink },
    durationMs: Math.round(elapsed()),
    notes: [
      'Rates are messages/s of the median round; overall treats the corpus as a mix with one of each message (messages / summed batch time).',
      "voiplab: parseMessage(buf, { datagram: true }) + serializeMessage(message), which rebuilds the bytes from the parsed model.",
      "sip.js: buf.toString('utf8') + Parser.parseMessage(string, logger) + Buffer.from(message.toString()); toString() returns the received text, so sip.js pays nothing to rebuild.",
      'Parsed at parse time: voiplab the start line and Request-URI, top Via, From, To, CSeq, Max-Forwards, Content-Length; sip.js the start line, top Via, From, To, Call-ID, CSeq, Contact, Record-Route, Content-Type, Content-Length, Max-Forwards.',
      'sip.js 0.21.2 rebuilds its peggy grammar tables (hundreds of regexps, expectations and decoded bytecode) on every Grammar.parse call, several per message; that setup, not the grammar itself, dominates its time.',
    ],
  };
}

/** Human-readable lines for the console. */
export function summarizeParserBench(r: ParserBenchResult): string[] {
  const fmt = (n: number) => n.toLocaleString('en-US').padStart(11);
  const lines: string[] = [
    `parser bench: ${r.corpus.length} messages, ${r.rounds} rounds, node ${r.node}, sip.js ${r.sipjsVersion}, ${(r.durationMs / 1000).toFixed(1)} s`,
  ];
  for (const mode of MODES) {
    const m = r[mode];
    lines.push(
      '',
      `  ${mode === 'parseAndSerialize' ? 'parse + serialize' : 'parse only'} (messages/s, median round; ` +
        `N = ${m.iterations.voiplab} voiplab, ${m.iterations.sipjs} sip.js per batch)`,
      `  ${'kind'.padEnd(16)}${'voiplab'.padStart(11)}${'sip.js'.padStart(11)}${'ratio'.padStart(9)}`,
    );
    for (const [kind, t] of Object.entries(m.perKind)) {
      lines.push(`  ${kind.padEnd(16)}${fmt(t.voiplab)}${fmt(t.sipjs)}${t.ratio.toFixed(2).padStart(8)}×`);
    }
    lines.push(`  ${'overall'.padEnd(16)}${fmt(m.overall.voiplab)}${fmt(m.overall.sipjs)}${m.overall.ratio.toFixed(2).padStart(8)}×`);
    lines.push(`  ${'(round range)'.padEnd(16)}  ${m.overall.voiplabRange.map((n) => n.toLocaleString('en-US')).join('–')}  ${m.overall.sipjsRange.map((n) => n.toLocaleString('en-US')).join('–')}`);
  }
  lines.push('', `  target ≥ ${r.target.ratio}× sip.js (parse + serialize, overall): ${r.target.met ? 'met' : 'NOT met'} (${r.target.measured}×)`);
  return lines;
}
