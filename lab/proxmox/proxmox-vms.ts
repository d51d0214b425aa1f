// VM operations on the Proxmox API, each one call plus, for tasks, the wait to completion: listing,
// next free VMID, clone, create, config, disk resize, power, snapshots, destroy.

import type { QueryValue } from '../http/http-request.ts';
import { LabError } from '../lab-error.ts';
import type { ProxmoxClient, ProxmoxParams } from './proxmox-client.ts';
import { waitForTask, DEFAULT_TASK_WAIT, type TaskWait } from './proxmox-tasks.ts';

/** An entry of GET /cluster/resources?type=vm (booleans arrive as 0/1). */
export interface ClusterVm {
  id: string;
  type: string;
  vmid?: number;
  name?: string;
  node?: string;
  status?: string;
  pool?: string;
  tags?: string;
  template?: number | boolean;
}

export interface VmRef {
  node: string;
  vmid: number;
}

export interface VmStatus {
  status: 'running' | 'stopped';
  vmid: number;
  name?: string;
  qmpstatus?: string;
  agent?: number | boolean;
  lock?: string;
}

export interface Snapshot {
  name: string;
  description?: string;
  snaptime?: number;
  parent?: string;
}

const qemu = (ref: VmRef): string => `/nodes/${encodeURIComponent(ref.node)}/qemu/${ref.vmid}`;

export function listClusterVms(client: ProxmoxClient): Promise<ClusterVm[]> {
  return client.get<ClusterVm[]>('/cluster/resources', { type: 'vm' });
}

export function isTemplate(vm: ClusterVm): boolean {
  return vm.template === 1 || vm.template === true;
}

/** The lowest VMID free in the whole cluster, as Proxmox proposes it. */
export async function nextFreeVmid(client: ProxmoxClient): Promise<number> {
  const id = await client.get<number | string>('/cluster/nextid');
  const vmid = Number(id);
  if (!Number.isInteger(vmid)) throw new LabError('LAB_BAD_RESPONSE', `GET /cluster/nextid answered ${JSON.stringify(id)}, not a VMID`);
  return vmid;
}

export interface CloneRequest {
  /** Node holding the template. */
  node: string;
  templateVmid: number;
  newid: number;
  name: string;
  full: boolean;
  pool?: string;
  /** Target storage, full clones only. */
  storage?: string;
  /** Node to create the clone on, when not the template's (needs shared storage). */
  target?: string;
  description?: string;
}

export async function cloneVm(client: ProxmoxClient, request: CloneRequest, wait: TaskWait = DEFAULT_TASK_WAIT): Promise<void> {
  const params: ProxmoxParams = {
    newid: request.newid, name: request.name, full: request.full, pool: request.pool, description: request.description,
    storage: request.full ? request.storage : undefined,
    target: request.target !== undefined && request.target !== request.node ? request.target : undefined,
  };
  const upid = await client.post<string>(`${qemu({ node: request.node, vmid: request.templateVmid })}/clone`, params);
  await waitForTask(client, upid, `clone ${request.templateVmid} → ${request.newid} (${request.name})`, wait);
}

/** POST /nodes/{node}/qemu: a new VM from parameters (disks imported with import-from), waited for. */
export async function createVm(client: ProxmoxClient, node: string, vmid: number, params: ProxmoxParams, what: string, wait: TaskWait = DEFAULT_TASK_WAIT): Promise<void> {
  const upid = await client.post<string>(`/nodes/${encodeURIComponent(node)}/qemu`, { ...params, vmid });
  await waitForTask(client, upid, what, wait);
}

/** Grows a disk to `size` (e.g. `20G`); PVE 9 answers with a task. */
export async function resizeDisk(client: ProxmoxClient, ref: VmRef, disk: string, size: string, wait: TaskWait = DEFAULT_TASK_WAIT): Promise<void> {
  const upid = await client.put<string | null>(`${qemu(ref)}/resize`, { disk, size });
  if (typeof upid === 'string' && upid.startsWith('UPID:')) await waitForTask(client, upid, `grow ${disk} of VM ${ref.vmid} to ${size}`, wait);
}

export function getVmConfig(client: ProxmoxClient, ref: VmRef): Promise<Record<string, string | number | undefined>> {
  return client.get(`${qemu(ref)}/config`);
}

/** POST config: asynchronous (a UPID when something had to be done, null otherwise). */
export async function updateVmConfig(client: ProxmoxClient, ref: VmRef, params: ProxmoxParams, wait: TaskWait = DEFAULT_TASK_WAIT): Promise<void> {
  const upid = await client.post<string | null>(`${qemu(ref)}/config`, params);
  if (typeof upid === 'string' && upid.startsWith('UPID:')) await waitForTask(client, upid, `configure VM ${ref.vmid}`, wait);
}

export function vmStatus(client: ProxmoxClient, ref: VmRef): Promise<VmStatus> {
  return client.get<VmStatus>(`${qemu(ref)}/status/current`);
}

export type PowerAction = 'start' | 'shutdown' | 'stop';

export async function changePower(client: ProxmoxClient, ref: VmRef, action: PowerAction, wait: TaskWait = DEFAULT_TASK_WAIT, params: ProxmoxParams = {}): Promise<void> {
  const upid = await client.post<string>(`${qemu(ref)}/status/${action}`, params);
  await waitForTask(client, upid, `${action} VM ${ref.vmid}`, wait);
}

export function listSnapshots(client: ProxmoxClient, ref: VmRef): Promise<Snapshot[]> {
  return client.get<Snapshot[]>(`${qemu(ref)}/snapshot`);
}

export async function createSnapshot(client: ProxmoxClient, ref: VmRef, snapname: string, description: string, wait: TaskWait = DEFAULT_TASK_WAIT): Promise<void> {
  const upid = await client.post<string>(`${qemu(ref)}/snapshot`, { snapname, description });
  await waitForTask(client, upid, `snapshot ${snapname} of VM ${ref.vmid}`, wait);
}

export async function rollbackSnapshot(client: ProxmoxClient, ref: VmRef, snapname: string, wait: TaskWait = DEFAULT_TASK_WAIT): Promise<void> {
  const upid = await client.post<string>(`${qemu(ref)}/snapshot/${encodeURIComponent(snapname)}/rollback`);
  await waitForTask(client, upid, `rollback VM ${ref.vmid} to ${snapname}`, wait);
}

/** Destroys the VM and its disks, and removes it from backup jobs, replication and HA (purge). */
export async function destroyVm(client: ProxmoxClient, ref: VmRef, wait: TaskWait = DEFAULT_TASK_WAIT): Promise<void> {
  const query: Record<string, QueryValue> = { purge: true, 'destroy-unreferenced-disks': true };
  const upid = await client.delete<string>(qemu(ref), query);
  await waitForTask(client, upid, `destroy VM ${ref.vmid}`, wait);
}
