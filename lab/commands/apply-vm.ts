// Carries out one VM action of a plan, each waiting for its Proxmox task. A clone's VMID is the
// group's (or the next free one), and configuration is recomputed from the VM's current config so
// the MAC address Proxmox generated is kept.

import { CLEAN_SNAPSHOT, type DesiredGroup } from '../plan/desired-state.ts';
import { changedKeys, desiredVmConfig, type VmAction } from '../plan/plan-vm.ts';
import { changePower, cloneVm, createSnapshot, getVmConfig, nextFreeVmid, updateVmConfig, type VmRef } from '../proxmox/index.ts';
import type { LabContext } from './lab-context.ts';

/** Returns the VM's reference (set by a clone, else the one given). */
export async function applyVmAction(ctx: LabContext, desired: DesiredGroup, action: VmAction, ref: VmRef | undefined): Promise<VmRef> {
  const wait = ctx.waits.task;
  if (action.kind === 'clone') {
    const vmid = action.vmid ?? await nextFreeVmid(ctx.proxmox);
    await cloneVm(ctx.proxmox, {
      node: action.template.node, templateVmid: action.template.vmid, newid: vmid, name: desired.vmName, full: action.template.full,
      target: action.node, description: `${desired.marker} (made by voiplab lab; do not edit this line)`,
      ...(desired.pool === undefined ? {} : { pool: desired.pool }),
      ...(action.template.full && ctx.lab.proxmox.storage !== undefined ? { storage: ctx.lab.proxmox.storage } : {}),
    }, wait);
    return { node: action.node, vmid };
  }
  if (ref === undefined) throw new Error(`${action.kind} before the VM exists`);
  switch (action.kind) {
    case 'configure': {
      const current = await getVmConfig(ctx.proxmox, ref);
      const params = desiredVmConfig(desired, current);
      const changed = changedKeys(params, current);
      if (changed.length > 0) await updateVmConfig(ctx.proxmox, ref, Object.fromEntries(changed.map((k) => [k, params[k]])), wait);
      break;
    }
    case 'snapshot':
      await createSnapshot(ctx.proxmox, ref, CLEAN_SNAPSHOT, 'voiplab: cloned and configured, before first boot (lab reset rolls back here)', wait);
      break;
    case 'start':
      await changePower(ctx.proxmox, ref, 'start', wait);
      break;
  }
  return ref;
}
