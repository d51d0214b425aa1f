// Carries out one VM action of a plan, each waiting for its Proxmox task. A clone's (or a new VM's)
// VMID is the group's, or the next free one; configuration is recomputed from the VM's current
// config so the MAC address Proxmox generated is kept; a pool the lab makes carries the group's
// marker in its comment, so down removes it and no other.

import { cloudImageVmParams } from '../plan/cloud-image-config.ts';
import { CLEAN_SNAPSHOT, type DesiredGroup } from '../plan/desired-state.ts';
import { changedKeys, desiredVmConfig, type VmAction } from '../plan/plan-vm.ts';
import {
  addVmToPool, changePower, cloneVm, createPool, createSnapshot, createVm, getVmConfig, nextFreeVmid, resizeDisk, updateVmConfig, type VmRef,
} from '../proxmox/index.ts';
import { installXivo } from './install-xivo.ts';
import type { LabContext } from './lab-context.ts';

export function poolComment(desired: DesiredGroup): string {
  return `${desired.marker} (made by voiplab lab; lab down removes it when empty)`;
}

/** Returns the VM's reference (set by a clone or create, else the one given). */
export async function applyVmAction(ctx: LabContext, desired: DesiredGroup, action: VmAction, ref: VmRef | undefined, say: (line: string) => void = () => undefined): Promise<VmRef | undefined> {
  const wait = ctx.waits.task;
  switch (action.kind) {
    case 'pool':
      await createPool(ctx.proxmox, action.pool, poolComment(desired));
      return ref;
    case 'clone': {
      const vmid = action.vmid ?? await nextFreeVmid(ctx.proxmox);
      await cloneVm(ctx.proxmox, {
        node: action.template.node, templateVmid: action.template.vmid, newid: vmid, name: desired.vmName, full: action.template.full,
        target: action.node, description: `${desired.marker} (made by voiplab lab; do not edit this line)`,
        ...(desired.pool === undefined ? {} : { pool: desired.pool }),
        ...(action.template.full && ctx.lab.proxmox.storage !== undefined ? { storage: ctx.lab.proxmox.storage } : {}),
      }, wait);
      return { node: action.node, vmid };
    }
    case 'create': {
      const vmid = action.vmid ?? await nextFreeVmid(ctx.proxmox);
      await createVm(ctx.proxmox, action.node, vmid, cloudImageVmParams(desired, action.image), `create VM ${vmid} (${desired.vmName}) from ${action.image.image}`, wait);
      return { node: action.node, vmid };
    }
    default:
      break;
  }
  if (ref === undefined) throw new Error(`${action.kind} before the VM exists`);
  switch (action.kind) {
    case 'join-pool':
      await addVmToPool(ctx.proxmox, action.pool, ref.vmid);
      break;
    case 'resize':
      await resizeDisk(ctx.proxmox, ref, action.disk, action.size, wait);
      break;
    case 'configure': {
      const current = await getVmConfig(ctx.proxmox, ref);
      const params = desiredVmConfig(desired, current);
      const changed = changedKeys(params, current);
      if (changed.length > 0) await updateVmConfig(ctx.proxmox, ref, Object.fromEntries(changed.map((k) => [k, params[k]])), wait);
      break;
    }
    case 'install': {
      const outcome = await installXivo(ctx.proxmox, ref, action.installer, action.image, { agent: ctx.waits.agent, poll: ctx.waits.agent });
      if (outcome === 'already installed') say('XiVO is already installed in the guest (its marker is there): installer skipped');
      break;
    }
    case 'shutdown':
      await changePower(ctx.proxmox, ref, 'shutdown', wait);
      break;
    case 'snapshot':
      await createSnapshot(ctx.proxmox, ref, CLEAN_SNAPSHOT, action.afterInstall === true
        ? 'voiplab: XiVO installed from the cloud image, before its wizard (lab reset rolls back here)'
        : 'voiplab: cloned and configured, before first boot (lab reset rolls back here)', wait);
      break;
    case 'start':
      await changePower(ctx.proxmox, ref, 'start', wait);
      break;
  }
  return ref;
}
