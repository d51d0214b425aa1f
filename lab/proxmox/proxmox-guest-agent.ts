// The QEMU guest agent through Proxmox: ping (HTTP 500 while the agent is not up), the guest's
// network interfaces (to learn the VM's address), and exec + exec-status to run a command in it.
// The `result` payloads are QEMU's (no Proxmox schema covers them), so they are checked here.

import { LabError } from '../lab-error.ts';
import { pollUntil, type LabClock } from '../http/poll.ts';
import type { ProxmoxClient } from './proxmox-client.ts';
import type { VmRef } from './proxmox-vms.ts';

const agent = (ref: VmRef, command: string): string => `/nodes/${encodeURIComponent(ref.node)}/qemu/${ref.vmid}/agent/${command}`;

export interface AgentWait {
  timeoutMs: number;
  intervalMs: number;
  clock?: LabClock;
}

/** The errors a starting guest gives; a 403 or a bad token will not improve by waiting. */
function agentNotYetUp(err: unknown): boolean {
  return err instanceof LabError && (err.code === 'LAB_GUEST_AGENT_DOWN' || err.code === 'LAB_PROXMOX_API' || err.code === 'LAB_UNREACHABLE');
}

export async function pingAgent(client: ProxmoxClient, ref: VmRef): Promise<void> {
  await client.post(agent(ref, 'ping'));
}

export async function waitForAgent(client: ProxmoxClient, ref: VmRef, wait: AgentWait): Promise<void> {
  await pollUntil(async () => {
    await pingAgent(client, ref);
    return true;
  }, { ...wait, retryable: agentNotYetUp }, (last) => new LabError('LAB_GUEST_AGENT_DOWN', `VM ${ref.vmid}: the QEMU guest agent did not answer within ${Math.round(wait.timeoutMs / 1000)} s${last instanceof Error ? ` (last: ${last.message})` : ''}; install qemu-guest-agent in the template (apt install qemu-guest-agent; systemctl enable qemu-guest-agent), keep agent=1 in the VM options, and check the VM boots (console)`, { cause: last }));
}

export interface GuestInterface {
  name: string;
  'hardware-address'?: string;
  'ip-addresses'?: Array<{ 'ip-address': string; 'ip-address-type': 'ipv4' | 'ipv6'; prefix: number }>;
}

export async function networkInterfaces(client: ProxmoxClient, ref: VmRef): Promise<GuestInterface[]> {
  const data = await client.get<{ result?: unknown }>(agent(ref, 'network-get-interfaces'));
  if (!Array.isArray(data.result)) throw new LabError('LAB_BAD_RESPONSE', `VM ${ref.vmid}: network-get-interfaces gave no result list`);
  return data.result as GuestInterface[];
}

/** The first IPv4 address that is not loopback or link-local, with its interface. */
export function pickIpv4(interfaces: GuestInterface[]): { address: string; prefix: number; interface: string } | undefined {
  for (const iface of interfaces) {
    if (iface.name === 'lo') continue;
    for (const ip of iface['ip-addresses'] ?? []) {
      if (ip['ip-address-type'] === 'ipv4' && !ip['ip-address'].startsWith('127.') && !ip['ip-address'].startsWith('169.254.')) {
        return { address: ip['ip-address'], prefix: ip.prefix, interface: iface.name };
      }
    }
  }
  return undefined;
}

export async function waitForIpv4(client: ProxmoxClient, ref: VmRef, wait: AgentWait): Promise<{ address: string; prefix: number; interface: string }> {
  return pollUntil(async () => pickIpv4(await networkInterfaces(client, ref)), { ...wait, retryable: agentNotYetUp },
    () => new LabError('LAB_GUEST_NO_IP', `VM ${ref.vmid}: no IPv4 address (other than loopback) within ${Math.round(wait.timeoutMs / 1000)} s; check the bridge and VLAN tag reach a DHCP server, or give the group a static ip`));
}

export interface ExecResult {
  exitcode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the guest and waits for it to exit (bounded). */
export async function execInGuest(client: ProxmoxClient, ref: VmRef, command: string[], wait: AgentWait, input?: string): Promise<ExecResult> {
  const started = await client.post<{ pid?: unknown }>(agent(ref, 'exec'), { command, 'input-data': input });
  if (typeof started.pid !== 'number') throw new LabError('LAB_BAD_RESPONSE', `VM ${ref.vmid}: agent exec gave no pid`);
  const pid = started.pid;
  const status = await pollUntil(async () => {
    const s = await client.get<{ exited: number | boolean; exitcode?: number; 'out-data'?: string; 'err-data'?: string }>(agent(ref, 'exec-status'), { pid });
    return s.exited === true || s.exited === 1 ? s : undefined;
  }, wait, () => new LabError('LAB_TASK_TIMEOUT', `VM ${ref.vmid}: ${command.join(' ')} (pid ${pid}) still running after ${Math.round(wait.timeoutMs / 1000)} s`));
  return { exitcode: status.exitcode ?? -1, stdout: status['out-data'] ?? '', stderr: status['err-data'] ?? '' };
}
