// Resource pools through the PVE 9 API (`/pools` with `poolid` as a parameter; the older
// `/pools/{poolid}` paths are deprecated): list, create with a comment that marks who made it,
// add a VM, read members, delete an empty pool. Every call needs Pool.Allocate on /pool/<pool>
// (listing shows only pools with Pool.Audit).

import type { ProxmoxClient } from './proxmox-client.ts';

export interface PoolEntry {
  poolid: string;
  comment?: string;
}

export interface PoolMember {
  id: string;
  node: string;
  type: string;
  vmid?: number;
}

export function listPools(client: ProxmoxClient): Promise<PoolEntry[]> {
  return client.get<PoolEntry[]>('/pools');
}

/** The pool with its members, or undefined when this credential cannot see it (or it does not exist). */
export async function getPool(client: ProxmoxClient, poolid: string): Promise<(PoolEntry & { members: PoolMember[] }) | undefined> {
  if (!(await listPools(client)).some((p) => p.poolid === poolid)) return undefined;
  const [pool] = await client.get<Array<PoolEntry & { members?: PoolMember[] }>>('/pools', { poolid });
  return pool === undefined ? undefined : { ...pool, members: pool.members ?? [] };
}

export async function createPool(client: ProxmoxClient, poolid: string, comment: string): Promise<void> {
  await client.post('/pools', { poolid, comment });
}

/** Moves the VM into the pool (out of any other: allow-move). */
export async function addVmToPool(client: ProxmoxClient, poolid: string, vmid: number): Promise<void> {
  await client.put('/pools', { poolid, vms: String(vmid), 'allow-move': true });
}

export async function deletePool(client: ProxmoxClient, poolid: string): Promise<void> {
  await client.delete('/pools', { poolid });
}
