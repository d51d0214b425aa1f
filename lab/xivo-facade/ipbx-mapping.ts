// What a voiplab IPBX must hold for the facade's confd state to work as on a XiVO, where a SIP line
// becomes a sip.conf peer and its extensions dialplan entries: each line with a SIP endpoint is an
// account (user name and secret of the endpoint, the line's user as display name), each of its
// extensions a dialplan rule to that account, and each call group with an extension and members
// an IPBX ring group and its rule. The IPBX behind a facade is the facade's alone.

import type { ConfdModel } from './confd-model.ts';

export interface IpbxAccountWanted {
  extension: string;
  password: string;
  displayName: string;
}

export interface IpbxGroupWanted {
  name: string;
  strategy: 'simultaneous' | 'in-turn';
  members: string[];
}

export interface IpbxRuleWanted {
  match: string;
  action: { type: 'account'; extension: string } | { type: 'group'; group: string };
}

export interface IpbxWanted {
  accounts: IpbxAccountWanted[];
  groups: IpbxGroupWanted[];
  rules: IpbxRuleWanted[];
}

/** The IPBX's limits on names (config-schema.ts): accounts 1–32 of [0-9A-Za-z*#+._-], groups 1–64 of [A-Za-z0-9_-]. */
export const IPBX_ACCOUNT_NAME = /^[0-9A-Za-z*#+._-]{1,32}$/;
export const IPBX_MIN_PASSWORD = 8;

export function ipbxWanted(model: ConfdModel): IpbxWanted {
  const accounts: IpbxAccountWanted[] = [];
  const rules: IpbxRuleWanted[] = [];
  const taken = new Set<string>();
  const accountOfUser = new Map<string, string>();
  for (const line of model.lines) {
    const endpoint = model.endpoints.find((e) => e.id === line.sipId);
    if (endpoint === undefined) continue;
    const user = model.users.find((u) => line.userUuids.includes(u.uuid));
    accounts.push({ extension: endpoint.username, password: endpoint.secret, displayName: [user?.firstname, user?.lastname].filter((s) => s !== undefined && s !== '').join(' ').slice(0, 64) });
    for (const uuid of line.userUuids) if (!accountOfUser.has(uuid)) accountOfUser.set(uuid, endpoint.username);
    for (const id of line.extensionIds) {
      const exten = model.extensions.find((e) => e.id === id)?.exten;
      if (exten === undefined || taken.has(exten)) continue;
      taken.add(exten);
      rules.push({ match: exten, action: { type: 'account', extension: endpoint.username } });
    }
  }
  const groups: IpbxGroupWanted[] = [];
  for (const group of model.groups) {
    const members = group.memberUuids.map((uuid) => accountOfUser.get(uuid)).filter((m) => m !== undefined);
    const extens = group.extensionIds.map((id) => model.extensions.find((e) => e.id === id)?.exten).filter((e): e is string => e !== undefined && !taken.has(e));
    if (members.length === 0 || extens.length === 0) continue;
    const name = `xivo-group-${group.id}`;
    groups.push({ name, strategy: 'simultaneous', members });
    for (const exten of extens) {
      taken.add(exten);
      rules.push({ match: exten, action: { type: 'group', group: name } });
    }
  }
  return { accounts, groups, rules };
}
