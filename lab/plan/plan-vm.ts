// The Proxmox half of a plan, as a pure function: what a group's VM lacks compared with what the
// lab wants (its pool, a clone or a VM made from a cloud image with XiVO installed in it,
// configuration, clean snapshot, power), and what blocks it (a missing template, a VMID or name
// held by a VM this lab did not make).

import { LabError } from '../lab-error.ts';
import { formatIpConfig, formatNetDevice, parseIpConfig, parseNetDevice } from '../proxmox/proxmox-net-config.ts';
import type { ClusterVm } from '../proxmox/proxmox-vms.ts';
import { CLEAN_SNAPSHOT, type DesiredGroup } from './desired-state.ts';
import { isCloudImage, type CloudImageRef, type InstallerRef, type TemplateRef, type VmSource } from './vm-source.ts';

export type { TemplateRef } from './vm-source.ts';

export interface ObservedVm {
  vmid: number;
  node: string;
  name: string;
  status: 'running' | 'stopped';
  /** The pool the cluster lists it in. */
  pool?: string;
  /** Tagged or marked as made by this lab. */
  owned: boolean;
  config?: Record<string, string | number | undefined>;
  snapshots?: string[];
}

export interface VmObservation {
  /** The template as the cluster lists it, if any VM has its VMID. */
  template: ClusterVm | undefined;
  /** The group's VM, found by name. */
  vm: ObservedVm | undefined;
  /** Whatever holds the group's VMID, when that is not the group's VM. */
  vmidHolder: ClusterVm | undefined;
  /** The group's pool, when it has one: does it exist, did this lab make it. */
  pool?: { poolid: string; exists: boolean; owned: boolean };
}

/** The disk a cloud image is imported to. */
export const IMAGE_DISK = 'scsi0';

export type VmAction =
  | { kind: 'pool'; pool: string }
  | { kind: 'join-pool'; pool: string }
  | { kind: 'clone'; template: TemplateRef; vmid: number | undefined; node: string }
  | { kind: 'create'; image: CloudImageRef; vmid: number | undefined; node: string }
  | { kind: 'resize'; disk: string; size: string }
  | { kind: 'configure'; params: Record<string, string | number>; changed: string[] }
  | { kind: 'install'; installer: InstallerRef; image: string }
  | { kind: 'shutdown' }
  | { kind: 'snapshot'; afterInstall?: boolean }
  | { kind: 'start' };

export interface VmPlan {
  actions: VmAction[];
  blockers: LabError[];
  notes: string[];
}

