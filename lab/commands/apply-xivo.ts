// Carries out the XiVO actions of a plan. Each piece is looked up again in the inventory before it
// is made (and added to it after), so a run cut halfway resumes where it stopped.

import { LabError } from '../lab-error.ts';
import type { DesiredAccount, DesiredHuntGroup, DesiredXivo } from '../plan/desired-state.ts';
import type { XivoAction } from '../plan/plan-xivo.ts';
import { endpointByUsername, extensionOf, lineOfEndpoint, sameOptions, userByMarker, type XivoInventory } from '../plan/xivo-inventory.ts';
import {
  addQueueMember, createEndpointSip, createExtension, createGroup, createLine, createQueue, createUser, linkGroupExtension, linkLineEndpointSip,
  linkLineExtension, linkQueueExtension, linkUserLine, memberUuids, passWizard, setGroupMembers, updateEndpointSip, type ConfdExtension, type WizardInput, type XivoClient,
} from '../xivo/index.ts';

export async function applyXivoAction(client: XivoClient, desired: DesiredXivo, inv: XivoInventory, action: XivoAction, wizard: () => Promise<WizardInput>): Promise<void> {
  switch (action.kind) {
    case 'wizard':
      await passWizard(client, await wizard());
      inv.configured = true;
      return;
    case 'account':
      return applyAccount(client, inv, action.account);
    case 'group':
      return applyHuntGroup(client, inv, desired, action.group, 'group');
    case 'queue':
      return applyHuntGroup(client, inv, desired, action.queue, 'queue');
  }
}

async function ensureExtension(client: XivoClient, inv: XivoInventory, exten: string, context: string): Promise<ConfdExtension> {
  let extension = extensionOf(inv, exten, context);
  if (extension === undefined) {
    extension = { ...(await createExtension(client, exten, context)), lines: [] };
    inv.extensions.push(extension);
  }
  return extension;
}

async function applyAccount(client: XivoClient, inv: XivoInventory, a: DesiredAccount): Promise<void> {
  let user = userByMarker(inv, a.userfield);
  if (user === undefined) {
    user = { ...(await createUser(client, { firstname: a.firstname, lastname: a.lastname, userfield: a.userfield })), lines: [] };
    inv.users.push(user);
  }
  const sip = { username: a.username, secret: a.password, options: a.options };
  let endpoint = endpointByUsername(inv, a.username);
  if (endpoint === undefined) {
    endpoint = await createEndpointSip(client, sip);
    inv.endpoints.push(endpoint);
  } else if (endpoint.secret !== a.password || !sameOptions(endpoint.options, a.options)) {
    await updateEndpointSip(client, endpoint.id, sip);
    Object.assign(endpoint, { secret: a.password, options: a.options });
  }
  let line = lineOfEndpoint(inv, endpoint.id);
  if (line === undefined) {
    const created = await createLine(client, a.context);
    await linkLineEndpointSip(client, created.id, endpoint.id);
    line = { ...created, endpoint_sip: { id: endpoint.id, username: endpoint.username }, extensions: [], users: [] };
    inv.lines.push(line);
  }
  const extension = await ensureExtension(client, inv, a.extension, a.context);
  if (!(line.extensions ?? []).some((e) => e.id === extension.id)) {
    await linkLineExtension(client, line.id, extension.id);
    line.extensions = [...(line.extensions ?? []), { id: extension.id, exten: extension.exten, context: extension.context }];
  }
  if (!(line.users ?? []).some((u) => u.uuid === user.uuid)) {
    await linkUserLine(client, user.uuid, line.id);
    line.users = [...(line.users ?? []), { uuid: user.uuid }];
  }
}

async function applyHuntGroup(client: XivoClient, inv: XivoInventory, desired: DesiredXivo, wanted: DesiredHuntGroup, kind: 'group' | 'queue'): Promise<void> {
  const list = kind === 'group' ? inv.groups : inv.queues;
  if (list === undefined) throw new LabError('LAB_XIVO_UNSUPPORTED', `${client.flavour.product} has no queue API; remove queues from the lab file or use flavour wazo-20.06 or wazo-26`);
  let item = list.find((g) => client.flavour.nameOf(g) === wanted.name);
  if (item === undefined) {
    item = { ...(kind === 'group' ? await createGroup(client, wanted.name) : await createQueue(client, wanted.name)), extensions: [], members: { users: [] } };
    list.push(item);
  }
  const extension = await ensureExtension(client, inv, wanted.extension, desired.accounts[0]?.context ?? 'default');
  if (!(item.extensions ?? []).some((e) => e.id === extension.id)) {
    await (kind === 'group' ? linkGroupExtension : linkQueueExtension)(client, item, extension.id);
    item.extensions = [...(item.extensions ?? []), { id: extension.id }];
  }
  const members = wanted.members.map((ext) => {
    const user = userByMarker(inv, `voiplab:${ext}`);
    if (user === undefined) throw new LabError('LAB_XIVO_API', `${kind} ${wanted.name}: member ${ext} has no user yet (its account failed above)`);
    return user;
  });
  const have = new Set(memberUuids(item.members));
  if (kind === 'group') {
    if (members.length !== have.size || !members.every((m) => have.has(m.uuid))) await setGroupMembers(client, item, members.map((m) => m.uuid));
  } else {
    for (const m of members) if (!have.has(m.uuid)) await addQueueMember(client, item, m.uuid);
  }
  item.members = { users: members.map((m) => ({ uuid: m.uuid })) };
}
