// `lab down --yes`: stop and destroy each group's VM (disks, and its place in backup jobs and HA).
// Only VMs this lab made are touched; without --yes nothing happens.

import { LabError } from '../lab-error.ts';
import { changePower, destroyVm, listClusterVms } from '../proxmox/index.ts';
import type { LabContext } from './lab-context.ts';
import { observeVm } from './observe.ts';
import { runGroups } from './run-groups.ts';
import { selectGroups } from './select-groups.ts';

export async function labDown(ctx: LabContext, options: { yes: boolean; only?: string[] }): Promise<string[]> {
  const groups = selectGroups(ctx, options.only ?? []);
  if (!options.yes) {
    throw new LabError('LAB_NOT_CONFIRMED', `down destroys the VMs of ${groups.length} groups (${groups.map((g) => g.vmName).join(', ')}) and their disks; run it again with --yes`);
  }
  const cluster = await listClusterVms(ctx.proxmox);
  const results = await runGroups(groups, ctx.lab.parallel ?? 2, async (g) => {
    const say = (line: string): void => ctx.log(`[${g.name}] ${line}`);
    const vm = (await observeVm(ctx.proxmox, g, ctx.template.vmid, cluster)).vm;
    if (vm === undefined) return say('no VM: nothing to destroy');
    if (!vm.owned) return say(`VM ${vm.vmid} named ${vm.name} was not made by this lab: left alone`);
    const ref = { node: vm.node, vmid: vm.vmid };
    if (vm.status === 'running') {
      say(`stop VM ${vm.vmid}`);
      await changePower(ctx.proxmox, ref, 'stop', ctx.waits.task);
    }
    say(`destroy VM ${vm.vmid}`);
    await destroyVm(ctx.proxmox, ref, ctx.waits.task);
    return undefined;
  });
  const failed = results.filter((r) => !r.ok);
  for (const r of failed) if (!r.ok) ctx.log(`[${r.group}] FAILED: ${r.error instanceof Error ? r.error.message : String(r.error)}`);
  if (failed.length > 0) throw new LabError('LAB_GROUP_FAILED', `down: ${failed.length} groups failed (${failed.map((r) => r.group).join(', ')}); rerun down --yes`);
  return results.map((r) => r.group);
}