export function planVm(desired: DesiredGroup, source: VmSource, seen: VmObservation): VmPlan {
  const blockers: LabError[] = [];
  const notes: string[] = [];
  const vm = seen.vm;
  if (vm !== undefined && !vm.owned) {
    blockers.push(new LabError('LAB_VMID_TAKEN', `group ${desired.name}: a VM named ${vm.name} (VMID ${vm.vmid}) exists but was not made by lab ${desired.lab} (no tag ${desired.tag}); rename or remove it, or rename the group`));
    return { actions: [], blockers, notes };
  }
  // The pool comes first: a clone or a new VM is placed in it as it is made.
  const pool: VmAction[] = desired.pool !== undefined && seen.pool?.exists !== true ? [{ kind: 'pool', pool: desired.pool }] : [];
  if (vm === undefined) {
    if (seen.vmidHolder !== undefined) {
      blockers.push(new LabError('LAB_VMID_TAKEN', `group ${desired.name}: VMID ${desired.vmid ?? '?'} is taken by ${seen.vmidHolder.name ?? 'a VM'} on ${seen.vmidHolder.node ?? '?'}, which this lab did not make; pick another vmid or vm.vmidRange`));
    }
    if (isCloudImage(source)) {
      if (blockers.length > 0) return { actions: [], blockers, notes };
      return { actions: [...pool, { kind: 'create', image: source, vmid: desired.vmid, node: desired.node }, ...installSteps(source, undefined, 'stopped')], blockers, notes };
    }
    if (seen.template === undefined || seen.template.node !== source.node || (seen.template.template !== 1 && seen.template.template !== true)) {
      const found = seen.template === undefined ? 'no VM has that VMID' : seen.template.node !== source.node ? `it is on node ${seen.template.node ?? '?'}` : 'it is a VM, not a template';
      blockers.push(new LabError('LAB_TEMPLATE_MISSING', `template ${source.vmid} on node ${source.node} cannot be cloned: ${found}; prepare the XiVO template (docs/lab.md) and convert it (qm template ${source.vmid}), or fix source.template`));
    }
    if (blockers.length > 0) return { actions: [], blockers, notes };
    const params = desiredVmConfig(desired, undefined);
    return {
      actions: [
        ...pool,
        { kind: 'clone', template: source, vmid: desired.vmid, node: desired.node },
        { kind: 'configure', params, changed: Object.keys(params) },
        { kind: 'snapshot' },
        { kind: 'start' },
      ],
      blockers, notes,
    };
  }
  if (desired.vmid !== undefined && vm.vmid !== desired.vmid) notes.push(`VM ${vm.name} is VMID ${vm.vmid}, not ${desired.vmid}; it is kept`);
  const actions: VmAction[] = [...pool];
  if (desired.pool !== undefined && vm.pool !== desired.pool) actions.push({ kind: 'join-pool', pool: desired.pool });
  const params = desiredVmConfig(desired, vm.config);
  const changed = changedKeys(params, vm.config ?? {});
  if (changed.length > 0) {
    actions.push({ kind: 'configure', params: Object.fromEntries(changed.map((k) => [k, params[k] ?? ''])), changed });
    if (vm.status === 'running') notes.push(`${changed.join(', ')} change while the VM runs: network and cloud-init changes apply at its next restart (or lab reset)`);
  }
  const hasClean = vm.snapshots?.includes(CLEAN_SNAPSHOT) ?? false;
  if (isCloudImage(source) && !hasClean) {
    // No clean snapshot yet: the install did not finish (or failed); it is run again.
    actions.push(...installSteps(source, vm.config?.[IMAGE_DISK], vm.status));
    return { actions, blockers, notes };
  }
  if (!hasClean && vm.status === 'stopped') actions.push({ kind: 'snapshot' });
  if (!hasClean && vm.status === 'running') notes.push(`no ${CLEAN_SNAPSHOT} snapshot (the VM was started before one was taken): lab reset is not possible for this group`);
  if (vm.status !== 'running') actions.push({ kind: 'start' });
  return { actions, blockers, notes };
}

/** After the VM is made from the image: grow its disk, boot it, install XiVO, then snapshot it stopped, as a clone is. */
function installSteps(source: CloudImageRef, disk: string | number | undefined, status: 'running' | 'stopped'): VmAction[] {
  const steps: VmAction[] = [];
  if (diskGiB(disk) < source.diskGiB) steps.push({ kind: 'resize', disk: IMAGE_DISK, size: `${source.diskGiB}G` });
  if (status !== 'running') steps.push({ kind: 'start' });
  steps.push({ kind: 'install', installer: source.installer, image: source.image }, { kind: 'shutdown' }, { kind: 'snapshot', afterInstall: true }, { kind: 'start' });
  return steps;
}

/** The size of a disk option (`local-lvm:vm-201-disk-0,size=2G`) in GiB; 0 when unknown. */
export function diskGiB(option: string | number | undefined): number {
  const m = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)/.exec(String(option ?? ''));
  if (m === null) return 0;
  const factor = { K: 1 / 1024 / 1024, M: 1 / 1024, G: 1, T: 1024, '': 1 / 1024 / 1024 / 1024 }[m[2] as 'K' | 'M' | 'G' | 'T' | ''];
  return Number(m[1]) * factor;
}

