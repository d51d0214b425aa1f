// The schema of voiplab.yaml, declared once: TypeBox gives the JSON Schema (validated with ajv,
// committed as config.schema.json for editors) and the TypeScript type of a loaded config.
// Defaults live here too, so a minimal file is enough and every default is documented in one place.

import { Type, type Static } from '@sinclair/typebox';

const Port = Type.Integer({ minimum: 0, maximum: 65535, description: '0 picks a free port (tests)' });
const Address = Type.String({ minLength: 1, description: 'IPv4 or IPv6 address to listen on; 0.0.0.0 or :: for all' });
const Extension = Type.String({ pattern: '^[0-9A-Za-z*#+._-]{1,32}$', description: 'dialable number or user name' });

export const SipListenerSchema = Type.Object({
  protocol: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls'), Type.Literal('ws'), Type.Literal('wss')]),
  address: Address,
  port: Port,
  /** The address put in Via/Contact/Record-Route when listening on 0.0.0.0 (the LAN address phones reach). */
  advertisedAddress: Type.Optional(Type.String({ minLength: 1 })),
}, { additionalProperties: false });

export const HttpListenerSchema = Type.Object({
  protocol: Type.Union([Type.Literal('http'), Type.Literal('https')]),
  address: Address,
  port: Port,
}, { additionalProperties: false });

export const Ha1Schema = Type.Object({
  'MD5': Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
  'SHA-256': Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  'SHA-512-256': Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
}, { additionalProperties: false, description: 'digest HA1 hashes per algorithm, computed with the domain as realm' });

export const AccountSchema = Type.Object({
  extension: Extension,
  displayName: Type.String({ maxLength: 64, default: '' }),
  /** Plain password: accepted in hand-written files, replaced by `ha1` when voiplab writes the file. */
  password: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
  ha1: Type.Optional(Ha1Schema),
  enabled: Type.Boolean({ default: true }),
  transports: Type.Array(Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls'), Type.Literal('ws'), Type.Literal('wss')]), {
    default: ['udp', 'tcp', 'tls', 'ws', 'wss'], uniqueItems: true, minItems: 1,
  }),
  maxContacts: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  /** Record every call this account makes or receives (media mode rtpengine); off when absent. */
  record: Type.Optional(Type.Boolean()),
  /** How its phone sends and wants DTMF: rfc4733 (telephone-events in RTP, the default) or info (SIP INFO); translated between the two with media mode rtpengine. */
  dtmfMode: Type.Optional(Type.Union([Type.Literal('rfc4733'), Type.Literal('info')])),
}, { additionalProperties: false });

export const GroupSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  strategy: Type.Union([Type.Literal('simultaneous'), Type.Literal('in-turn')], { default: 'simultaneous' }),
  /** Seconds each member (in turn) or all members (simultaneous) ring. */
  memberTimeout: Type.Integer({ minimum: 1, maximum: 600, default: 20 }),
  /** Extensions of accounts, or SIP URIs of external numbers. */
  members: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  /** Number dialled (through the dialplan) when nobody answers. */
  fallback: Type.Optional(Type.String({ minLength: 1 })),
}, { additionalProperties: false });

export const QUEUE_STRATEGIES = ['ringall', 'linear', 'leastrecent', 'fewestcalls', 'random', 'rrmemory'] as const;

const Seconds = (max: number, description: string, fallback: number) => Type.Integer({ minimum: 0, maximum: max, default: fallback, description });

