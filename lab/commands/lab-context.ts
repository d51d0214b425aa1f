// Everything a lab command needs, built once from the lab file and the environment: the validated
// lab, its secrets, the Proxmox client, the XiVO trust and flavour, each group's desired state, the
// time limits, and where a guest's XiVO is reached (its address; tests map it to a local fake).

import { dirname, resolve } from 'node:path';
import { systemClock, type LabClock } from '../http/poll.ts';
import type { TlsTrust } from '../http/tls-trust.ts';
import { loadLabFile, loadTlsTrust, readLabSecrets, type LabFile, type LabSecrets } from '../lab-file/index.ts';
import { desiredGroups, type DesiredGroup } from '../plan/desired-state.ts';
import { vmSourceOf, type VmSource } from '../plan/vm-source.ts';
import { ProxmoxClient, type AgentWait, type TaskWait, type VmRef } from '../proxmox/index.ts';
import { XIVO_FLAVOURS, XivoClient, type XivoFlavour } from '../xivo/index.ts';

export interface XivoAddress {
  host: string;
  confdPort: number;
  authPort: number;
  /** Where phones send SIP (UDP and TCP): the guest on port 5060 for a real XiVO. */
  sip: { host: string; port: number };
}

export interface LabRuntimeOptions {
  env: NodeJS.ProcessEnv;
  /** Progress and warnings, one line each. */
  log: (line: string) => void;
  /** Where a guest's XiVO answers; default: the guest address with the lab file's ports. */
  resolveXivo?: (guestAddress: string, vm: VmRef) => Promise<XivoAddress>;
  /** Poll interval of every wait (default 2 s); tests shorten it. */
  pollIntervalMs?: number;
  clock?: LabClock;
}

export interface LabContext {
  file: string;
  lab: LabFile;
  secrets: LabSecrets;
  proxmox: ProxmoxClient;
  groups: DesiredGroup[];
  /** Template to clone, or cloud image to install XiVO on. */
  source: VmSource;
  flavour: XivoFlavour;
  waits: { task: TaskWait; agent: AgentWait; xivo: AgentWait };
  log: (line: string) => void;
  resolveXivo: (guestAddress: string, vm: VmRef) => Promise<XivoAddress>;
  xivoClient: (address: XivoAddress) => XivoClient;
}

export async function openLab(file: string, options: LabRuntimeOptions): Promise<LabContext> {
  const path = resolve(file);
  const lab = await loadLabFile(path);
  const secrets = readLabSecrets(lab, options.env);
  const dir = dirname(path);
  const proxmoxTrust = await loadTlsTrust(lab.proxmox.tls, dir, 'proxmox.tls');
  const xivoTrust: TlsTrust = await loadTlsTrust(lab.xivo.tls, dir, 'xivo.tls');
  const flavour = XIVO_FLAVOURS[lab.xivo.flavour ?? 'xivo-16.15'];
  const interval = options.pollIntervalMs ?? 2_000;
  const clock = options.clock ?? systemClock;
  const t = lab.timeouts ?? {};
  let warnedXivo = false;
  const log = options.log;
  return {
    file: path, lab, secrets, flavour,
    proxmox: new ProxmoxClient({ url: lab.proxmox.url, credentials: secrets.proxmox, trust: proxmoxTrust, log }),
    groups: desiredGroups(lab, secrets.accountSeed),
    source: vmSourceOf(lab),
    waits: {
      task: { timeoutMs: (t.taskSeconds ?? 600) * 1000, intervalMs: interval, clock },
      agent: { timeoutMs: (t.agentSeconds ?? 300) * 1000, intervalMs: interval, clock },
      xivo: { timeoutMs: (t.xivoSeconds ?? 300) * 1000, intervalMs: interval, clock },
    },
    log,
    resolveXivo: options.resolveXivo ?? ((address) => Promise.resolve({
      host: address, confdPort: lab.xivo.ports?.confd ?? 9486, authPort: lab.xivo.ports?.auth ?? 9497, sip: { host: address, port: lab.xivo.ports?.sip ?? 5060 },
    })),
    xivoClient: (address) => {
      // Warn about insecure XiVO TLS once per run, not once per group.
      const client = new XivoClient({ host: address.host, confdPort: address.confdPort, authPort: address.authPort, trust: xivoTrust, flavour, password: secrets.xivoAdminPassword, log: warnedXivo ? () => undefined : log });
      warnedXivo = true;
      return client;
    },
  };
}
