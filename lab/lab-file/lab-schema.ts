// The schema of a lab file, declared once: TypeBox gives the JSON Schema (validated with ajv,
// committed as lab/lab.schema.json for editors) and the TypeScript type of a loaded lab. Secrets
// never appear in the file: it names the environment variables that hold them.

import { Type, type Static } from '@sinclair/typebox';

const EnvName = (fallback: string, what: string) => Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$', default: fallback, description: `environment variable holding ${what}` }));
const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,30}$', description: 'lower-case letters, digits and dashes (it becomes part of VM names)' });
const NodeName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$' });
const Vmid = Type.Integer({ minimum: 100, maximum: 999999999 });
const Extension = Type.String({ pattern: '^[0-9]{2,10}$', description: 'internal number, digits only (quote it: "1001")' });
const Ipv4 = Type.String({ pattern: '^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$' });

export const TlsTrustSchema = Type.Object({
  caFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of the CA (or the self-signed certificate), relative to the lab file' })),
  fingerprint: Type.Optional(Type.String({ pattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$', description: 'SHA-256 fingerprint of the server certificate' })),
  insecure: Type.Optional(Type.Literal(true, { description: 'skip certificate verification (logged loudly at every run)' })),
}, { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'exactly one of caFile, fingerprint, insecure' });

export const ProxmoxSchema = Type.Object({
  url: Type.String({ pattern: '^https://[^/\\s]+/?$', description: 'https://host:8006' }),
  auth: Type.Optional(Type.Union([Type.Literal('token'), Type.Literal('ticket')], { default: 'token' })),
  tokenIdEnv: EnvName('PVE_TOKEN_ID', 'the API token id, USER@REALM!TOKENID'),
  tokenSecretEnv: EnvName('PVE_TOKEN_SECRET', 'the API token secret'),
  userEnv: EnvName('PVE_USER', 'the user for ticket auth, USER@REALM'),
  passwordEnv: EnvName('PVE_PASSWORD', 'the password for ticket auth'),
  nodes: Type.Array(NodeName, { minItems: 1, uniqueItems: true, description: 'nodes to place group VMs on, in turn' }),
  storage: Type.Optional(Type.String({ minLength: 1, description: 'target storage of full clones' })),
  tls: TlsTrustSchema,
}, { additionalProperties: false });

// One object rather than a union: ajv fills defaults only outside anyOf. Exactly one of template
// and cloudImage (with installer) is a consistency rule (lab-semantic-checks.ts).
export const SourceSchema = Type.Object({
  template: Type.Optional(Type.Object({
    vmid: Vmid,
    node: NodeName,
    clone: Type.Optional(Type.Union([Type.Literal('linked'), Type.Literal('full')], { default: 'linked' })),
  }, { additionalProperties: false, description: 'clone a prepared XiVO template' })),
  cloudImage: Type.Optional(Type.Object({
    image: Type.String({ pattern: '^([A-Za-z0-9][A-Za-z0-9_.-]*:import/[^\\s]+|/[^\\s]+)$', description: 'disk image to import: a storage volume of content type import (local:import/debian-12-genericcloud-amd64.qcow2), or an absolute path on the node (root@pam only)' }),
    storage: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'storage of the VM disk and its cloud-init drive; default proxmox.storage' })),
    diskGiB: Type.Optional(Type.Integer({ minimum: 4, maximum: 4096, default: 20, description: 'the imported disk is grown to this size (XiVO needs room: 20 GiB or more)' })),
    user: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_-]{0,31}$', default: 'debian', description: 'cloud-init user (ciuser)' })),
    sshKeys: Type.Optional(Type.Array(Type.String({ pattern: '^(ssh|ecdsa)-[A-Za-z0-9-]+ [A-Za-z0-9+/=]+( .*)?$' }), { default: [], description: 'OpenSSH public keys of the cloud-init user' })),
    vendorSnippet: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*:snippets/[^\\s,]+$', description: 'cloud-init vendor data snippet (cicustom vendor=), e.g. to install qemu-guest-agent: local:snippets/qemu-guest-agent.yaml' })),
  }, { additionalProperties: false, description: 'make each VM from a Debian cloud image (then XiVO is installed in it through the guest agent)' })),
  installer: Type.Optional(Type.Object({
    url: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', description: "XiVO's install script, run as: bash xivo_install.sh -a VERSION" })),
    script: Type.Optional(Type.String({ minLength: 1, description: 'a shell script run as root instead (XIVO_VERSION holds the version)' })),
    version: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'the XiVO version to install (e.g. 2024.10-latest)' }),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 14400, default: 3600, description: 'longest the installer may run' })),
  }, { additionalProperties: false, description: 'how XiVO is installed in a cloudImage VM: exactly one of url, script; with version' })),
}, { additionalProperties: false, minProperties: 1, description: 'where each XiVO comes from: template, or cloudImage with installer' });

