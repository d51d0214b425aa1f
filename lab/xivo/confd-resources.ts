// The confd resources the lab creates, typed as far as the lab reads them, with the calls that make
// and join them: users, SIP endpoints, lines, extensions (and their associations), groups, queues,
// and the wizard.

import { LabError } from '../lab-error.ts';
import type { XivoClient } from './xivo-client.ts';
import type { WizardInput } from './xivo-flavour.ts';

export interface ConfdUser {
  id: number;
  uuid: string;
  firstname: string;
  lastname?: string;
  userfield?: string;
  lines?: Array<{ id: number }>;
}

/** chan_sip endpoints have integer ids, PJSIP ones (Wazo 26) uuids. */
export type SipEndpointId = number | string;

/** A SIP endpoint as the lab compares it, read through the flavour (`options` in the flavour's terms). */
export interface ConfdEndpointSip {
  id: SipEndpointId;
  username: string;
  secret: string;
  options?: string[][];
}

/** What the lab asks of an account's SIP endpoint. */
export interface SipAccount {
  username: string;
  secret: string;
  options: string[][];
}

export interface ConfdLine {
  id: number;
  context: string;
  provisioning_code?: string;
  /** Read through the flavour, whatever confd's shape. */
  endpoint_sip?: { id: SipEndpointId; username?: string } | null;
  extensions?: Array<{ id: number; exten?: string; context?: string }>;
  users?: Array<{ uuid?: string }>;
}

export interface ConfdExtension {
  id: number;
  exten: string;
  context: string;
  lines?: Array<{ id: number }>;
}

export interface ConfdGroup {
  id: number;
  /** Wazo 26 addresses groups by uuid. */
  uuid?: string;
  name?: string;
  label?: string;
  extensions?: Array<{ id: number; exten?: string; context?: string }>;
  /** Shape differs between flavours: read it with memberUuids(). */
  members?: unknown;
}

export interface ConfdQueue {
  id: number;
  name?: string;
  label?: string;
  extensions?: Array<{ id: number; exten?: string; context?: string }>;
  /** Shape differs between flavours: read it with memberUuids(). */
  members?: unknown;
}

interface Items<T> {
  items?: T[];
  total: number;
}

/** Lists are paged; a lab's XiVO holds a few dozen of each, so one large page is read, and a short read is an error. */
async function listAll<T>(client: XivoClient, path: string): Promise<T[]> {
  const page = await client.get<Items<T>>(path, { limit: 1000 });
  const items = page.items ?? [];
  if (items.length < page.total) throw new LabError('LAB_BAD_RESPONSE', `GET ${path}: ${page.total} items exist but ${items.length} came back; remove unused ones`);
  return items;
}

export const listUsers = (c: XivoClient): Promise<ConfdUser[]> => listAll(c, '/users');
export async function listEndpointsSip(c: XivoClient): Promise<ConfdEndpointSip[]> {
  return c.flavour.sip.read(c, await listAll<Record<string, unknown>>(c, '/endpoints/sip'));
}

export async function listLines(c: XivoClient): Promise<ConfdLine[]> {
  const lines = await listAll<ConfdLine>(c, '/lines');
  return lines.map((l) => ({ ...l, endpoint_sip: c.flavour.sip.lineEndpoint(l.endpoint_sip) ?? null }));
}
export const listExtensions = (c: XivoClient): Promise<ConfdExtension[]> => listAll(c, '/extensions');
export const listGroups = (c: XivoClient): Promise<ConfdGroup[]> => listAll(c, '/groups');
export const listQueues = (c: XivoClient): Promise<ConfdQueue[]> => listAll(c, '/queues');

export function createUser(c: XivoClient, body: { firstname: string; lastname: string; userfield: string }): Promise<ConfdUser> {
  return c.post<ConfdUser>('/users', body);
}

export async function createEndpointSip(c: XivoClient, sip: SipAccount): Promise<ConfdEndpointSip> {
  const created = await c.post<Record<string, unknown>>('/endpoints/sip', await c.flavour.sip.body(c, sip));
  const [endpoint] = await c.flavour.sip.read(c, [created]);
  if (endpoint === undefined) throw new LabError('LAB_BAD_RESPONSE', 'POST /endpoints/sip: no endpoint came back');
  return endpoint;
}