export const QueueSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  /**
   * Who rings (Asterisk app_queue's strategies): ringall every available member at once; linear in
   * member order; leastrecent the member whose last queue call ended longest ago; fewestcalls the
   * member who answered fewest; random; rrmemory round robin, starting after the last one called.
   */
  strategy: Type.Union(QUEUE_STRATEGIES.map((s) => Type.Literal(s)), { default: 'ringall' }),
  /** Static members: extensions of accounts, always logged in (they can pause). */
  members: Type.Array(Extension, { default: [], uniqueItems: true }),
  /** Accounts allowed to log in and out as dynamic agents (feature codes or the API); any account when absent. */
  agents: Type.Optional(Type.Array(Extension, { uniqueItems: true })),
  memberTimeout: Seconds(600, 'seconds a member rings before the next attempt', 15),
  retryDelay: Seconds(600, 'seconds a caller waits after an unanswered attempt before the next one', 2),
  wrapUp: Seconds(3600, 'seconds a member gets after a queue call before being offered another', 0),
  /** Waiting callers beyond which new callers overflow (0: no limit). */
  maxCallers: Seconds(10_000, 'waiting callers beyond which new callers overflow (0: no limit)', 0),
  /** Seconds a caller may wait before overflowing (0: no limit). */
  maxWait: Seconds(86_400, 'seconds a caller may wait before overflowing (0: no limit)', 0),
  /** Callers join when no member is logged in and unpaused; false sends them to overflow.empty at once. */
  joinWhenEmpty: Type.Boolean({ default: true }),
  /** Waiting callers leave (to overflow.empty) when the last available member logs out or pauses. */
  leaveWhenEmpty: Type.Boolean({ default: false }),
  /** Numbers dialled through the dialplan when a caller overflows; without one the caller hears a prompt and is hung up (or gets 486/480 before joining). */
  overflow: Type.Object({
    full: Type.Optional(Type.String({ minLength: 1, description: 'when maxCallers are waiting' })),
    timeout: Type.Optional(Type.String({ minLength: 1, description: 'when a caller waited maxWait' })),
    empty: Type.Optional(Type.String({ minLength: 1, description: 'when no member is available (joinWhenEmpty false, leaveWhenEmpty true)' })),
  }, { additionalProperties: false, default: {} }),
  announce: Type.Object({
    /** Seconds between announcements to each waiting caller; 0: none. The first is at joining. */
    every: Seconds(3600, 'seconds between announcements to each waiting caller (0: none); the first is at joining', 30),
    position: Type.Boolean({ default: true, description: 'announce the caller\'s position' }),
    waitTime: Type.Boolean({ default: true, description: 'announce the estimated wait once the queue has answered calls' }),
  }, { additionalProperties: false, default: {} }),
  /** Seconds within which an answer counts for the service level. */
  serviceLevel: Type.Integer({ minimum: 1, maximum: 3600, default: 20 }),
}, { additionalProperties: false });

export const DialplanActionSchema = Type.Union([
  Type.Object({ type: Type.Literal('account'), extension: Type.Optional(Extension), timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })) }, { additionalProperties: false, description: 'call an account (the dialled number when extension is absent), all its contacts in parallel' }),
  Type.Object({ type: Type.Literal('group'), group: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('queue'), queue: Type.String({ minLength: 1 }),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'callers of higher priority wait ahead of others (default 0)' })),
  }, { additionalProperties: false, description: 'wait in a call queue (media mode rtpengine)' }),
  Type.Object({
    type: Type.Literal('queue-agent'),
    operation: Type.Union([Type.Literal('login'), Type.Literal('logout'), Type.Literal('pause'), Type.Literal('unpause'), Type.Literal('toggle-pause')]),
    queue: Type.Optional(Type.String({ minLength: 1, description: 'the queue; when absent, login acts on every queue the caller may log in to, the others on every queue it is a member of' })),
  }, { additionalProperties: false, description: 'a feature code: the calling account logs in, out, pauses or resumes as a queue agent' }),
  Type.Object({
    type: Type.Literal('announcement'),
    prompt: Type.String({ minLength: 1, description: 'a prompt id (unavailable, busy, welcome, …) or the path of a WAV file' }),
    next: Type.Optional(Type.String({ minLength: 1, description: 'number dialled after the prompt (played as early media); without it the call is answered and hung up after the prompt' })),
  }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('reject'), code: Type.Integer({ minimum: 400, maximum: 699 }), reason: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('redirect'), target: Type.String({ minLength: 1, description: 'SIP URI or number for the 302 Contact' }) }, { additionalProperties: false }),
]);

