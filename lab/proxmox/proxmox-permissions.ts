// Which privileges each call we make needs (from the permissions of the PVE 9 API schema), so a 403
// says what to grant even when Proxmox's own message is terse.

interface PrivilegeRule {
  method: string;
  path: RegExp;
  needs: string;
}

const RULES: PrivilegeRule[] = [
  { method: 'POST', path: /\/qemu\/\d+\/clone$/, needs: "VM.Clone on /vms/<template>, VM.Allocate on /vms/<new VMID> or on the pool /pool/<pool>, Datastore.AllocateSpace on the storage, SDN.Use on the bridge" },
  { method: 'POST', path: /\/nodes\/[^/]+\/qemu$/, needs: 'VM.Allocate on /vms/<new VMID> or on the pool /pool/<pool>, Datastore.AllocateSpace on the storage (and Datastore.Audit on the image\'s), SDN.Use on the bridge/VLAN, VM.Config.Cloudinit' },
  { method: 'PUT', path: /\/qemu\/\d+\/resize$/, needs: 'VM.Config.Disk on /vms/<vmid>' },
  { method: '*', path: /^\/pools$/, needs: 'Pool.Allocate on /pool/<pool> (grant it on /pool so the lab can create its pools)' },
  { method: 'POST', path: /\/qemu\/\d+\/config$/, needs: 'VM.Config.Network, VM.Config.Cloudinit, VM.Config.CPU, VM.Config.Memory and VM.Config.Options on /vms/<vmid>' },
  { method: 'GET', path: /\/qemu\/\d+\/config$/, needs: 'VM.Audit on /vms/<vmid>' },
  { method: 'POST', path: /\/qemu\/\d+\/status\/(start|stop|shutdown)$/, needs: 'VM.PowerMgmt on /vms/<vmid>' },
  { method: 'GET', path: /\/qemu\/\d+\/status\/current$/, needs: 'VM.Audit on /vms/<vmid>' },
  { method: 'POST', path: /\/qemu\/\d+\/snapshot\/[^/]+\/rollback$/, needs: 'VM.Snapshot.Rollback (or VM.Snapshot) on /vms/<vmid>' },
  { method: 'POST', path: /\/qemu\/\d+\/snapshot$/, needs: 'VM.Snapshot on /vms/<vmid>' },
  { method: 'GET', path: /\/qemu\/\d+\/snapshot$/, needs: 'VM.Audit on /vms/<vmid>' },
  { method: 'DELETE', path: /\/qemu\/\d+$/, needs: 'VM.Allocate on /vms/<vmid>' },
  { method: 'POST', path: /\/agent\/exec$/, needs: 'VM.GuestAgent.Unrestricted on /vms/<vmid>' },
  { method: 'GET', path: /\/agent\/exec-status$/, needs: 'VM.GuestAgent.Unrestricted on /vms/<vmid>' },
  { method: '*', path: /\/agent\//, needs: 'VM.GuestAgent.Audit (PVE 9; VM.Monitor before) on /vms/<vmid>' },
  { method: 'GET', path: /\/tasks\//, needs: "Sys.Audit on /nodes/<node> (tasks started by another user)" },
];

export function privilegesFor(method: string, path: string): string | undefined {
  return RULES.find((r) => (r.method === method || r.method === '*') && r.path.test(path))?.needs;
}

/** Proxmox's own 403 text reads `Permission check failed (/vms/201, VM.Allocate)`. */
export function parsePermissionFailure(message: string): { path: string; privilege: string } | undefined {
  const m = /Permission check failed \(([^,]+), ([^)]+)\)/.exec(message);
  return m?.[1] !== undefined && m[2] !== undefined ? { path: m[1].trim(), privilege: m[2].trim() } : undefined;
}