export async function updateEndpointSip(c: XivoClient, id: SipEndpointId, sip: SipAccount): Promise<void> {
  await c.put(`/endpoints/sip/${id}`, await c.flavour.sip.body(c, sip));
}

export function createLine(c: XivoClient, context: string): Promise<ConfdLine> {
  return c.post<ConfdLine>('/lines', { context });
}

export function createExtension(c: XivoClient, exten: string, context: string): Promise<ConfdExtension> {
  return c.post<ConfdExtension>('/extensions', { exten, context });
}

export const linkLineEndpointSip = (c: XivoClient, lineId: number, sipId: SipEndpointId): Promise<void> => c.put(`/lines/${lineId}/endpoints/sip/${sipId}`);
export const linkLineExtension = (c: XivoClient, lineId: number, extensionId: number): Promise<void> => c.put(`/lines/${lineId}/extensions/${extensionId}`);
export const linkUserLine = (c: XivoClient, userId: number | string, lineId: number): Promise<void> => c.put(`/users/${userId}/lines/${lineId}`);

// Undoing: confd refuses to delete what is still associated, so associations go first.
export const unlinkUserLine = (c: XivoClient, userId: number | string, lineId: number): Promise<void> => c.delete(`/users/${userId}/lines/${lineId}`);
export const unlinkLineExtension = (c: XivoClient, lineId: number, extensionId: number): Promise<void> => c.delete(`/lines/${lineId}/extensions/${extensionId}`);
export const unlinkLineEndpointSip = (c: XivoClient, lineId: number, sipId: SipEndpointId): Promise<void> => c.delete(`/lines/${lineId}/endpoints/sip/${sipId}`);
export const deleteLine = (c: XivoClient, lineId: number): Promise<void> => c.delete(`/lines/${lineId}`);
export const deleteEndpointSip = (c: XivoClient, sipId: SipEndpointId): Promise<void> => c.delete(`/endpoints/sip/${sipId}`);
export const deleteExtension = (c: XivoClient, extensionId: number): Promise<void> => c.delete(`/extensions/${extensionId}`);
export const deleteUser = (c: XivoClient, userId: number | string): Promise<void> => c.delete(`/users/${userId}`);

export function createGroup(c: XivoClient, name: string): Promise<ConfdGroup> {
  return c.post<ConfdGroup>('/groups', c.flavour.groupBody(name));
}

export const linkGroupExtension = (c: XivoClient, group: ConfdGroup, extensionId: number): Promise<void> => c.put(`/groups/${c.flavour.groupRef(group)}/extensions/${extensionId}`);
export const setGroupMembers = (c: XivoClient, group: ConfdGroup, userUuids: string[]): Promise<void> => c.put(`/groups/${c.flavour.groupRef(group)}/members/users`, { users: userUuids.map((uuid) => ({ uuid })) });

export function createQueue(c: XivoClient, name: string): Promise<ConfdQueue> {
  const body = c.flavour.queueBody;
  if (body === undefined) throw new LabError('LAB_XIVO_UNSUPPORTED', `${c.flavour.product} confd has no queue API (queues were made through its PHP web services); remove queues from the lab file or use flavour wazo-20.06 or wazo-26`);
  return c.post<ConfdQueue>('/queues', body(name));
}

export const linkQueueExtension = (c: XivoClient, queue: ConfdQueue, extensionId: number): Promise<void> => c.put(`/queues/${queue.id}/extensions/${extensionId}`);
export const addQueueMember = (c: XivoClient, queue: ConfdQueue, userId: number | string): Promise<void> => c.put(`/queues/${queue.id}/members/users/${userId}`, {});

export function wizardConfigured(c: XivoClient): Promise<{ configured: boolean }> {
  return c.anonymous<{ configured: boolean }>('GET', '/wizard');
}

export interface WizardDiscovery {
  hostname?: string;
  domain?: string;
  timezone?: string;
  nameservers?: string[];
  interfaces?: Array<{ interface?: string; ip_address?: string; netmask?: string }>;
  gateways?: Array<{ interface?: string; gateway?: string }>;
}

export function wizardDiscover(c: XivoClient): Promise<WizardDiscovery> {
  return c.anonymous<WizardDiscovery>('GET', '/wizard/discover');
}

export async function passWizard(c: XivoClient, input: WizardInput): Promise<void> {
  await c.anonymous('POST', '/wizard', c.flavour.wizardBody(input));
}
