// A group as it is now, read without changing anything and without long waits: its VM, the clean
// snapshot, the guest's address (if the agent answers), what its XiVO holds and the check result.
// `status`, `plan` and `report` are built on this.

import type { DesiredGroup } from '../plan/desired-state.ts';
import { CLEAN_SNAPSHOT } from '../plan/desired-state.ts';
import type { VmObservation } from '../plan/plan-vm.ts';
import type { XivoInventory } from '../plan/xivo-inventory.ts';
import { templateVmidOf } from '../plan/vm-source.ts';
import { networkInterfaces, pickIpv4, type ClusterVm, type PoolEntry } from '../proxmox/index.ts';
import type { XivoClient } from '../xivo/index.ts';
import type { LabContext } from './lab-context.ts';
import { observeVm, observeXivo } from './observe.ts';
import { smokeCheck, type SmokeResult } from './smoke-check.ts';
import { lastSmokeOutcome } from './smoke-scenario.ts';

export interface GroupState {
  group: DesiredGroup;
  seen: VmObservation;
  cleanSnapshot: boolean;
  address?: string;
  xivo?: XivoInventory;
  client?: XivoClient;
  /** Why the address or XiVO could not be read. */
  problem?: string;
  smoke: SmokeResult;
}

export async function inspectGroup(ctx: LabContext, desired: DesiredGroup, cluster: ClusterVm[], pools?: PoolEntry[]): Promise<GroupState> {
  const seen = await observeVm(ctx.proxmox, desired, templateVmidOf(ctx.source), cluster, pools);
  const vm = seen.vm;
  const scenario = await lastSmokeOutcome(ctx, desired.name, vm?.owned === true ? vm.vmid : undefined);
  const state: GroupState = { group: desired, seen, cleanSnapshot: vm?.snapshots?.includes(CLEAN_SNAPSHOT) ?? false, smoke: smokeCheck(desired, undefined, ctx.flavour, scenario) };
  if (vm === undefined || !vm.owned || vm.status !== 'running') return state;
  try {
    const ip = pickIpv4(await networkInterfaces(ctx.proxmox, { node: vm.node, vmid: vm.vmid }));
    if (ip === undefined) return { ...state, problem: 'the guest agent reports no IPv4 address yet' };
    state.address = ip.address;
    state.client = ctx.xivoClient(await ctx.resolveXivo(ip.address, { node: vm.node, vmid: vm.vmid }));
    state.xivo = await observeXivo(state.client);
    state.smoke = smokeCheck(desired, state.xivo, ctx.flavour, scenario);
  } catch (err) {
    state.problem = (err as Error).message;
  }
  return state;
}
