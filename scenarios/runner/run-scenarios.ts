// Runs many scenarios, up to `parallel` at a time (each with its own embedded IPBX and phones), and
// sums them up. Results keep the order of the files, whatever order they finish in.

import type { LoadedScenario } from './load-scenario.ts';
import { runScenario, type ProgressEvent } from './run-scenario.ts';
import type { RunSummary, ScenarioResult } from './scenario-result.ts';

export interface RunScenariosOptions {
  parallel?: number;
  onProgress?: (event: ProgressEvent) => void;
  onScenarioDone?: (result: ScenarioResult) => void;
  /** A pcap of each scenario's SIP traffic in this folder (see RunScenarioOptions). */
  pcapDir?: string;
}

export async function runScenarios(scenarios: readonly LoadedScenario[], options: RunScenariosOptions = {}): Promise<RunSummary> {
  const startedAt = new Date().toISOString();
  const origin = performance.now();
  const results: ScenarioResult[] = new Array<ScenarioResult>(scenarios.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < scenarios.length) {
      const index = next++;
      const loaded = scenarios[index];
      if (loaded === undefined) continue;
      const result = await runScenario(loaded, {
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.pcapDir === undefined ? {} : { pcapDir: options.pcapDir }),
      });
      results[index] = result;
      options.onScenarioDone?.(result);
    }
  };
  const workers = Math.max(1, Math.min(options.parallel ?? 1, scenarios.length));
  await Promise.all(Array.from({ length: workers }, worker));
  const passed = results.filter((r) => r.verdict === 'passed').length;
  return { startedAt, durationMs: Math.round(performance.now() - origin), passed, failed: results.length - passed, scenarios: results };
}
