// `lab plan`: what `up` would change in each group, read-only. The XiVO part is exact when the
// VM runs and XiVO answers; otherwise it is what a fresh XiVO needs.

import { describeVmAction, planVm } from '../plan/plan-vm.ts';
import { describeXivoAction, planXivo } from '../plan/plan-xivo.ts';
import { emptyInventory } from '../plan/xivo-inventory.ts';
import { listClusterVms } from '../proxmox/index.ts';
import { inspectGroup } from './inspect-group.ts';
import { poolsFor } from './observe.ts';
import type { LabContext } from './lab-context.ts';
import { selectGroups } from './select-groups.ts';

export interface GroupPlan {
  group: string;
  vm: string[];
  xivo: string[];
  notes: string[];
  blockers: string[];
}

export async function labPlan(ctx: LabContext, only: string[] = []): Promise<GroupPlan[]> {
  const cluster = await listClusterVms(ctx.proxmox);
  const groups = selectGroups(ctx, only);
  const pools = await poolsFor(ctx.proxmox, groups);
  const plans: GroupPlan[] = [];
  for (const desired of groups) {
    const state = await inspectGroup(ctx, desired, cluster, pools);
    const vmPlan = planVm(desired, ctx.source, state.seen);
    const notes = [...vmPlan.notes];
    const inv = state.xivo ?? emptyInventory(false);
    if (state.xivo === undefined && state.seen.vm?.status === 'running') notes.push(`XiVO not read (${state.problem ?? 'no address'}): its part is what a fresh XiVO needs`);
    const plan: GroupPlan = {
      group: desired.name,
      vm: vmPlan.actions.map((a) => describeVmAction(a, desired)),
      xivo: vmPlan.blockers.length > 0 ? [] : planXivo(desired, inv, ctx.flavour.nameOf).map(describeXivoAction),
      notes,
      blockers: vmPlan.blockers.map((b) => `${b.code}: ${b.message}`),
    };
    plans.push(plan);
    const where = state.seen.vm === undefined ? `${desired.vmName} (to create)` : `${desired.vmName} (VMID ${state.seen.vm.vmid} on ${state.seen.vm.node}, ${state.seen.vm.status})`;
    if (plan.vm.length + plan.xivo.length + plan.blockers.length === 0) ctx.log(`[${desired.name}] ${where}: up to date`);
    else {
      ctx.log(`[${desired.name}] ${where}:`);
      for (const line of [...plan.blockers.map((b) => `BLOCKED ${b}`), ...plan.vm, ...plan.xivo.map((x) => `XiVO: ${x}`), ...plan.notes.map((n) => `note: ${n}`)]) ctx.log(`  - ${line}`);
    }
  }
  return plans;
}
