// The lab file's smoke scenario, run against one group's XiVO after `up` (or `reset`) provisioned
// it: the scenario runner's xivo target makes the scenario's accounts through confd, its phones
// register to the XiVO's SIP address and call, and the accounts are removed after. The verdict
// (passed, or failed with the step) is kept per group next to the lab file, for `status` and
// `report`, which read state and never place calls themselves.

import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { formatIssue } from '../../ipbx/config/config-errors.ts';
import { loadScenarioFile, runScenario, ScenarioFileError, type LoadedScenario } from '../../scenarios/runner/index.ts';
import { startXivoTarget } from '../../scenarios/runner/targets/xivo-target.ts';
import { LabError } from '../lab-error.ts';
import type { XivoClient } from '../xivo/index.ts';
import type { LabContext, XivoAddress } from './lab-context.ts';

export interface SmokeOutcome {
  verdict: 'passed' | 'failed' | 'not run';
  detail: string;
}

interface SmokeRecord extends SmokeOutcome {
  /** The VM it ran against: a record of an earlier VM (destroyed, rebuilt) is not shown. */
  vmid: number;
  at: string;
}

export const NO_SMOKE: SmokeOutcome = { verdict: 'not run', detail: 'no smoke scenario in the lab file' };

/** The smoke scenario of the lab file (its path is relative to the lab file), or undefined when there is none. */
export async function loadSmokeScenario(ctx: LabContext): Promise<LoadedScenario | undefined> {
  const path = ctx.lab.smoke?.scenario;
  if (path === undefined) return undefined;
  try {
    return await loadScenarioFile(resolve(dirname(ctx.file), path));
  } catch (err) {
    if (err instanceof ScenarioFileError) throw new LabError('LAB_SMOKE_SCENARIO', `smoke.scenario ${path}: ${err.issues.map(formatIssue).join('; ')}`, { cause: err });
    throw err;
  }
}

export async function runSmokeScenario(ctx: LabContext, loaded: LoadedScenario, client: XivoClient, where: XivoAddress, vmid: number, group: string): Promise<SmokeOutcome> {
  const result = await runScenario(loaded, {
    startTarget: (scenario) => startXivoTarget(scenario, { client, sip: where.sip, context: ctx.lab.xivo.context ?? 'default' }),
  });
  const outcome: SmokeOutcome = result.verdict === 'passed'
    ? { verdict: 'passed', detail: `${loaded.scenario.name}: ${result.steps.length} steps passed in ${(result.durationMs / 1000).toFixed(1)} s` }
    : { verdict: 'failed', detail: `${loaded.scenario.name}: ${result.failure ?? 'failed'}` };
  await saveSmokeRecord(ctx, group, { ...outcome, vmid, at: new Date().toISOString() });
  return outcome;
}

function recordFile(ctx: LabContext): string {
  return join(dirname(ctx.file), `.${ctx.lab.lab}.smoke.json`);
}

async function readRecords(ctx: LabContext): Promise<Record<string, SmokeRecord>> {
  try {
    return JSON.parse(await readFile(recordFile(ctx), 'utf8')) as Record<string, SmokeRecord>;
  } catch {
    return {};
  }
}

/** Groups finish in parallel: their read-change-write of the one file is serialised. */
let saving: Promise<void> = Promise.resolve();

function saveSmokeRecord(ctx: LabContext, group: string, record: SmokeRecord): Promise<void> {
  const run = saving.then(async () => {
    const records = { ...(await readRecords(ctx)), [group]: record };
    const file = recordFile(ctx);
    await writeFile(`${file}.tmp`, `${JSON.stringify(records, null, 2)}\n`, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  });
  saving = run.catch(() => undefined);
  return run;
}

/** The last verdict recorded for this group's current VM, for status and report. */
export async function lastSmokeOutcome(ctx: LabContext, group: string, vmid: number | undefined): Promise<SmokeOutcome> {
  if (ctx.lab.smoke === undefined) return NO_SMOKE;
  const record = (await readRecords(ctx))[group];
  if (record === undefined || record.vmid !== vmid) return { verdict: 'not run', detail: `${ctx.lab.smoke.scenario} has not run against this VM yet (lab up runs it)` };
  return { verdict: record.verdict, detail: `${record.detail} (${record.at})` };
}
