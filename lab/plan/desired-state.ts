// What each group should have, derived from the lab file once: its VM (name, VMID, node, network,
// size) and what its XiVO holds (accounts with derived passwords, call groups, queues). The planners
// compare this with what Proxmox and XiVO report.

import type { LabFile } from '../lab-file/lab-schema.ts';
import type { IpConfig } from '../proxmox/proxmox-net-config.ts';
import { XIVO_FLAVOURS, type XivoFlavourId } from '../xivo/xivo-flavour.ts';
import { derivePassword } from './account-passwords.ts';

export interface DesiredAccount {
  extension: string;
  firstname: string;
  lastname: string;
  webrtc: boolean;
  context: string;
  /** SIP user name; the extension, so a student types one number. */
  username: string;
  password: string;
  /** The endpoint's options in the flavour's terms (chan_sip pairs; Wazo 26: templates and transport). */
  options: string[][];
  /** Marks the confd user as this lab's (a field left to clients by confd). */
  userfield: string;
}

export interface DesiredHuntGroup {
  name: string;
  extension: string;
  members: string[];
}

export interface DesiredGroup {
  name: string;
  lab: string;
  vmName: string;
  /** undefined: the next free VMID at creation. */
  vmid: number | undefined;
  node: string;
  /** The group's own pool (created by up when missing). */
  pool?: string;
  cores: number;
  memory: number;
  bridge: string;
  vlan: number;
  ip: IpConfig;
  nameservers: string[];
  searchDomain?: string;
  /** Proxmox tag that marks VMs of this lab (ownership: voiplab never touches other VMs). */
  tag: string;
  /** Also written in the VM description, for a VM cloned but not yet tagged. */
  marker: string;
  students: string[];
  flavour: XivoFlavourId;
  accounts: DesiredAccount[];
  huntGroups: DesiredHuntGroup[];
  queues: DesiredHuntGroup[];
}

/** What a XiVO must hold, whoever asks: a lab group, or a scenario run on a XiVO target. */
export type DesiredXivo = Pick<DesiredGroup, 'accounts' | 'huntGroups' | 'queues'>;

export const CLEAN_SNAPSHOT = 'voiplab-clean';

export function labTag(lab: string): string {
  return `voiplab-${lab}`;
}

export function desiredGroups(lab: LabFile, accountSeed: string): DesiredGroup[] {
  const vm = lab.vm ?? {};
  let nextFromRange = vm.vmidRange?.from;
  const context = lab.xivo.context ?? 'default';
  return lab.groups.map((g, index) => {
    let vmid = g.vmid;
    if (vmid === undefined && nextFromRange !== undefined) vmid = nextFromRange++;
    const ip: IpConfig = g.ip === 'dhcp' ? { dhcp: true } : { dhcp: false, cidr: g.ip, ...(g.gateway === undefined ? {} : { gateway: g.gateway }) };
    return {
      name: g.name,
      lab: lab.lab,
      vmName: `${lab.lab}-${g.name}`,
      vmid,
      node: g.node ?? lab.proxmox.nodes[index % lab.proxmox.nodes.length] ?? '',
      ...(g.pool !== undefined ? { pool: g.pool } : vm.poolPerGroup === true ? { pool: `${lab.lab}-${g.name}` } : {}),
      cores: g.cores ?? vm.cores ?? 2,
      memory: g.memory ?? vm.memory ?? 2048,
      bridge: g.bridge ?? vm.bridge ?? 'vmbr0',
      vlan: g.vlan,
      ip,
      nameservers: vm.nameservers ?? [],
      ...(vm.searchDomain === undefined ? {} : { searchDomain: vm.searchDomain }),
      tag: labTag(lab.lab),
      marker: `voiplab:${lab.lab}/${g.name}`,
      students: g.students,
      flavour: lab.xivo.flavour ?? 'xivo-16.15',
      accounts: lab.xivo.users.map((u) => ({
        extension: u.extension,
        firstname: u.firstname,
        lastname: u.lastname ?? '',
        webrtc: u.webrtc ?? false,
        context,
        username: u.extension,
        password: derivePassword(accountSeed, lab.lab, g.name, u.extension),
        options: XIVO_FLAVOURS[lab.xivo.flavour ?? 'xivo-16.15'].sip.options(u.webrtc === true),
        userfield: `voiplab:${u.extension}`,
      })),
      huntGroups: (lab.xivo.groups ?? []).map((h) => ({ name: h.name, extension: h.extension, members: h.members })),
      queues: (lab.xivo.queues ?? []).map((q) => ({ name: q.name, extension: q.extension, members: q.members })),
    };
  });
}
