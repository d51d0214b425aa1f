// Wazo Platform 26 (confd 1.1 of 26.08, wazo-auth 26.05), where it differs from Wazo 20.06:
//  - SIP endpoints are PJSIP, keyed by uuid: credentials in `auth_section_options`, behaviour from
//    tenant `templates` (every tenant has `global` and `webrtc`) and a `transport`, both referenced by
//    uuid. The lab speaks of them as option pairs: ['template', label], ['transport', name], and any
//    other pair an `endpoint_section_options` entry.
//  - A line's `endpoint_sip` is `{uuid, name, label, auth_section_options: [['username', …]]}`.
//  - Resources belong to a tenant: the token's tenant (auth metadata) goes in `Wazo-Tenant`.
//  - Groups are addressed by uuid and have only a `label` (their `name` is made by confd).
//  - Queue `members` list `users` and `agents`; the wizard, token body and queue body are 20.06's.

import { LabError } from '../lab-error.ts';
import type { ConfdEndpointSip, SipAccount } from './confd-resources.ts';
import type { XivoClient } from './xivo-client.ts';
import type { SipEndpointShape, XivoFlavour } from './xivo-flavour.ts';

interface Named { uuid: string; label?: string; name?: string }

/** Tenants hold a handful of templates and the machine a few transports: one page is all of them. */
async function listNamed(c: XivoClient, path: string): Promise<Named[]> {
  return (await c.get<{ items?: Named[] }>(path, { limit: 1000 })).items ?? [];
}

function option(pairs: unknown, key: string): string | undefined {
  return Array.isArray(pairs) ? (pairs as unknown[][]).find((p) => Array.isArray(p) && p[0] === key)?.[1] as string | undefined : undefined;
}

async function endpointBody(c: XivoClient, sip: SipAccount): Promise<Record<string, unknown>> {
  const templateLabels = sip.options.filter(([k]) => k === 'template').map(([, v]) => v ?? '');
  const transportName = sip.options.find(([k]) => k === 'transport')?.[1];
  const endpointOptions = sip.options.filter(([k]) => k !== 'template' && k !== 'transport');
  const templates = templateLabels.length === 0 ? [] : await listNamed(c, '/endpoints/sip/templates');
  const transports = transportName === undefined ? [] : await listNamed(c, '/sip/transports');
  const templateRefs = templateLabels.map((label) => {
    const found = templates.find((t) => t.label === label);
    if (found === undefined) throw new LabError('LAB_XIVO_API', `Wazo at ${c.host} has no SIP template labelled ${label} in this tenant (it has: ${templates.map((t) => t.label).join(', ') || 'none'}); was the tenant made by the wizard?`);
    return { uuid: found.uuid };
  });
  const transport = transports.find((t) => t.name === transportName);
  if (transportName !== undefined && transport === undefined) throw new LabError('LAB_XIVO_API', `Wazo at ${c.host} has no SIP transport ${transportName} (it has: ${transports.map((t) => t.name).join(', ') || 'none'})`);
  return {
    name: sip.username, label: sip.username,
    auth_section_options: [['username', sip.username], ['password', sip.secret]],
    templates: templateRefs,
    ...(transport === undefined ? {} : { transport: { uuid: transport.uuid } }),
    ...(endpointOptions.length === 0 ? {} : { endpoint_section_options: endpointOptions }),
  };
}

async function readEndpoints(c: XivoClient, raw: Array<Record<string, unknown>>): Promise<ConfdEndpointSip[]> {
  const transports = raw.some((e) => e['transport'] !== undefined && e['transport'] !== null) ? await listNamed(c, '/sip/transports') : [];
  return raw.map((e) => {
    const transportUuid = (e['transport'] as { uuid?: string } | null | undefined)?.uuid;
    const templates = (e['templates'] as Array<{ uuid: string; label?: string }> | undefined) ?? [];
    return {
      id: String(e['uuid']),
      username: option(e['auth_section_options'], 'username') ?? '',
      secret: option(e['auth_section_options'], 'password') ?? '',
      options: [
        ...templates.map((t) => ['template', t.label ?? t.uuid]),
        ...(transportUuid === undefined ? [] : [['transport', transports.find((t) => t.uuid === transportUuid)?.name ?? transportUuid]]),
        ...((e['endpoint_section_options'] as string[][] | undefined) ?? []),
      ],
    };
  });
}

export const PJSIP_WAZO_26: SipEndpointShape = {
  // Wazo's own WebRTC lines: the tenant's `webrtc` template over `global`, reached over WSS.
  options: (webrtc) => (webrtc ? [['template', 'global'], ['template', 'webrtc'], ['transport', 'transport-wss']] : [['template', 'global'], ['transport', 'transport-udp']]),
  body: endpointBody,
  read: readEndpoints,
  lineEndpoint: (raw) => {
    if (typeof raw !== 'object' || raw === null || typeof (raw as { uuid?: unknown }).uuid !== 'string') return undefined;
    const username = option((raw as { auth_section_options?: unknown }).auth_section_options, 'username');
    return { id: (raw as { uuid: string }).uuid, ...(username === undefined ? {} : { username }) };
  },
};

/** Wazo 26 is Wazo 20.06 where the list above says otherwise. */
export function wazo26Flavour(wazo2006: XivoFlavour): XivoFlavour {
  return {
    ...wazo2006,
    id: 'wazo-26',
    product: 'Wazo 26.08',
    groupBody: (name) => ({ label: name }),
    groupRef: (group) => {
      if (group.uuid === undefined) throw new LabError('LAB_BAD_RESPONSE', `Wazo group ${group.id} came without a uuid`);
      return group.uuid;
    },
    tenantHeader: true,
    sip: PJSIP_WAZO_26,
  };
}
