// Wall time of the scenario library (scenarios/examples) through the runner, serially and with
// --parallel N, in one process: the ratio says what parallel runs buy on this machine. Each
// configuration runs `rounds` times, alternating, and the median is kept (a busy 2-core machine
// makes single runs noisy). Every scenario must pass, or the figures mean nothing.

import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { findScenarioFiles, loadScenarioFile, runScenarios, type RunSummary } from '../scenarios/runner/index.ts';

export interface ScenariosBenchOptions {
  /** --parallel values measured; 1 is the serial reference. */
  parallel: number[];
  rounds: number;
}

const DEFAULTS: ScenariosBenchOptions = { parallel: [1, 2, 4], rounds: 3 };
const EXAMPLES = fileURLToPath(new URL('../scenarios/examples/', import.meta.url));

interface Measured {
  parallel: number;
  wallMs: number[];
  medianWallMs: number;
  /** Serial median / this median. */
  speedup: number;
}

export interface ScenariosBenchResult {
  date: string;
  node: string;
  cores: number;
  scenarios: string[];
  options: ScenariosBenchOptions;
  runs: Measured[];
  /** Per scenario, its median duration in the serial runs (ms). */
  serialScenarioMs: Record<string, number>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function runScenariosBench(options: Partial<ScenariosBenchOptions> = {}): Promise<ScenariosBenchResult> {
  const o = { ...DEFAULTS, ...options };
  const files = await findScenarioFiles([EXAMPLES]);
  const loaded = await Promise.all(files.map((f) => loadScenarioFile(f)));
  const walls = new Map<number, number[]>(o.parallel.map((p) => [p, []]));
  const serialDurations = new Map<string, number[]>();
  for (let round = 0; round < o.rounds; round++) {
    for (const parallel of o.parallel) {
      const summary: RunSummary = await runScenarios(loaded, { parallel });
      if (summary.failed > 0) {
        const failed = summary.scenarios.filter((s) => s.verdict !== 'passed').map((s) => s.name).join(', ');
        throw new Error(`scenarios bench: ${summary.failed} scenario(s) failed with --parallel ${parallel} (${failed}): the timing would mean nothing`);
      }
      walls.get(parallel)?.push(summary.durationMs);
      if (parallel === 1) {
        for (const s of summary.scenarios) serialDurations.set(s.name, [...(serialDurations.get(s.name) ?? []), s.durationMs]);
      }
    }
  }
  const serial = median(walls.get(1) ?? [0]);
  return {
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    scenarios: loaded.map((l) => l.scenario.name),
    options: o,
    runs: o.parallel.map((parallel) => {
      const wallMs = walls.get(parallel) ?? [];
      const medianWallMs = median(wallMs);
      return { parallel, wallMs, medianWallMs, speedup: medianWallMs > 0 ? Math.round((serial / medianWallMs) * 100) / 100 : 0 };
    }),
    serialScenarioMs: Object.fromEntries([...serialDurations].map(([name, ms]) => [name, median(ms)])),
  };
}

export function summarizeScenariosBench(result: ScenariosBenchResult): string[] {
  return [
    `${result.scenarios.length} example scenarios, ${result.options.rounds} rounds, median wall time:`,
    ...result.runs.map((r) => `  --parallel ${r.parallel}: ${(r.medianWallMs / 1000).toFixed(1)} s (×${r.speedup} vs serial)`),
  ];
}
