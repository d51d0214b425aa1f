// `--report junit=PATH,html=PATH,json=PATH`: which reports to write where, and writing them.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ScenarioError } from '../scenario-errors.ts';
import type { RunSummary } from '../scenario-result.ts';
import { htmlReport } from './html-report.ts';
import { jsonReport } from './json-report.ts';
import { junitReport } from './junit-report.ts';

const WRITERS = { junit: junitReport, json: jsonReport, html: htmlReport } as const;
export type ReportKind = keyof typeof WRITERS;
export type ReportTargets = Partial<Record<ReportKind, string>>;

/** Parses one or more `--report` values; repeated options add up. */
export function parseReportOption(values: readonly string[]): ReportTargets {
  const targets: ReportTargets = {};
  for (const item of values.flatMap((v) => v.split(','))) {
    const at = item.indexOf('=');
    const kind = item.slice(0, at);
    const path = item.slice(at + 1);
    if (at < 1 || path === '' || !(kind in WRITERS)) {
      throw new ScenarioError('SCENARIO_REPORT_OPTION', `--report ${item}: expected KIND=PATH with KIND one of ${Object.keys(WRITERS).join(', ')}`);
    }
    targets[kind as ReportKind] = path;
  }
  return targets;
}

export async function writeReports(summary: RunSummary, targets: ReportTargets): Promise<string[]> {
  const written: string[] = [];
  for (const [kind, path] of Object.entries(targets) as Array<[ReportKind, string]>) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, kind === 'html' ? htmlReport(summary, dirname(path)) : WRITERS[kind](summary));
    written.push(`${kind}: ${path}`);
  }
  return written;
}
