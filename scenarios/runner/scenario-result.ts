// What a run of one scenario produced, the one model every report (terminal, JUnit, JSON, HTML)
// is written from: a verdict per step with its timing and figures, and the SIP messages seen.

import type { CallTimings } from './phone-emulator/emulated-call.ts';
import type { TracedMessage } from './phone-emulator/sip-trace.ts';

export type Verdict = 'passed' | 'failed' | 'skipped';

export interface StepResult {
  /** 1-based, as people count steps. */
  number: number;
  /** Line of the step in the scenario file. */
  line: number;
  kind: string;
  /** `call alice → bob`, `expect bob hears 1000 Hz`. */
  label: string;
  verdict: Verdict;
  /** Milliseconds since the scenario's start. */
  startMs: number;
  durationMs: number;
  /** Why it failed, or what an audio check measured. */
  message?: string;
  /** For call steps: post-dial delay, setup time, time to audio (filled in as the call goes on). */
  timings?: CallTimings;
}

export interface ScenarioResult {
  /** Stable test id: the file and the scenario name (`scenarios/examples/busy.yaml#busy`). */
  id: string;
  file: string;
  name: string;
  description?: string;
  verdict: 'passed' | 'failed';
  durationMs: number;
  steps: StepResult[];
  /** The failure in one line: which step and why (or why the scenario could not start). */
  failure?: string;
  phones: string[];
  sip: TracedMessage[];
  /** With `--pcap DIR`: the pcap file of its SIP traffic, or why there is none. */
  capture?: { file: string } | { unavailable: string };
}

export interface RunSummary {
  startedAt: string;
  durationMs: number;
  passed: number;
  failed: number;
  scenarios: ScenarioResult[];
}
