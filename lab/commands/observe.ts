// Reads what exists: the group's VM on Proxmox (found by name, owned when tagged or marked by this
// lab) with its config, snapshots and pool, the group's pool, and what its XiVO holds.

import type { DesiredGroup } from '../plan/desired-state.ts';
import type { ObservedVm, VmObservation } from '../plan/plan-vm.ts';
import { emptyInventory, type XivoInventory } from '../plan/xivo-inventory.ts';
import { getVmConfig, isTemplate, listPools, listSnapshots, type ClusterVm, type PoolEntry, type ProxmoxClient } from '../proxmox/index.ts';
import { listEndpointsSip, listExtensions, listGroups, listLines, listQueues, listUsers, wizardConfigured, type XivoClient } from '../xivo/index.ts';

/** `pools` (GET /pools) is needed only to plan the group's pool; without it the pool is not observed. */
export async function observeVm(proxmox: ProxmoxClient, desired: DesiredGroup, templateVmid: number | undefined, cluster: ClusterVm[], pools?: PoolEntry[]): Promise<VmObservation> {
  const qemu = cluster.filter((r) => r.type === 'qemu' && r.vmid !== undefined);
  const template = templateVmid === undefined ? undefined : qemu.find((r) => r.vmid === templateVmid);
  const poolSeen = desired.pool === undefined || pools === undefined ? {} : { pool: observePool(desired, desired.pool, pools) };
  const named = qemu.find((r) => r.name === desired.vmName && !isTemplate(r));
  const holder = desired.vmid === undefined ? undefined : qemu.find((r) => r.vmid === desired.vmid && r !== named);
  if (named === undefined) return { template, vm: undefined, vmidHolder: holder, ...poolSeen };
  const ref = { node: named.node ?? '', vmid: named.vmid ?? 0 };
  const tags = (named.tags ?? '').split(/[;, ]+/);
  const config = await getVmConfig(proxmox, ref);
  const owned = tags.includes(desired.tag) || String(config['description'] ?? '').includes(desired.marker);
  const vm: ObservedVm = {
    vmid: ref.vmid, node: ref.node, name: desired.vmName, status: named.status === 'running' ? 'running' : 'stopped', owned, config,
    ...(named.pool === undefined ? {} : { pool: named.pool }),
    ...(owned ? { snapshots: (await listSnapshots(proxmox, ref)).map((s) => s.name).filter((n) => n !== 'current') } : {}),
  };
  return { template, vm, vmidHolder: holder, ...poolSeen };
}

function observePool(desired: DesiredGroup, poolid: string, pools: PoolEntry[]): { poolid: string; exists: boolean; owned: boolean } {
  const found = pools.find((p) => p.poolid === poolid);
  return { poolid, exists: found !== undefined, owned: (found?.comment ?? '').includes(desired.marker) };
}

/** GET /pools, only when some group has a pool (a lab without pools needs no pool privilege). */
export async function poolsFor(proxmox: ProxmoxClient, groups: DesiredGroup[]): Promise<PoolEntry[] | undefined> {
  return groups.some((g) => g.pool !== undefined) ? listPools(proxmox) : undefined;
}

export async function observeXivo(client: XivoClient): Promise<XivoInventory> {
  const { configured } = await wizardConfigured(client);
  if (!configured) return emptyInventory(false);
  const [users, endpoints, lines, extensions, groups, queues] = await Promise.all([
    listUsers(client), listEndpointsSip(client), listLines(client), listExtensions(client), listGroups(client),
    client.flavour.queueBody === undefined ? Promise.resolve(undefined) : listQueues(client),
  ]);
  return { configured, users, endpoints, lines, extensions, groups, queues };
}
