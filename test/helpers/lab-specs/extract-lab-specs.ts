// Copies the parts of the published API schemas in ../shared/specs that the lab tests need into
// this folder: the Proxmox VE methods the lab calls, and the confd/auth paths it calls with every
// definition, parameter and response they reference. Content is copied as is; only unused paths
// are left out. Provenance: PROVENANCE.md and each file's x-provenance.
// Usage (from the repo root): node --import tsx test/helpers/lab-specs/extract-lab-specs.ts [SPECS_DIR]

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const source = process.argv[2] ?? join(here, '../../../../shared/specs');

const PVE_PATHS = [
  '/version', '/access/ticket', '/cluster/resources', '/cluster/nextid',
  '/nodes/{node}/tasks/{upid}/status', '/nodes/{node}/tasks/{upid}/log',
  '/nodes/{node}/qemu/{vmid}', '/nodes/{node}/qemu/{vmid}/clone', '/nodes/{node}/qemu/{vmid}/config',
  '/nodes/{node}/qemu/{vmid}/status/current', '/nodes/{node}/qemu/{vmid}/status/start', '/nodes/{node}/qemu/{vmid}/status/stop',
  '/nodes/{node}/qemu/{vmid}/status/shutdown', '/nodes/{node}/qemu/{vmid}/snapshot', '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback',
  '/nodes/{node}/qemu/{vmid}/agent/ping', '/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces',
  '/nodes/{node}/qemu/{vmid}/agent/exec', '/nodes/{node}/qemu/{vmid}/agent/exec-status',
  // The cloud-image source (create with import-from, grow the disk) and group pools.
  '/nodes/{node}/qemu', '/nodes/{node}/qemu/{vmid}/resize', '/pools',
];

const CONFD_PATHS = [
  '/users', '/users/{user_id}', '/endpoints/sip', '/endpoints/sip/{sip_id}', '/lines', '/lines/{line_id}', '/extensions', '/extensions/{extension_id}',
  '/lines/{line_id}/endpoints/sip/{sip_id}', '/lines/{line_id}/extensions/{extension_id}', '/users/{user_id}/lines/{line_id}',
  '/groups', '/groups/{group_id}', '/groups/{group_id}/extensions/{extension_id}', '/groups/{group_id}/members/users',
  '/queues', '/queues/{queue_id}/extensions/{extension_id}', '/queues/{queue_id}/members/users/{user_id}',
  '/wizard', '/wizard/discover',
];

// Wazo 26 names its path parameters after uuids where it keys by them, and adds the SIP templates and
// transports a PJSIP endpoint refers to.
const CONFD_PATHS_26 = [
  '/users', '/users/{user_id}', '/endpoints/sip', '/endpoints/sip/{sip_uuid}', '/endpoints/sip/templates', '/sip/transports',
  '/lines', '/lines/{line_id}', '/extensions', '/extensions/{extension_id}',
  '/lines/{line_id}/endpoints/sip/{sip_uuid}', '/lines/{line_id}/extensions/{extension_id}', '/users/{user_id}/lines/{line_id}',
  '/groups', '/groups/{group_uuid}', '/groups/{group_uuid}/extensions/{extension_id}', '/groups/{group_uuid}/members/users',
  '/queues', '/queues/{queue_id}/extensions/{extension_id}', '/queues/{queue_id}/members/users/{user_id}',
  '/wizard', '/wizard/discover',
];

interface PveNode { path: string; info?: Record<string, unknown>; children?: PveNode[] }

function extractPve(): void {
  const tree = JSON.parse(readFileSync(join(source, 'proxmox/apidata.json'), 'utf8')) as PveNode[];
  const found: Array<{ path: string; info: Record<string, unknown> }> = [];
  const walk = (node: PveNode): void => {
    if (PVE_PATHS.includes(node.path) && node.info !== undefined) found.push({ path: node.path, info: node.info });
    for (const child of node.children ?? []) walk(child);
  };
  tree.forEach(walk);
  const missing = PVE_PATHS.filter((p) => !found.some((f) => f.path === p));
  if (missing.length > 0) throw new Error(`not in apidata.json: ${missing.join(', ')}`);
  const out = {
    'x-provenance': 'github.com/proxmox/pve-docs api-viewer/apidata.js (PVE 9.1, pve-docs 9.1.3, commit a8736b6d6169ea9679ee02285ea36fdab42e85c3), via ../shared/specs/proxmox/apidata.json; only the methods voiplab lab calls, flattened from the tree',
    methods: found.sort((a, b) => a.path.localeCompare(b.path)),
  };
  writeFileSync(join(here, 'pve-apidata-lab.json'), `${JSON.stringify(out)}\n`);
}

function collectRefs(value: unknown, refs: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => collectRefs(v, refs));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') refs.add(v);
      else collectRefs(v, refs);
    }
  }
}

function extractSwagger(file: string, paths: string[] | undefined): void {
  const spec = JSON.parse(readFileSync(join(source, 'xivo', file), 'utf8')) as Record<string, unknown> & { paths: Record<string, unknown> };
  const keptPaths: Record<string, unknown> = {};
  for (const p of paths ?? Object.keys(spec.paths)) if (spec.paths[p] !== undefined) keptPaths[p] = spec.paths[p];
  const sections = ['definitions', 'parameters', 'responses'] as const;
  const kept: Record<string, Record<string, unknown>> = { definitions: {}, parameters: {}, responses: {} };
  const pending = new Set<string>();
  collectRefs(keptPaths, pending);
  const done = new Set<string>();
  for (const ref of pending) {
    if (done.has(ref)) continue;
    done.add(ref);
    const [, section, name] = /^#\/(definitions|parameters|responses)\/(.+)$/.exec(ref) ?? [];
    if (section === undefined || name === undefined) throw new Error(`${file}: unexpected $ref ${ref}`);
    const value = (spec[section] as Record<string, unknown>)[name];
    (kept[section] as Record<string, unknown>)[name] = value;
    collectRefs(value, pending); // a Set iterates over what is added while iterating
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'paths') out[key] = keptPaths;
    else if ((sections as readonly string[]).includes(key)) out[key] = kept[key];
    else out[key] = value;
  }
  out['x-voiplab-extract'] = `paths kept: ${Object.keys(keptPaths).length} of ${Object.keys(spec.paths).length} (those voiplab lab calls) with every definition, parameter and response they reference; nothing else changed`;
  writeFileSync(join(here, file), `${JSON.stringify(out, null, 1)}\n`);
}

extractPve();
extractSwagger('xivo-confd-16.15.json', CONFD_PATHS);
extractSwagger('xivo-auth-16.15.json', undefined);
extractSwagger('wazo-confd-20.06.json', CONFD_PATHS);
extractSwagger('wazo-confd-26.08.json', CONFD_PATHS_26);
extractSwagger('wazo-auth-26.05.json', ['/token', '/token/{token}']);
process.stdout.write(`extracted from ${source} into ${here}\n`);
