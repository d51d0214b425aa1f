// `lab up`: converge every group (at most `parallel` at once), printing progress per group; a
// group's failure leaves the others running and is reported at the end. Rerunning resumes.

import { LabError } from '../lab-error.ts';
import { convergeGroup, type ConvergeResult } from './converge-group.ts';
import type { LabContext } from './lab-context.ts';
import { runGroups, type Settled } from './run-groups.ts';
import { selectGroups } from './select-groups.ts';
import { loadSmokeScenario } from './smoke-scenario.ts';

export async function labUp(ctx: LabContext, only: string[] = []): Promise<Array<Settled<ConvergeResult>>> {
  const groups = selectGroups(ctx, only);
  const smoke = await loadSmokeScenario(ctx);
  const results = await runGroups(groups, ctx.lab.parallel ?? 2, (g) => convergeGroup(ctx, g, (line) => ctx.log(`[${g.name}] ${line}`), smoke));
  reportOutcome(ctx, results, 'up');
  return results;
}

/** One summary line per group; throws LAB_GROUP_FAILED when any failed, after saying why. */
export function reportOutcome(ctx: LabContext, results: Array<Settled<ConvergeResult>>, command: string): void {
  for (const r of results) {
    if (r.ok) ctx.log(`[${r.group}] ${r.value.changes.length === 0 ? 'already up to date' : `${r.value.changes.length} changes`}; VM ${r.value.vm.vmid} at ${r.value.address}; check ${r.value.smoke.check}; smoke scenario ${r.value.smoke.scenario.verdict}`);
    else ctx.log(`[${r.group}] FAILED: ${r.error instanceof LabError ? `${r.error.code}: ` : ''}${r.error instanceof Error ? r.error.message : String(r.error)}`);
  }
  const failed = results.filter((r) => !r.ok).map((r) => r.group);
  if (failed.length > 0) throw new LabError('LAB_GROUP_FAILED', `${command}: ${failed.length} of ${results.length} groups failed (${failed.join(', ')}); fix the cause above and rerun ${command}: finished steps are skipped`);
  const smokeFailed = results.filter((r) => r.ok && r.value.smoke.scenario.verdict === 'failed').map((r) => r.group);
  if (smokeFailed.length > 0) throw new LabError('LAB_SMOKE_FAILED', `${command}: every group converged, but the smoke scenario failed in ${smokeFailed.join(', ')} (the step is above and in lab report); calls do not work there as the scenario expects`);
}
