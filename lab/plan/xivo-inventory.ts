// What a XiVO holds, as confd lists it, with the lookups the planner and the executor share: a
// user by its lab marker, an endpoint by SIP user name, the line joined to an endpoint, an
// extension by number and context. The executor adds what it creates, so later steps find it.

import type { ConfdEndpointSip, ConfdExtension, ConfdGroup, ConfdLine, ConfdQueue, ConfdUser, SipEndpointId } from '../xivo/confd-resources.ts';

export interface XivoInventory {
  configured: boolean;
  users: ConfdUser[];
  endpoints: ConfdEndpointSip[];
  lines: ConfdLine[];
  extensions: ConfdExtension[];
  groups: ConfdGroup[];
  /** undefined when the flavour has no queue API. */
  queues: ConfdQueue[] | undefined;
}

export const emptyInventory = (configured: boolean): XivoInventory => ({ configured, users: [], endpoints: [], lines: [], extensions: [], groups: [], queues: [] });

export const userByMarker = (inv: XivoInventory, userfield: string): ConfdUser | undefined => inv.users.find((u) => u.userfield === userfield);
export const endpointByUsername = (inv: XivoInventory, username: string): ConfdEndpointSip | undefined => inv.endpoints.find((e) => e.username === username);
export const lineOfEndpoint = (inv: XivoInventory, sipId: SipEndpointId): ConfdLine | undefined => inv.lines.find((l) => l.endpoint_sip?.id === sipId);
export const extensionOf = (inv: XivoInventory, exten: string, context: string): ConfdExtension | undefined => inv.extensions.find((e) => e.exten === exten && e.context === context);

/** Endpoint options compare as a set of pairs: confd may return them in another order. */
export function sameOptions(a: string[][] | undefined, b: string[][]): boolean {
  const key = (o: string[][]): string => o.map((p) => p.join('=')).sort().join('\n');
  return key(a ?? []) === key(b);
}
