// Runs the benches (all, or those named on the command line), prints a summary of each and
// writes its results to bench/results/<name>.json.
//
//   npm run bench
//   npm run bench -- parser --rounds 21 --batch-ms 100 --budget 120

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runParserBench, summarizeParserBench, type ParserBenchOptions } from './parser-bench.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

interface BenchOutcome {
  result: unknown;
  summary: string[];
}

interface Bench {
  name: string;
  run(options: Partial<ParserBenchOptions>): BenchOutcome;
}

const BENCHES: readonly Bench[] = [
  {
    name: 'parser',
    run: (options) => {
      const result = runParserBench(options);
      return { result, summary: summarizeParserBench(result) };
    },
  },
];

function positiveNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number, not "${text}"`);
  return n;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string' },
      'batch-ms': { type: 'string' },
      warmup: { type: 'string' },
      budget: { type: 'string' },
    },
  });
  const options: Partial<ParserBenchOptions> = {};
  const rounds = positiveNumber('rounds', values.rounds);
  const batchMs = positiveNumber('batch-ms', values['batch-ms']);
  const warmup = positiveNumber('warmup', values.warmup);
  const budget = positiveNumber('budget', values.budget);
  if (rounds !== undefined) options.rounds = Math.round(rounds);
  if (batchMs !== undefined) options.batchMs = batchMs;
  if (warmup !== undefined) options.warmupMs = warmup * 1000;
  if (budget !== undefined) options.budgetMs = budget * 1000;

  const unknown = positionals.filter((p) => !BENCHES.some((b) => b.name === p));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  const selected = positionals.length === 0 ? BENCHES : BENCHES.filter((b) => positionals.includes(b.name));

  mkdirSync(RESULTS_DIR, { recursive: true });
  for (const bench of selected) {
    const { result, summary } = bench.run(options);
    const file = join(RESULTS_DIR, `${bench.name}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    console.log(summary.join('\n'));
    console.log(`\n  results: ${file}\n`);
  }
}

main();
