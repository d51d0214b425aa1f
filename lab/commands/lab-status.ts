// `lab status`: one line per group — VM, power, address, XiVO configured or not, accounts ready,
// the check and the last smoke scenario verdict — read-only.

import { listClusterVms } from '../proxmox/index.ts';
import { inspectGroup, type GroupState } from './inspect-group.ts';
import type { LabContext } from './lab-context.ts';
import { selectGroups } from './select-groups.ts';

export async function labStatus(ctx: LabContext, only: string[] = []): Promise<GroupState[]> {
  const cluster = await listClusterVms(ctx.proxmox);
  const states: GroupState[] = [];
  for (const desired of selectGroups(ctx, only)) {
    const state = await inspectGroup(ctx, desired, cluster);
    states.push(state);
    ctx.log(statusLine(state));
  }
  return states;
}

export function statusLine(s: GroupState): string {
  const vm = s.seen.vm;
  if (vm === undefined) return `[${s.group.name}] no VM (${s.group.vmName} not created)`;
  if (!vm.owned) return `[${s.group.name}] VM ${vm.vmid} named ${vm.name} is not this lab's`;
  const parts = [`VM ${vm.vmid} on ${vm.node} ${vm.status}`, s.cleanSnapshot ? 'clean snapshot' : 'no clean snapshot'];
  if (s.address !== undefined) parts.push(`at ${s.address}`);
  if (s.xivo !== undefined) parts.push(s.xivo.configured ? 'XiVO configured' : 'XiVO not configured');
  parts.push(`check ${s.smoke.check}${s.smoke.check === 'not checked' ? '' : `: ${s.smoke.detail}`}`, `smoke scenario ${s.smoke.scenario.verdict}`);
  if (s.problem !== undefined) parts.push(`(${s.problem})`);
  return `[${s.group.name}] ${parts.join(', ')}`;
}