export const DialplanRuleSchema = Type.Object({
  /** Exact number, or an Asterisk pattern starting with `_`: X N Z [1-5] . ! */
  match: Type.String({ minLength: 1, maxLength: 64 }),
  action: DialplanActionSchema,
  /** Lets callers reach this rule without authenticating (e.g. an emergency number from a trunk). */
  allowUnauthenticated: Type.Boolean({ default: false }),
  /** Record the calls this rule routes (media mode rtpengine); off when absent. */
  record: Type.Optional(Type.Boolean()),
  description: Type.Optional(Type.String()),
}, { additionalProperties: false });

export const SecuritySchema = Type.Object({
  /** Admin token for the HTTP API (Bearer); VOIPLAB_ADMIN_TOKEN overrides it. */
  adminToken: Type.Optional(Type.String({ minLength: 16 })),
  /**
   * Digest algorithms offered, in order. MD5 only by default: baresip 1.0 refuses to register when any
   * challenge is SHA-256 (even beside an MD5 one), and SIPp 3.6 answers only the first challenge.
   * Add SHA-256 (after MD5) where every phone supports RFC 8760.
   */
  digestAlgorithms: Type.Array(Type.Union([Type.Literal('MD5'), Type.Literal('SHA-256'), Type.Literal('SHA-512-256')]), { default: ['MD5'], minItems: 1, uniqueItems: true }),
  ban: Type.Object({
    maxFailures: Type.Integer({ minimum: 1, default: 10 }),
    windowSeconds: Type.Integer({ minimum: 1, default: 300 }),
    banSeconds: Type.Integer({ minimum: 1, default: 900 }),
  }, { additionalProperties: false, default: {} }),
  rateLimit: Type.Object({
    /** Sustained SIP requests per second per source address. */
    requestsPerSecond: Type.Number({ exclusiveMinimum: 0, default: 50 }),
    burst: Type.Integer({ minimum: 1, default: 200 }),
  }, { additionalProperties: false, default: {} }),
  registration: Type.Object({
    minExpires: Type.Integer({ minimum: 1, default: 60 }),
    maxExpires: Type.Integer({ minimum: 1, default: 3600 }),
    defaultExpires: Type.Integer({ minimum: 1, default: 600 }),
  }, { additionalProperties: false, default: {} }),
  limits: Type.Object({
    maxMessageBytes: Type.Integer({ minimum: 1024, default: 65535 }),
    /** Idle TCP/TLS/WS connections without bindings are closed after this many seconds. */
    idleConnectionSeconds: Type.Integer({ minimum: 1, default: 600 }),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false, default: {} });

const ExternalRtpengineSchema = Type.Object({
  /** The ng control address of an rtpengine run elsewhere (`--listen-ng`). */
  address: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** Share of new calls relative to the other instances. */
  weight: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
}, { additionalProperties: false });

export const MediaSchema = Type.Object({
  /**
   * rtpengine: every call's media is bridged by rtpengine (WebRTC <-> RTP, transcoding, music on
   * hold, announcements, recording); passthrough: SDP relayed unchanged, RTP flows between phones.
   */
  mode: Type.Union([Type.Literal('passthrough'), Type.Literal('rtpengine')], { default: 'passthrough' }),
  rtpengine: Type.Object({
    /** Start and supervise an rtpengine of our own (userspace mode). */
    embedded: Type.Boolean({ default: true }),
    /** The rtpengine binary (Debian package rtpengine-daemon). */
    binary: Type.String({ minLength: 1, default: 'rtpengine' }),
    /** The address media flows on; defaults to the machine's first non-loopback IPv4 address. */
    address: Type.Optional(Type.String({ minLength: 1 })),
    /** The address put in SDP when `address` is behind NAT. */
    advertisedAddress: Type.Optional(Type.String({ minLength: 1 })),
    portMin: Type.Integer({ minimum: 1024, maximum: 65535, default: 20000 }),
    portMax: Type.Integer({ minimum: 1024, maximum: 65535, default: 29999 }),
    /** ng control port of the embedded instance on 127.0.0.1; 0 picks a free one. */
    ngPort: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
    /** rtpengine instances run elsewhere; new calls are spread over them (and the embedded one, if any). */
    instances: Type.Array(ExternalRtpengineSchema, { default: [] }),
    /** Per-attempt ng timeout and retries before an instance counts as down. */
    timeoutMs: Type.Integer({ minimum: 50, maximum: 30000, default: 1000 }),
    retries: Type.Integer({ minimum: 0, maximum: 10, default: 2 }),
  }, { additionalProperties: false, default: {} }),
  prompts: Type.Object({
    /** Language of announcements and prompts. */
    language: Type.Union([Type.Literal('en'), Type.Literal('fr')], { default: 'en' }),
    /** A folder whose `<language>/<prompt>.wav` files replace the shipped prompts. */
    dir: Type.Optional(Type.String({ minLength: 1 })),
  }, { additionalProperties: false, default: {} }),
  musicOnHold: Type.Object({
    /** Play music to the party put on hold. */
    enabled: Type.Boolean({ default: true }),
    /** A WAV file instead of the shipped music. */
    file: Type.Optional(Type.String({ minLength: 1 })),
  }, { additionalProperties: false, default: {} }),
  recording: Type.Object({
    /** Recordings older than this are deleted (file and listing). */
    retentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90 }),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false, default: {} });

export const ConfigSchema = Type.Object({
  /** SIP domain: the realm of digest authentication and the host of every account's AOR. */
  domain: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9.-]+$' }),
  sip: Type.Object({
    listeners: Type.Array(SipListenerSchema, { minItems: 1 }),
    userAgent: Type.String({ default: 'voiplab' }),
  }, { additionalProperties: false }),
  http: Type.Object({
    listeners: Type.Array(HttpListenerSchema, { default: [] }),
    /** CORS origins allowed to call the API; none by default. */
    corsOrigins: Type.Array(Type.String(), { default: [] }),
  }, { additionalProperties: false, default: {} }),
  tls: Type.Object({
    /** PEM files; a self-signed pair is generated in the data folder when absent. */
    certFile: Type.Optional(Type.String()),
    keyFile: Type.Optional(Type.String()),
  }, { additionalProperties: false, default: {} }),
  accounts: Type.Array(AccountSchema, { default: [] }),
  groups: Type.Array(GroupSchema, { default: [] }),
  queues: Type.Array(QueueSchema, { default: [] }),
  dialplan: Type.Array(DialplanRuleSchema, { default: [] }),
  security: SecuritySchema,
  media: MediaSchema,
  calls: Type.Object({
    /** Seconds an unanswered call rings before 480/408 (no answer). */
    noAnswerTimeout: Type.Integer({ minimum: 1, maximum: 600, default: 30 }),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false, $id: 'https://voiplab.dev/schemas/config.json', title: 'voiplab configuration' });

export type VoiplabConfig = Static<typeof ConfigSchema>;
export type AccountConfig = Static<typeof AccountSchema>;
export type GroupConfig = Static<typeof GroupSchema>;
export type QueueConfig = Static<typeof QueueSchema>;
export type QueueStrategy = (typeof QUEUE_STRATEGIES)[number];
export type DialplanRule = Static<typeof DialplanRuleSchema>;
export type DialplanAction = Static<typeof DialplanActionSchema>;
export type SipListenerConfig = Static<typeof SipListenerSchema>;
export type HttpListenerConfig = Static<typeof HttpListenerSchema>;