export const StudentGroupSchema = Type.Object({
  name: Name,
  students: Type.Array(Type.String({ minLength: 1, maxLength: 80 }), { minItems: 1 }),
  vmid: Type.Optional(Vmid),
  node: Type.Optional(NodeName),
  pool: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', description: 'Proxmox pool of this group alone; lab up creates it when missing (lab down removes it when it made it)' })),
  bridge: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' })),
  vlan: Type.Integer({ minimum: 1, maximum: 4094, description: 'VLAN tag; one per group so groups cannot reach each other' }),
  ip: Type.Union([Type.Literal('dhcp'), Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d{1,2}$' })], { description: 'dhcp, or a static address with its prefix (10.1.1.10/24)' }),
  gateway: Type.Optional(Ipv4),
  cores: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  memory: Type.Optional(Type.Integer({ minimum: 512, maximum: 262144, description: 'MiB' })),
}, { additionalProperties: false });

export const VmDefaultsSchema = Type.Object({
  cores: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, default: 2 })),
  memory: Type.Optional(Type.Integer({ minimum: 512, maximum: 262144, default: 2048, description: 'MiB' })),
  bridge: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+$', default: 'vmbr0' })),
  nameservers: Type.Optional(Type.Array(Ipv4, { maxItems: 3, default: [] })),
  searchDomain: Type.Optional(Type.String({ minLength: 1 })),
  vmidRange: Type.Optional(Type.Object({ from: Vmid, to: Vmid }, { additionalProperties: false, description: 'VMIDs of groups without vmid, in group order' })),
  poolPerGroup: Type.Optional(Type.Boolean({ default: false, description: 'give each group without pool its own pool, <lab>-<group>' })),
}, { additionalProperties: false });

const NumberRange = Type.Object({ start: Extension, end: Extension }, { additionalProperties: false });

export const XivoSchema = Type.Object({
  flavour: Type.Optional(Type.Union([Type.Literal('xivo-16.15'), Type.Literal('wazo-20.06'), Type.Literal('wazo-26')], { default: 'xivo-16.15' })),
  adminPasswordEnv: EnvName('XIVO_ADMIN_PASSWORD', "the password the wizard gives XiVO's root web administrator"),
  accountSeedEnv: EnvName('VOIPLAB_ACCOUNT_SEED', 'a secret from which every SIP password is derived (same seed, same passwords)'),
  tls: TlsTrustSchema,
  ports: Type.Optional(Type.Object({
    confd: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 9486 })),
    auth: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 9497 })),
    sip: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 5060, description: 'UDP and TCP port phones (and the smoke scenario) register to' })),
  }, { additionalProperties: false, default: {} })),
  wizard: Type.Object({
    entityName: Type.String({ minLength: 1, maxLength: 64 }),
    timezone: Type.Optional(Type.String({ minLength: 1, default: 'Europe/Paris' })),
    language: Type.Optional(Type.Union(['de_DE', 'en_US', 'es_ES', 'fr_FR', 'fr_CA', 'it_IT', 'nl_NL'].map((l) => Type.Literal(l)), { default: 'fr_FR' })),
    domain: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+$', default: 'lab.local' })),
    internal: NumberRange,
    incall: Type.Optional(Type.Object({ start: Extension, end: Extension, didLength: Type.Integer({ minimum: 1, maximum: 20 }) }, { additionalProperties: false })),
  }, { additionalProperties: false }),
  context: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$', default: 'default' })),
  users: Type.Array(Type.Object({
    firstname: Type.String({ minLength: 1, maxLength: 64 }),
    lastname: Type.Optional(Type.String({ maxLength: 64, default: '' })),
    extension: Extension,
    webrtc: Type.Optional(Type.Boolean({ default: false, description: 'a browser softphone line (SIP over WSS)' })),
  }, { additionalProperties: false }), { minItems: 1 }),
  groups: Type.Optional(Type.Array(Type.Object({ name: Name, extension: Extension, members: Type.Array(Extension, { uniqueItems: true }) }, { additionalProperties: false }), { default: [] })),
  queues: Type.Optional(Type.Array(Type.Object({ name: Name, extension: Extension, members: Type.Array(Extension, { uniqueItems: true }) }, { additionalProperties: false }), { default: [] })),
}, { additionalProperties: false });

export const LabFileSchema = Type.Object({
  lab: Name,
  proxmox: ProxmoxSchema,
  source: SourceSchema,
  vm: Type.Optional(VmDefaultsSchema),
  groups: Type.Array(StudentGroupSchema, { minItems: 1 }),
  xivo: XivoSchema,
  parallel: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, default: 2, description: 'groups converged at once' })),
  timeouts: Type.Optional(Type.Object({
    taskSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7200, default: 600 })),
    agentSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7200, default: 300 })),
    xivoSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7200, default: 300 })),
  }, { additionalProperties: false, default: {} })),
  smoke: Type.Optional(Type.Object({ scenario: Type.String({ minLength: 1, description: 'scenario file (scenario-runner format) to run against each XiVO' }) }, { additionalProperties: false })),
  report: Type.Optional(Type.Object({ softphoneUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'base URL of a browser softphone page to link from the report' })) }, { additionalProperties: false })),
}, { additionalProperties: false });

export type LabFile = Static<typeof LabFileSchema>;
export type StudentGroup = Static<typeof StudentGroupSchema>;
export type LabSource = Static<typeof SourceSchema>;
export type TlsTrustConfig = Static<typeof TlsTrustSchema>;
export type XivoConfig = Static<typeof XivoSchema>;
