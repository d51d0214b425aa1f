// Reads what exists: the group's VM on Proxmox (found by name, owned when tagged or marked by this
// lab) with its config and snapshots, and what its XiVO holds.

import type { DesiredGroup } from '../plan/desired-state.ts';
import type { ObservedVm, VmObservation } from '../plan/plan-vm.ts';
import { emptyInventory, type XivoInventory } from '../plan/xivo-inventory.ts';
import { getVmConfig, isTemplate, listSnapshots, type ClusterVm, type ProxmoxClient } from '../proxmox/index.ts';
import { listEndpointsSip, listExtensions, listGroups, listLines, listQueues, listUsers, wizardConfigured, type XivoClient } from '../xivo/index.ts';

export async function observeVm(proxmox: ProxmoxClient, desired: DesiredGroup, templateVmid: number, cluster: ClusterVm[]): Promise<VmObservation> {
  const qemu = cluster.filter((r) => r.type === 'qemu' && r.vmid !== undefined);
  const template = qemu.find((r) => r.vmid === templateVmid);
  const named = qemu.find((r) => r.name === desired.vmName && !isTemplate(r));
  const holder = desired.vmid === undefined ? undefined : qemu.find((r) => r.vmid === desired.vmid && r !== named);
  if (named === undefined) return { template, vm: undefined, vmidHolder: holder };
  const ref = { node: named.node ?? '', vmid: named.vmid ?? 0 };
  const tags = (named.tags ?? '').split(/[;, ]+/);
  const config = await getVmConfig(proxmox, ref);
  const owned = tags.includes(desired.tag) || String(config['description'] ?? '').includes(desired.marker);
  const vm: ObservedVm = {
    vmid: ref.vmid, node: ref.node, name: desired.vmName, status: named.status === 'running' ? 'running' : 'stopped', owned, config,
    ...(owned ? { snapshots: (await listSnapshots(proxmox, ref)).map((s) => s.name).filter((n) => n !== 'current') } : {}),
  };
  return { template, vm, vmidHolder: holder };
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
