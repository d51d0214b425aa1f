// `voiplab run FILE_OR_DIR... [--report junit=PATH,html=PATH,json=PATH] [--only NAME] [--parallel N]
// [--pcap DIR]`: loads every scenario file (all problems of all files reported before anything
// runs), runs them, prints a progress line per step and a verdict per scenario, the summary
// `N passed, M failed`, and writes the reports (with a pcap of each scenario's SIP traffic in DIR
// when capture is possible). Exit 0 only when every scenario passed.

import { isAbsolute, relative } from 'node:path';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from './cli-io.ts';
import { parseCommandArgs } from './cli-options.ts';
import { RUN_USAGE } from './usage.ts';
import { formatIssue } from '../ipbx/config/config-errors.ts';
import {
  ScenarioFileError, findScenarioFiles, loadScenarioFile, parseReportOption, runScenarios, writeReports,
  type LoadedScenario, type ProgressEvent, type ScenarioResult,
} from '../scenarios/runner/index.ts';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function progressLine({ scenario, step }: ProgressEvent): string | undefined {
  if (step === undefined) return undefined;
  const mark = step.verdict === 'passed' ? 'ok  ' : 'FAIL';
  const detail = step.verdict === 'failed' && step.message !== undefined ? ` — ${step.message}` : '';
  return `  ${mark} ${scenario.name} › step ${step.number}/${scenario.steps.length} ${step.label} (${step.durationMs} ms, at ${seconds(step.startMs + step.durationMs)})${detail}`;
}

/** Where the scenario's pcap went, or why there is none; nothing when no capture was asked. */
function captureLine(result: ScenarioResult): string | undefined {
  if (result.capture === undefined) return undefined;
  return 'file' in result.capture ? `  pcap ${result.capture.file}` : `  no pcap: ${result.capture.unavailable}`;
}

function verdictLine(result: ScenarioResult): string {
  return result.verdict === 'passed'
    ? `PASS ${result.name} (${result.file}, ${seconds(result.durationMs)})`
    : `FAIL ${result.name} (${result.file}, ${seconds(result.durationMs)}): ${result.failure ?? 'failed'}`;
}

/** Files inside the working folder by their relative path: JUnit ids (file + name) stay the same on every checkout. */
function stablePath(file: string): string {
  const inside = relative(process.cwd(), file);
  return inside === '' || inside.startsWith('..') || isAbsolute(inside) ? file : inside;
}

async function loadAll(files: string[], io: CliIo): Promise<LoadedScenario[] | undefined> {
  const loaded: LoadedScenario[] = [];
  let broken = false;
  for (const file of files) {
    try {
      loaded.push(await loadScenarioFile(file));
    } catch (err) {
      if (!(err instanceof ScenarioFileError)) throw err;
      broken = true;
      for (const issue of err.issues) io.err(formatIssue(issue));
    }
  }
  return broken ? undefined : loaded;
}

export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    report: { type: 'string', multiple: true },
    only: { type: 'string', multiple: true },
    parallel: { type: 'string' },
    pcap: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    io.out(`usage: ${RUN_USAGE}`);
    return EXIT_OK;
  }
  if (positionals.length === 0) throw new UsageError(`usage: ${RUN_USAGE}`);
  const parallel = values.parallel === undefined ? 1 : Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel must be a whole number of at least 1 (got ${values.parallel ?? ''})`);
  if (values.pcap === '') throw new UsageError('--pcap needs a folder for the pcap files');
  let reports;
  try {
    reports = parseReportOption(values.report ?? []);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  let files: string[];
  try {
    files = (await findScenarioFiles(positionals)).map(stablePath);
  } catch (err) {
    if (!(err instanceof ScenarioFileError)) throw err;
    for (const issue of err.issues) io.err(formatIssue(issue));
    return EXIT_FAILURE;
  }
  const all = await loadAll(files, io);
  if (all === undefined) return EXIT_FAILURE;
  const only = values.only ?? [];
  const selected = only.length === 0 ? all : all.filter((s) => only.includes(s.scenario.name));
  if (selected.length === 0) throw new UsageError(`no scenario is named ${only.map((n) => JSON.stringify(n)).join(' or ')} (scenarios: ${all.map((s) => JSON.stringify(s.scenario.name)).join(', ')})`);
  io.out(`running ${selected.length} scenario${selected.length === 1 ? '' : 's'}${parallel > 1 ? `, ${parallel} at a time` : ''}`);
  const summary = await runScenarios(selected, {
    parallel,
    onProgress: (event) => { const line = progressLine(event); if (line !== undefined) io.out(line); },
    onScenarioDone: (result) => {
      io.out(verdictLine(result));
      const capture = captureLine(result);
      if (capture !== undefined) io.out(capture);
    },
    ...(values.pcap === undefined ? {} : { pcapDir: values.pcap }),
  });
  for (const written of await writeReports(summary, reports)) io.out(`report ${written}`);
  io.out(`${summary.passed} passed, ${summary.failed} failed (${seconds(summary.durationMs)})`);
  return summary.failed === 0 ? EXIT_OK : EXIT_FAILURE;
}
