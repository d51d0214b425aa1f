// Runs one loaded scenario: starts its target and phones, runs the steps in order (the first
// failure stops it; the rest are reported skipped), and always closes what it started. The whole
// run is bounded by the scenario's timeout; every step by its own `within`.

import { parseDuration } from './duration.ts';
import { checkExpectation } from './expectations.ts';
import type { LoadedScenario } from './load-scenario.ts';
import type { ScenarioPhone } from './phones/scenario-phone.ts';
import { startScenarioPhone } from './phones/start-phone.ts';
import { SipTrace } from './phone-emulator/sip-trace.ts';
import type { ScenarioContext } from './scenario-context.ts';
import type { ScenarioResult, StepResult } from './scenario-result.ts';
import type { Scenario, ScenarioStep } from './scenario-schema.ts';
import { stepKind, stepLabel } from './step-label.ts';
import { runAction } from './step-actions.ts';
import { startScenarioCapture, type ScenarioCapture } from './capture/scenario-capture.ts';
import { resolveScenarioSecrets } from './targets/account-secrets.ts';
import type { ScenarioTarget } from './targets/scenario-target.ts';
import { startTarget } from './targets/start-target.ts';

const SETTLE_MS = 300;

export interface ProgressEvent {
  scenario: ScenarioResult;
  step?: StepResult;
}

export interface RunScenarioOptions {
  onProgress?: (event: ProgressEvent) => void;
  /** Capture the scenario's SIP traffic into a pcap file in this folder (when dumpcap/tshark can). */
  pcapDir?: string;
  /** Capture tools to try (tests); dumpcap then tshark by default. */
  captureTools?: readonly string[];
  /** Starts the target instead of what the scenario's `target` names (voiplab lab runs its smoke scenario on each group's XiVO so). */
  startTarget?: (scenario: Scenario) => Promise<ScenarioTarget>;
}

export function scenarioId(file: string, name: string): string {
  return `${file}#${name}`;
}

async function startPhones(loaded: LoadedScenario, target: ScenarioTarget, trace: SipTrace): Promise<Map<string, ScenarioPhone>> {
  const phones = new Map<string, ScenarioPhone>();
  const { scenario } = loaded;
  try {
    for (const name of Object.keys(scenario.phones)) phones.set(name, await startScenarioPhone(scenario, name, target, trace));
  } catch (err) {
    await Promise.all([...phones.values()].map((p) => p.close().catch(() => undefined)));
    throw err;
  }
  return phones;
}

async function runStep(context: ScenarioContext, step: ScenarioStep, result: StepResult): Promise<void> {
  if ('expect' in step) {
    const measured = await checkExpectation(context, step.expect);
    if (measured !== undefined) result.message = measured;
    return;
  }
  const timings = await runAction(context, step);
  if (timings !== undefined) result.timings = timings;
}

export async function runScenario(loaded: LoadedScenario, options: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const { file, scenario } = loaded;
  const origin = performance.now();
  const trace = new SipTrace(origin);
  const steps: StepResult[] = scenario.steps.map((step, i) => ({
    number: i + 1, line: loaded.stepLines[i] ?? 0, kind: stepKind(step), label: stepLabel(step), verdict: 'skipped', startMs: 0, durationMs: 0,
  }));
  const result: ScenarioResult = {
    id: scenarioId(file, scenario.name), file, name: scenario.name, verdict: 'passed', durationMs: 0, steps,
    phones: Object.keys(scenario.phones), sip: trace.messages,
    ...(scenario.description === undefined ? {} : { description: scenario.description }),
  };
  const elapsed = (): number => Math.round(performance.now() - origin);
  const deadline = origin + parseDuration(scenario.timeout);
  let target: ScenarioTarget | undefined;
  let capture: ScenarioCapture | undefined;
  let phones = new Map<string, ScenarioPhone>();
  try {
    const resolved = { ...loaded, scenario: resolveScenarioSecrets(scenario) };
    target = await (options.startTarget ?? startTarget)(resolved.scenario);
    if (options.pcapDir !== undefined) capture = await startScenarioCapture(options.pcapDir, loaded, target, options.captureTools);
    phones = await startPhones(resolved, target, trace);
    const context: ScenarioContext = { scenario, target, phones, defaultWithinMs: parseDuration(scenario.defaultWithin) };
    for (const [i, step] of scenario.steps.entries()) {
      const stepResult = steps[i];
      if (stepResult === undefined) continue;
      stepResult.startMs = elapsed();
      try {
        if (performance.now() > deadline) throw new Error(`the scenario's timeout (${scenario.timeout}) ran out before this step`);
        await runStep(context, step, stepResult);
        stepResult.verdict = 'passed';
      } catch (err) {
        stepResult.verdict = 'failed';
        stepResult.message = (err as Error).message;
        result.verdict = 'failed';
        result.failure = `step ${stepResult.number} (line ${stepResult.line}) ${stepResult.label}: ${stepResult.message}`;
      } finally {
        stepResult.durationMs = elapsed() - stepResult.startMs;
        options.onProgress?.({ scenario: result, step: stepResult });
      }
      if (result.verdict === 'failed') break;
    }
  } catch (err) {
    result.verdict = 'failed';
    result.failure = `could not start: ${(err as Error).message}`;
  } finally {
    await Promise.all([...phones.values()].map((p) => p.close().catch(() => undefined)));
    // Let the IPBX finish tearing down the last call's media before it stops (rtpengine's delete).
    if (target !== undefined) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    if (capture !== undefined) result.capture = await capture.stop();
    await target?.close().catch(() => undefined);
    result.durationMs = elapsed();
  }
  return result;
}
