// The XiVO half of a plan, as a pure function: the wizard if XiVO is not configured yet, then for
// each account the pieces it lacks (user, SIP endpoint or its password, line, extension and the
// three associations), and for call groups and queues what is missing or different.

import { memberUuids } from '../xivo/xivo-flavour.ts';
import type { DesiredAccount, DesiredHuntGroup, DesiredXivo } from './desired-state.ts';
import { endpointByUsername, extensionOf, lineOfEndpoint, sameOptions, userByMarker, type XivoInventory } from './xivo-inventory.ts';

export type AccountStep = 'user' | 'endpoint' | 'secret' | 'line' | 'line-endpoint' | 'extension' | 'line-extension' | 'user-line';
export type HuntStep = 'create' | 'extension' | 'link-extension' | 'members';

export type XivoAction =
  | { kind: 'wizard' }
  | { kind: 'account'; account: DesiredAccount; steps: AccountStep[] }
  | { kind: 'group'; group: DesiredHuntGroup; steps: HuntStep[] }
  | { kind: 'queue'; queue: DesiredHuntGroup; steps: HuntStep[] };

export function planXivo(desired: DesiredXivo, inv: XivoInventory, nameOf: (item: { name?: unknown; label?: unknown }) => string): XivoAction[] {
  const actions: XivoAction[] = [];
  if (!inv.configured) actions.push({ kind: 'wizard' });
  for (const account of desired.accounts) {
    const steps = accountSteps(account, inv);
    if (steps.length > 0) actions.push({ kind: 'account', account, steps });
  }
  const memberUuids = (extensions: string[]): string[] | undefined => {
    const uuids = extensions.map((ext) => userByMarker(inv, `voiplab:${ext}`)?.uuid).filter((u) => u !== undefined);
    return uuids.length === extensions.length ? uuids : undefined;
  };
  for (const group of desired.huntGroups) {
    const steps = huntSteps(group, inv.groups.find((g) => nameOf(g) === group.name), inv, desired, memberUuids(group.members));
    if (steps.length > 0) actions.push({ kind: 'group', group, steps });
  }
  for (const queue of desired.queues) {
    const steps = huntSteps(queue, inv.queues?.find((q) => nameOf(q) === queue.name), inv, desired, memberUuids(queue.members));
    if (steps.length > 0) actions.push({ kind: 'queue', queue, steps });
  }
  return actions;
}

function accountSteps(account: DesiredAccount, inv: XivoInventory): AccountStep[] {
  const steps: AccountStep[] = [];
  const user = userByMarker(inv, account.userfield);
  const endpoint = endpointByUsername(inv, account.username);
  const line = endpoint === undefined ? undefined : lineOfEndpoint(inv, endpoint.id);
  const extension = extensionOf(inv, account.extension, account.context);
  if (user === undefined) steps.push('user');
  if (endpoint === undefined) steps.push('endpoint');
  else if (endpoint.secret !== account.password || !sameOptions(endpoint.options, account.options)) steps.push('secret');
  if (line === undefined) steps.push('line', 'line-endpoint');
  if (extension === undefined) steps.push('extension');
  if (line === undefined || extension === undefined || !(line.extensions ?? []).some((e) => e.id === extension.id)) steps.push('line-extension');
  if (line === undefined || user === undefined || !(line.users ?? []).some((u) => u.uuid === user.uuid)) steps.push('user-line');
  return steps;
}

function huntSteps(
  wanted: DesiredHuntGroup,
  existing: { id: number; extensions?: Array<{ id: number }>; members?: unknown } | undefined,
  inv: XivoInventory, desired: DesiredXivo, uuids: string[] | undefined,
): HuntStep[] {
  const steps: HuntStep[] = [];
  const extension = extensionOf(inv, wanted.extension, desired.accounts[0]?.context ?? 'default');
  if (existing === undefined) steps.push('create');
  if (extension === undefined) steps.push('extension');
  if (existing === undefined || extension === undefined || !(existing.extensions ?? []).some((e) => e.id === extension.id)) steps.push('link-extension');
  const have = new Set(memberUuids(existing?.members));
  if (uuids === undefined || existing === undefined || uuids.length !== have.size || !uuids.every((u) => have.has(u))) steps.push('members');
  return steps;
}

export function describeXivoAction(action: XivoAction): string {
  switch (action.kind) {
    case 'wizard':
      return 'run the setup wizard (entity, admin password, network, contexts)';
    case 'account':
      return `account ${action.account.extension} (${[action.account.firstname, action.account.lastname].filter((s) => s !== '').join(' ')}${action.account.webrtc ? ', WebRTC' : ''}): ${action.steps.join(', ')}`;
    case 'group':
      return `call group ${action.group.name} (${action.group.extension}): ${action.steps.join(', ')}`;
    case 'queue':
      return `queue ${action.queue.name} (${action.queue.extension}): ${action.steps.join(', ')}`;
  }
}
