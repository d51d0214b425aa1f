// XiVO 16.15 and its fork Wazo Platform share confd's shape but differ in a few bodies; every such
// difference lives here, so the rest of the lab speaks one language.
//  - xivo-auth 16.15 needs a `backend` (xivo_admin for the wizard's root); wazo-auth does not.
//  - XiVO's wizard takes entity_name and the internal/incall/outcall contexts; Wazo 20.06's takes `steps`.
//  - Wazo groups need a `label`; XiVO's only a `name`.
//  - Queues have confd CRUD from Wazo 18.07 on; XiVO 16.15 made them through its PHP web services only.
//  - A group's `members` is a list of `{users: [...]}` in XiVO 16.15's schema, one `{users: [...]}` in Wazo's.
// Both still use chan_sip endpoints (`/endpoints/sip` with integer ids and `options` pairs).
// Wazo 26 (PJSIP, tenants, group uuids) is in flavour-wazo-26.ts.

import type { ConfdEndpointSip, ConfdGroup, SipAccount } from './confd-resources.ts';
import type { XivoClient } from './xivo-client.ts';
import { wazo26Flavour } from './flavour-wazo-26.ts';

export type XivoFlavourId = 'xivo-16.15' | 'wazo-20.06' | 'wazo-26';

export interface WizardInput {
  adminPassword: string;
  entityName: string;
  timezone: string;
  language: string;
  hostname: string;
  domain: string;
  network: { interface: string; ipAddress: string; netmask: string; gateway: string; nameservers: string[] };
  internalContext: { numberStart: string; numberEnd: string };
  incallContext?: { numberStart: string; numberEnd: string; didLength: number };
}

export interface XivoFlavour {
  id: XivoFlavourId;
  /** Product name for messages. */
  product: string;
  tokenBody: (expirationSeconds: number) => Record<string, unknown>;
  wizardBody: (input: WizardInput) => Record<string, unknown>;
  groupBody: (name: string) => Record<string, unknown>;
  /** undefined when confd cannot create queues. */
  queueBody: ((name: string) => Record<string, unknown>) | undefined;
  /** The name a listed group or queue goes by. */
  nameOf: (item: { name?: unknown; label?: unknown }) => string;
  /** What a group's URL holds: its id, or (Wazo 26) its uuid. */
  groupRef: (group: ConfdGroup) => number | string;
  /** Send the token's tenant as `Wazo-Tenant` on confd calls. */
  tenantHeader: boolean;
  sip: SipEndpointShape;
}

/** How a flavour writes and reads SIP endpoints; the lab compares them as ConfdEndpointSip. */
export interface SipEndpointShape {
  /** The options an account's endpoint must carry, in the terms `read` gives back. */
  options: (webrtc: boolean) => string[][];
  /** Body of POST and PUT /endpoints/sip. */
  body: (c: XivoClient, sip: SipAccount) => Promise<Record<string, unknown>>;
  read: (c: XivoClient, raw: Array<Record<string, unknown>>) => Promise<ConfdEndpointSip[]>;
  /** A listed line's `endpoint_sip`, as `{id, username}`. */
  lineEndpoint: (raw: unknown) => { id: number | string; username?: string } | undefined;
}

/** chan_sip endpoints: integer ids, `options` pairs appended to sip.conf. */
export const CHAN_SIP: SipEndpointShape = {
  options: (webrtc) => (webrtc ? WEBRTC_SIP_OPTIONS.map(([k, v]) => [k, v]) : []),
  body: (_c, sip) => Promise.resolve({ ...sip, type: 'friend', host: 'dynamic' }),
  read: (_c, raw) => Promise.resolve(raw as unknown as ConfdEndpointSip[]),
  lineEndpoint: (raw) => (typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number; username?: string }) : undefined),
};

const network = (input: WizardInput): Record<string, unknown> => ({
  hostname: input.hostname, domain: input.domain, interface: input.network.interface, ip_address: input.network.ipAddress,
  netmask: input.network.netmask, gateway: input.network.gateway, nameservers: input.network.nameservers,
});

const XIVO_16_15: XivoFlavour = {
  id: 'xivo-16.15',
  product: 'XiVO 16.15',
  tokenBody: (expiration) => ({ backend: 'xivo_admin', expiration }),
  wizardBody: (input) => ({
    admin_password: input.adminPassword, license: true, timezone: input.timezone, language: input.language, entity_name: input.entityName,
    network: network(input),
    context_internal: { number_start: input.internalContext.numberStart, number_end: input.internalContext.numberEnd },
    ...(input.incallContext === undefined ? {} : { context_incall: { number_start: input.incallContext.numberStart, number_end: input.incallContext.numberEnd, did_length: input.incallContext.didLength } }),
    context_outcall: {},
  }),
  groupBody: (name) => ({ name }),
  queueBody: undefined,
  nameOf: (item) => (typeof item.name === 'string' ? item.name : ''),
  groupRef: (group) => group.id,
  tenantHeader: false,
  sip: CHAN_SIP,
};

const WAZO_20_06: XivoFlavour = {
  id: 'wazo-20.06',
  product: 'Wazo 20.06',
  tokenBody: (expiration) => ({ expiration }),
  wizardBody: (input) => ({
    admin_password: input.adminPassword, license: true, timezone: input.timezone, language: input.language, network: network(input),
  }),
  groupBody: (name) => ({ name, label: name }),
  queueBody: (name) => ({ name, label: name }),
  nameOf: (item) => (typeof item.label === 'string' ? item.label : typeof item.name === 'string' ? item.name : ''),
  groupRef: (group) => group.id,
  tenantHeader: false,
  sip: CHAN_SIP,
};

export const XIVO_FLAVOURS: Record<XivoFlavourId, XivoFlavour> = { 'xivo-16.15': XIVO_16_15, 'wazo-20.06': WAZO_20_06, 'wazo-26': wazo26Flavour(WAZO_20_06) };

/** chan_sip options of a browser (WebRTC) line, appended to the endpoint's sip.conf section. */
export const WEBRTC_SIP_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ['transport', 'ws,wss'], ['avpf', 'yes'], ['icesupport', 'yes'], ['encryption', 'yes'], ['dtlsenable', 'yes'],
  ['dtlsverify', 'no'], ['dtlscertfile', '/etc/asterisk/keys/asterisk.pem'], ['dtlssetup', 'actpass'], ['force_avp', 'yes'],
  ['rtcp_mux', 'yes'],
];

/** The user UUIDs of a listed group's or queue's `members`, in either flavour's shape. */
export function memberUuids(members: unknown): string[] {
  const blocks = Array.isArray(members) ? members : members === undefined || members === null ? [] : [members];
  return blocks.flatMap((b) => ((b as { users?: Array<{ uuid?: unknown }> }).users ?? []).map((u) => u.uuid)).filter((u): u is string => typeof u === 'string');
}
