// `lab down --yes`: stop and destroy each group's VM (disks, and its place in backup jobs and HA),
// then remove the group's pool if this lab made it (its comment carries the group's marker) and it
// is empty. Only VMs and pools this lab made are touched; without --yes nothing happens.

import { LabError } from '../lab-error.ts';
import type { DesiredGroup } from '../plan/desired-state.ts';
import { templateVmidOf } from '../plan/vm-source.ts';
import { changePower, deletePool, destroyVm, getPool, listClusterVms } from '../proxmox/index.ts';
import type { LabContext } from './lab-context.ts';
import { observeVm } from './observe.ts';
import { runGroups } from './run-groups.ts';
import { selectGroups } from './select-groups.ts';

export async function labDown(ctx: LabContext, options: { yes: boolean; only?: string[] }): Promise<string[]> {
  const groups = selectGroups(ctx, options.only ?? []);
  if (!options.yes) {
    const pools = groups.flatMap((g) => (g.pool === undefined ? [] : [g.pool]));
    throw new LabError('LAB_NOT_CONFIRMED', `down destroys the VMs of ${groups.length} groups (${groups.map((g) => g.vmName).join(', ')}) and their disks${pools.length === 0 ? '' : `, and removes the pools it made (${pools.join(', ')}) once empty`}; run it again with --yes`);
  }
  const cluster = await listClusterVms(ctx.proxmox);
  const results = await runGroups(groups, ctx.lab.parallel ?? 2, async (g) => {
    const say = (line: string): void => ctx.log(`[${g.name}] ${line}`);
    const vm = (await observeVm(ctx.proxmox, g, templateVmidOf(ctx.source), cluster)).vm;
    if (vm === undefined) say('no VM: nothing to destroy');
    else if (!vm.owned) say(`VM ${vm.vmid} named ${vm.name} was not made by this lab: left alone`);
    else {
      const ref = { node: vm.node, vmid: vm.vmid };
      if (vm.status === 'running') {
        say(`stop VM ${vm.vmid}`);
        await changePower(ctx.proxmox, ref, 'stop', ctx.waits.task);
      }
      say(`destroy VM ${vm.vmid}`);
      await destroyVm(ctx.proxmox, ref, ctx.waits.task);
    }
    await removeOwnPool(ctx, g, say);
  });
  const failed = results.filter((r) => !r.ok);
  for (const r of failed) if (!r.ok) ctx.log(`[${r.group}] FAILED: ${r.error instanceof Error ? r.error.message : String(r.error)}`);
  if (failed.length > 0) throw new LabError('LAB_GROUP_FAILED', `down: ${failed.length} groups failed (${failed.map((r) => r.group).join(', ')}); rerun down --yes`);
  return results.map((r) => r.group);
}

async function removeOwnPool(ctx: LabContext, g: DesiredGroup, say: (line: string) => void): Promise<void> {
  if (g.pool === undefined) return;
  const pool = await getPool(ctx.proxmox, g.pool);
  if (pool === undefined) return;
  if (!(pool.comment ?? '').includes(g.marker)) return say(`pool ${g.pool} was not made by this lab: left alone`);
  if (pool.members.length > 0) return say(`pool ${g.pool} still holds ${pool.members.map((m) => m.id).join(', ')}: kept`);
  say(`remove pool ${g.pool}`);
  await deletePool(ctx.proxmox, g.pool);
}
