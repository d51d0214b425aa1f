// The Proxmox half of a plan, as a pure function: what a group's VM lacks compared with what the
// lab wants (clone, configuration, clean snapshot, power), and what blocks it (a missing template,
// a VMID or name held by a VM this lab did not make).

import { LabError } from '../lab-error.ts';
import { formatIpConfig, formatNetDevice, parseIpConfig, parseNetDevice } from '../proxmox/proxmox-net-config.ts';
import type { ClusterVm } from '../proxmox/proxmox-vms.ts';
import { CLEAN_SNAPSHOT, type DesiredGroup } from './desired-state.ts';

export interface ObservedVm {
  vmid: number;
  node: string;
  name: string;
  status: 'running' | 'stopped';
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
}

export interface TemplateRef {
  vmid: number;
  node: string;
  full: boolean;
}

export type VmAction =
  | { kind: 'clone'; template: TemplateRef; vmid: number | undefined; node: string }
  | { kind: 'configure'; params: Record<string, string | number>; changed: string[] }
  | { kind: 'snapshot' }
  | { kind: 'start' };

export interface VmPlan {
  actions: VmAction[];
  blockers: LabError[];
  notes: string[];
}

export function planVm(desired: DesiredGroup, template: TemplateRef, seen: VmObservation): VmPlan {
  const blockers: LabError[] = [];
  const notes: string[] = [];
  const vm = seen.vm;
  if (vm !== undefined && !vm.owned) {
    blockers.push(new LabError('LAB_VMID_TAKEN', `group ${desired.name}: a VM named ${vm.name} (VMID ${vm.vmid}) exists but was not made by lab ${desired.lab} (no tag ${desired.tag}); rename or remove it, or rename the group`));
    return { actions: [], blockers, notes };
  }
  if (vm === undefined) {
    if (seen.vmidHolder !== undefined) {
      blockers.push(new LabError('LAB_VMID_TAKEN', `group ${desired.name}: VMID ${desired.vmid ?? '?'} is taken by ${seen.vmidHolder.name ?? 'a VM'} on ${seen.vmidHolder.node ?? '?'}, which this lab did not make; pick another vmid or vm.vmidRange`));
    }
    if (seen.template === undefined || seen.template.node !== template.node || (seen.template.template !== 1 && seen.template.template !== true)) {
      const found = seen.template === undefined ? 'no VM has that VMID' : seen.template.node !== template.node ? `it is on node ${seen.template.node ?? '?'}` : 'it is a VM, not a template';
      blockers.push(new LabError('LAB_TEMPLATE_MISSING', `template ${template.vmid} on node ${template.node} cannot be cloned: ${found}; prepare the XiVO template (docs/lab.md) and convert it (qm template ${template.vmid}), or fix source.template`));
    }
    if (blockers.length > 0) return { actions: [], blockers, notes };
    const params = desiredVmConfig(desired, undefined);
    return {
      actions: [
        { kind: 'clone', template, vmid: desired.vmid, node: desired.node },
        { kind: 'configure', params, changed: Object.keys(params) },
        { kind: 'snapshot' },
        { kind: 'start' },
      ],
      blockers, notes,
    };
  }
  if (desired.vmid !== undefined && vm.vmid !== desired.vmid) notes.push(`VM ${vm.name} is VMID ${vm.vmid}, not ${desired.vmid}; it is kept`);
  const actions: VmAction[] = [];
  const params = desiredVmConfig(desired, vm.config);
  const changed = changedKeys(params, vm.config ?? {});
  if (changed.length > 0) {
    actions.push({ kind: 'configure', params: Object.fromEntries(changed.map((k) => [k, params[k] ?? ''])), changed });
    if (vm.status === 'running') notes.push(`${changed.join(', ')} change while the VM runs: network and cloud-init changes apply at its next restart (or lab reset)`);
  }
  const hasClean = vm.snapshots?.includes(CLEAN_SNAPSHOT) ?? false;
  if (!hasClean && vm.status === 'stopped') actions.push({ kind: 'snapshot' });
  if (!hasClean && vm.status === 'running') notes.push(`no ${CLEAN_SNAPSHOT} snapshot (the VM was started before one was taken): lab reset is not possible for this group`);
  if (vm.status !== 'running') actions.push({ kind: 'start' });
  return { actions, blockers, notes };
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
    case 'clone':
      return `clone template ${action.template.vmid} (${action.template.full ? 'full' : 'linked'}) → ${desired.vmName}, VMID ${action.vmid ?? 'next free'} on ${action.node}`;
    case 'configure':
      return `configure ${action.changed.map((k) => `${k}=${k === 'description' ? '…' : String(action.params[k])}`).join(' ')}`;
    case 'snapshot':
      return `take snapshot ${CLEAN_SNAPSHOT} (before first boot, for lab reset)`;
    case 'start':
      return 'start the VM';
  }
}
