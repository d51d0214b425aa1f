// Public entry of the Proxmox VE client.

export { ProxmoxClient, classifyProxmoxFailure, type ProxmoxClientOptions, type ProxmoxParams } from './proxmox-client.ts';
export { tokenHeader, type ProxmoxCredentials } from './proxmox-auth.ts';
export { parseUpid, waitForTask, DEFAULT_TASK_WAIT, type TaskWait, type Upid } from './proxmox-tasks.ts';
export {
  listClusterVms, isTemplate, nextFreeVmid, cloneVm, createVm, resizeDisk, getVmConfig, updateVmConfig, vmStatus, changePower, listSnapshots, createSnapshot,
  rollbackSnapshot, destroyVm, type ClusterVm, type VmRef, type VmStatus, type Snapshot, type CloneRequest, type PowerAction,
} from './proxmox-vms.ts';
export { pingAgent, waitForAgent, networkInterfaces, pickIpv4, waitForIpv4, execInGuest, type AgentWait, type GuestInterface, type ExecResult } from './proxmox-guest-agent.ts';
export { parseNetDevice, formatNetDevice, parseIpConfig, formatIpConfig, type NetDevice, type IpConfig } from './proxmox-net-config.ts';
export { listPools, getPool, createPool, addVmToPool, deletePool, type PoolEntry, type PoolMember } from './proxmox-pools.ts';
export { privilegesFor } from './proxmox-permissions.ts';