/** The VM options the lab sets, keeping what Proxmox chose (the MAC address) and others' tags. */
export function desiredVmConfig(desired: DesiredGroup, current: Record<string, string | number | undefined> | undefined): Record<string, string | number> {
  const net = parseNetDevice(String(current?.['net0'] ?? 'virtio'));
  const tags = splitTags(current?.['tags']);
  const description = String(current?.['description'] ?? '');
  const params: Record<string, string | number> = {
    net0: formatNetDevice({ model: net.model === '' ? 'virtio' : net.model, ...(net.mac === undefined ? {} : { mac: net.mac }), bridge: desired.bridge, tag: desired.vlan }),
    ipconfig0: formatIpConfig(desired.ip),
    cores: desired.cores,
    memory: String(desired.memory),
    agent: '1',
    tags: [...new Set([...tags, desired.tag])].join(';'),
    description: description.includes(desired.marker) ? description : [description, `${desired.marker} (made by voiplab lab; do not edit this line)`].filter((l) => l !== '').join('\n'),
  };
  if (desired.nameservers.length > 0) params['nameserver'] = desired.nameservers.join(' ');
  if (desired.searchDomain !== undefined) params['searchdomain'] = desired.searchDomain;
  return params;
}

function splitTags(value: string | number | undefined): string[] {
  return value === undefined ? [] : String(value).split(/[;, ]+/).filter((t) => t !== '');
}

/** Keys whose current value differs in meaning (not only in spelling) from the desired one. */
export function changedKeys(desired: Record<string, string | number>, current: Record<string, string | number | undefined>): string[] {
  return Object.keys(desired).filter((key) => {
    const want = String(desired[key]);
    const have = current[key] === undefined ? undefined : String(current[key]);
    if (have === undefined) return true;
    switch (key) {
      case 'net0': {
        const a = parseNetDevice(want);
        const b = parseNetDevice(have);
        return a.bridge !== b.bridge || a.tag !== b.tag || a.model !== b.model;
      }
      case 'ipconfig0':
        return JSON.stringify(parseIpConfig(want)) !== JSON.stringify(parseIpConfig(have));
      case 'agent':
        return !/^(enabled=)?1\b/.test(have);
      case 'memory':
        return Number(have.replace(/^current=/, '').split(',')[0]) !== Number(want);
      case 'tags': {
        const wanted = splitTags(want);
        const present = new Set(splitTags(have));
        return !wanted.every((t) => present.has(t));
      }
      case 'description':
        return have !== want && !want.split('\n').every((line) => have.includes(line));
      default:
        return have !== want;
    }
  });
}

export function describeVmAction(action: VmAction, desired: DesiredGroup): string {
  switch (action.kind) {
    case 'pool':
      return `create pool ${action.pool} (the group's own)`;
    case 'join-pool':
      return `move the VM into pool ${action.pool}`;
    case 'clone':
      return `clone template ${action.template.vmid} (${action.template.full ? 'full' : 'linked'}) → ${desired.vmName}, VMID ${action.vmid ?? 'next free'} on ${action.node}${desired.pool === undefined ? '' : ` in pool ${desired.pool}`}, VLAN ${desired.vlan}`;
    case 'create':
      return `create ${desired.vmName}, VMID ${action.vmid ?? 'next free'} on ${action.node}${desired.pool === undefined ? '' : ` in pool ${desired.pool}`}, VLAN ${desired.vlan}, from cloud image ${action.image.image} (disk on ${action.image.storage})`;
    case 'resize':
      return `grow disk ${action.disk} to ${action.size}`;
    case 'configure':
      return `configure ${action.changed.map((k) => `${k}=${k === 'description' ? '…' : String(action.params[k])}`).join(' ')}${action.changed.includes('net0') ? ` (VLAN ${desired.vlan})` : ''}`;
    case 'install':
      return `install XiVO ${action.installer.version} through the guest agent (${action.installer.url ?? 'installer script'})`;
    case 'shutdown':
      return 'shut the VM down for its clean snapshot';
    case 'snapshot':
      return action.afterInstall === true ? `take snapshot ${CLEAN_SNAPSHOT} (XiVO installed, before its wizard, for lab reset)` : `take snapshot ${CLEAN_SNAPSHOT} (before first boot, for lab reset)`;
    case 'start':
      return 'start the VM';
  }
}
