// Runs the benches (all, or those named on the command line), prints a summary of each and
// writes its results to bench/results/<name>.json.
//
//   npm run bench
//   npm run bench -- parser --rounds 21 --batch-ms 100 --budget 120
//   npm run bench -- ipbx --registrations 10000 --call-concurrency 25,50,100,200
//   npm run bench -- ipbx --profile            (bench/results/ipbx-profile.json)
//   npm run bench -- media --levels 10,25,50 --hold 20
//   npm run bench -- scenarios --parallel 1,2,4 --rounds 3
//   npm run bench -- softphone --calls 10

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runIpbxBench, runIpbxProfile, summarizeIpbxBench, summarizeIpbxProfile, type IpbxBenchOptions, type TargetName } from './ipbx-bench.ts';
import { runParserBench, summarizeParserBench, type ParserBenchOptions } from './parser-bench.ts';
import { runMediaBench, summarizeMediaBench, type MediaBenchOptions, type MediaCase } from './media-bench.ts';
import { runScenariosBench, summarizeScenariosBench, type ScenariosBenchOptions } from './scenarios-bench.ts';
import { runSoftphoneBench, summarizeSoftphoneBench, type SoftphoneBenchOptions } from './softphone-bench.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

interface BenchOutcome {
  result: unknown;
  summary: string[];
  /** Results file name in bench/results/ (default: <bench name>.json). */
  file?: string;
}

interface BenchOptions {
  parser: Partial<ParserBenchOptions>;
  ipbx: Partial<IpbxBenchOptions>;
  media: Partial<MediaBenchOptions>;
  scenarios: Partial<ScenariosBenchOptions>;
  softphone: Partial<SoftphoneBenchOptions>;
}

interface Bench {
  name: string;
  run(options: BenchOptions): BenchOutcome | Promise<BenchOutcome>;
}

const BENCHES: readonly Bench[] = [
  {
    name: 'parser',
    run: (options) => {
      const result = runParserBench(options.parser);
      return { result, summary: summarizeParserBench(result) };
    },
  },
  {
    name: 'ipbx',
    run: async (options) => {
      if (options.ipbx.profile === true) {
        const result = await runIpbxProfile(options.ipbx);
        return { result, summary: summarizeIpbxProfile(result), file: 'ipbx-profile.json' };
      }
      const result = await runIpbxBench(options.ipbx);
      return { result, summary: summarizeIpbxBench(result) };
    },
  },
  {
    name: 'media',
    run: async (options) => {
      const result = await runMediaBench(options.media);
      return { result, summary: summarizeMediaBench(result) };
    },
  },
  {
    name: 'scenarios',
    run: async (options) => {
      const result = await runScenariosBench(options.scenarios);
      return { result, summary: summarizeScenariosBench(result) };
    },
  },
  {
    name: 'softphone',
    run: async (options) => {
      const result = await runSoftphoneBench(options.softphone);
      return { result, summary: summarizeSoftphoneBench(result) };
    },
  },
];

function positiveNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number, not "${text}"`);
  return n;
}

function count(name: string, text: string | undefined, zeroAllowed = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < (zeroAllowed ? 0 : 1)) throw new Error(`--${name} wants a whole number${zeroAllowed ? '' : ' above 0'}, not "${text}"`);
  return n;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      // parser
      rounds: { type: 'string' },
      'batch-ms': { type: 'string' },
      warmup: { type: 'string' },
      // both: seconds for the whole bench
      budget: { type: 'string' },
      // ipbx
      registrations: { type: 'string' },
      'warmup-registrations': { type: 'string' },
      'register-concurrency': { type: 'string' },
      calls: { type: 'string' },
      'warmup-calls': { type: 'string' },
      'call-concurrency': { type: 'string' },
      'step-seconds': { type: 'string' },
      'settle-s': { type: 'string' },
      'kamailio-children': { type: 'string' },
      'kamailio-shm-mb': { type: 'string' },
      targets: { type: 'string' },
      profile: { type: 'boolean' },
      // media
      levels: { type: 'string' },
      hold: { type: 'string' },
      'call-rate': { type: 'string' },
      cases: { type: 'string' },
      // scenarios (and --rounds)
      parallel: { type: 'string' },
    },
  });
  const parser: Partial<ParserBenchOptions> = {};
  const rounds = positiveNumber('rounds', values.rounds);
  const batchMs = positiveNumber('batch-ms', values['batch-ms']);
  const warmup = positiveNumber('warmup', values.warmup);
  const budget = positiveNumber('budget', values.budget);
  if (rounds !== undefined) parser.rounds = Math.round(rounds);
  if (batchMs !== undefined) parser.batchMs = batchMs;
  if (warmup !== undefined) parser.warmupMs = warmup * 1000;
  if (budget !== undefined) parser.budgetMs = budget * 1000;

  const targets = values.targets?.split(',').map((t) => t.trim());
  if (targets !== undefined && targets.some((t) => t !== 'voiplab' && t !== 'kamailio')) {
    throw new Error(`--targets takes voiplab, kamailio or both (comma-separated), not "${values.targets}"`);
  }
  const ipbx: Partial<IpbxBenchOptions> = defined({
    registrations: count('registrations', values.registrations),
    warmupRegistrations: count('warmup-registrations', values['warmup-registrations'], true),
    registerConcurrency: values['register-concurrency']?.split(',').map((c) => count('register-concurrency', c.trim()) ?? 1),
    calls: count('calls', values.calls, true),
    warmupCalls: count('warmup-calls', values['warmup-calls'], true),
    callConcurrency: values['call-concurrency']?.split(',').map((c) => count('call-concurrency', c.trim()) ?? 1),
    stepSeconds: positiveNumber('step-seconds', values['step-seconds']),
    settleMs: values['settle-s'] === undefined ? undefined : (count('settle-s', values['settle-s'], true) ?? 0) * 1000,
    kamailioChildren: count('kamailio-children', values['kamailio-children']),
    kamailioShmMb: count('kamailio-shm-mb', values['kamailio-shm-mb']),
    targets: targets as TargetName[] | undefined,
    budgetMs: budget === undefined ? undefined : budget * 1000,
    profile: values.profile,
  });

  const cases = values.cases?.split(',').map((c) => c.trim());
  if (cases !== undefined && cases.some((c) => c !== 'passthrough' && c !== 'rtpengine' && c !== 'transcode')) {
    throw new Error(`--cases takes passthrough, rtpengine, transcode (comma-separated), not "${values.cases}"`);
  }
  const media: Partial<MediaBenchOptions> = defined({
    levels: values.levels?.split(',').map((c) => count('levels', c.trim()) ?? 1),
    holdS: positiveNumber('hold', values.hold),
    callRate: positiveNumber('call-rate', values['call-rate']),
    cases: cases as MediaCase[] | undefined,
    budgetMs: budget === undefined ? undefined : budget * 1000,
  });

  const scenarios: Partial<ScenariosBenchOptions> = defined({
    parallel: values.parallel?.split(',').map((c) => count('parallel', c.trim()) ?? 1),
    rounds: rounds === undefined ? undefined : Math.round(rounds),
  });

  // softphone: --calls is the number of browser calls measured there (10 by default).
  const softphone: Partial<SoftphoneBenchOptions> = defined({ calls: count('calls', values.calls) });

  const unknown = positionals.filter((p) => !BENCHES.some((b) => b.name === p));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  const selected = positionals.length === 0 ? BENCHES : BENCHES.filter((b) => positionals.includes(b.name));

  mkdirSync(RESULTS_DIR, { recursive: true });
  for (const bench of selected) {
    const { result, summary, file: name } = await bench.run({ parser, ipbx, media, scenarios, softphone });
    const file = join(RESULTS_DIR, name ?? `${bench.name}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    console.log(summary.join('\n'));
    console.log(`\n  results: ${file}\n`);
  }
}

await main();
