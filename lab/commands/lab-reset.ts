// `lab reset`: roll each group's VM back to its clean snapshot (taken by `up` before first boot),
// then provision it again as `up` does: students get a fresh XiVO with the same accounts.

import { LabError } from '../lab-error.ts';
import { CLEAN_SNAPSHOT } from '../plan/desired-state.ts';
import { templateVmidOf } from '../plan/vm-source.ts';
import { changePower, listClusterVms, rollbackSnapshot } from '../proxmox/index.ts';
import { convergeGroup, type ConvergeResult } from './converge-group.ts';
import type { LabContext } from './lab-context.ts';
import { reportOutcome } from './lab-up.ts';
import { observeVm } from './observe.ts';
import { runGroups, type Settled } from './run-groups.ts';
import { selectGroups } from './select-groups.ts';
import { loadSmokeScenario } from './smoke-scenario.ts';

export async function labReset(ctx: LabContext, only: string[] = []): Promise<Array<Settled<ConvergeResult>>> {
  const smoke = await loadSmokeScenario(ctx);
  const results = await runGroups(selectGroups(ctx, only), ctx.lab.parallel ?? 2, async (g) => {
    const say = (line: string): void => ctx.log(`[${g.name}] ${line}`);
    const seen = await observeVm(ctx.proxmox, g, templateVmidOf(ctx.source), await listClusterVms(ctx.proxmox));
    const vm = seen.vm;
    if (vm === undefined || !vm.owned) throw new LabError('LAB_NO_SNAPSHOT', `group ${g.name} has no VM of this lab to reset; run lab up`);
    if (!(vm.snapshots ?? []).includes(CLEAN_SNAPSHOT)) throw new LabError('LAB_NO_SNAPSHOT', `VM ${vm.vmid} has no ${CLEAN_SNAPSHOT} snapshot (it was started before one was taken); lab down --yes --group ${g.name} then lab up rebuilds it`);
    const ref = { node: vm.node, vmid: vm.vmid };
    if (vm.status === 'running') {
      say(`stop VM ${vm.vmid}`);
      await changePower(ctx.proxmox, ref, 'stop', ctx.waits.task);
    }
    say(`roll back VM ${vm.vmid} to ${CLEAN_SNAPSHOT}`);
    await rollbackSnapshot(ctx.proxmox, ref, CLEAN_SNAPSHOT, ctx.waits.task);
    return convergeGroup(ctx, g, say, smoke);
  });
  reportOutcome(ctx, results, 'reset');
  return results;
}
