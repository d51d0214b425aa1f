// What the report shows for a group, gathered from its live state: the VM, its address, the
// accounts with their (derived) passwords and softphone links, the check and the smoke scenario.

import type { GroupState } from '../commands/inspect-group.ts';
import type { SmokeResult } from '../commands/smoke-check.ts';

export interface ReportAccount {
  extension: string;
  name: string;
  kind: 'SIP' | 'WebRTC';
  username: string;
  password: string;
  /** Where a browser softphone registers (WebRTC accounts), or the registrar for desk phones. */
  connect: string;
  softphoneLink?: string;
}

export interface GroupReport {
  group: string;
  students: string[];
  vm: string;
  address: string;
  adminUrl?: string;
  accounts: ReportAccount[];
  huntGroups: string[];
  smoke: SmokeResult;
}

export function groupReport(state: GroupState, softphoneUrl: string | undefined): GroupReport {
  const g = state.group;
  const vm = state.seen.vm;
  const address = state.address;
  const wss = address === undefined ? undefined : `wss://${address}/api/asterisk/ws`;
  return {
    group: g.name,
    students: g.students,
    vm: vm === undefined ? `${g.vmName}: not created` : `${vm.name} (VMID ${vm.vmid} on ${vm.node}, ${vm.status})`,
    address: address ?? 'unknown (VM not running or guest agent silent)',
    ...(address === undefined ? {} : { adminUrl: `https://${address}/` }),
    accounts: g.accounts.map((a) => {
      const link = a.webrtc && wss !== undefined && softphoneUrl !== undefined
        ? `${softphoneUrl}#${new URLSearchParams({ server: wss, user: a.username, domain: address ?? '' }).toString()}`
        : undefined;
      return {
        extension: a.extension,
        name: [a.firstname, a.lastname].filter((s) => s !== '').join(' '),
        kind: a.webrtc ? 'WebRTC' : 'SIP',
        username: a.username,
        password: a.password,
        connect: a.webrtc ? wss ?? '(address unknown)' : `sip:${a.username}@${address ?? '?'} (UDP 5060)`,
        ...(link === undefined ? {} : { softphoneLink: link }),
      };
    }),
    huntGroups: [...g.huntGroups.map((h) => `call group ${h.name} ${h.extension}: ${h.members.join(', ')}`), ...g.queues.map((q) => `queue ${q.name} ${q.extension}: ${q.members.join(', ')}`)],
    smoke: state.smoke,
  };
}
