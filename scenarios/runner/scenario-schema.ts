// The scenario file format (YAML), declared once with TypeBox: the JSON Schema ajv validates with
// (committed as scenarios/scenario.schema.json) and the TypeScript types the runner reads.
// A step is a one-key map, `- answer: bob`, so a scenario reads like the call it describes.

import { Type, type Static, type TSchema } from '@sinclair/typebox';

const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*$';

export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s)$';
export const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'a duration: 500ms, 2s, 1.5s' });
const PhoneName = Type.String({ pattern: NAME_PATTERN, description: 'the name of a phone declared under phones' });
const StatusCode = Type.Integer({ minimum: 100, maximum: 699 });
const Frequency = Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 4000, description: 'Hz, under 4000 (G.711 is sampled at 8 kHz)' });

export const AccountSchema = Type.Object({
  extension: Type.String({ pattern: '^[0-9A-Za-z_.+-]+$', description: 'the SIP user and dialled number, e.g. "1001"' }),
  /** The password, or `${ENV_NAME}` parts read from the environment when the scenario starts. */
  password: Type.Optional(Type.String({ minLength: 1, description: 'the password; ${NAME} is replaced by the environment variable NAME' })),
  /** The environment variable holding the password (no secret in the file). */
  passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'the environment variable holding the password' })),
  displayName: Type.Optional(Type.String()),
}, { additionalProperties: false });

/** A ring group of the embedded target: its number rings its members (IPBX config `groups` + a dialplan rule). */
export const GroupSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  number: Type.String({ pattern: '^[0-9A-Za-z_.+-]+$', description: 'the number that rings the group, e.g. "2000"' }),
  strategy: Type.Optional(Type.Union([Type.Literal('simultaneous'), Type.Literal('in-turn')], { default: 'simultaneous' })),
  /** How long each member (in turn) or all members (simultaneous) ring. */
  memberTimeout: Type.Optional(Duration),
  members: Type.Array(Type.String({ minLength: 1, description: 'the extension of one of the accounts' }), { minItems: 1 }),
  /** Number dialled when nobody answers. */
  fallback: Type.Optional(Type.String({ minLength: 1 })),
}, { additionalProperties: false });

/** A call queue of the embedded target (IPBX config `queues` + a dialplan rule for its number); see docs/queues.md. */
export const QueueSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  number: Type.String({ pattern: '^[0-9A-Za-z_.+-]+$', description: 'the number that joins the queue, e.g. "3000"' }),
  strategy: Type.Optional(Type.Union(['ringall', 'linear', 'leastrecent', 'fewestcalls', 'random', 'rrmemory'].map((s) => Type.Literal(s)))),
  members: Type.Array(Type.String({ minLength: 1, description: 'the extension of one of the accounts' }), { minItems: 1 }),
  memberTimeout: Type.Optional(Duration),
  retryDelay: Type.Optional(Duration),
  wrapUp: Type.Optional(Duration),
  maxWait: Type.Optional(Duration),
  maxCallers: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Numbers callers are sent to when the queue is full, they waited maxWait, or nobody can answer. */
  overflow: Type.Optional(Type.Object({
    full: Type.Optional(Type.String({ minLength: 1 })), timeout: Type.Optional(Type.String({ minLength: 1 })), empty: Type.Optional(Type.String({ minLength: 1 })),
  }, { additionalProperties: false })),
  /** How often waiting callers hear their position; `0s` for music only (the IPBX's default is 30s). */
  announceEvery: Type.Optional(Duration),
}, { additionalProperties: false });

export const PHONE_KINDS = ['phone', 'baresip', 'browser'] as const;

export const PhoneSchema = Type.Object({
  /** phone: the built-in desk-phone emulator; baresip: a baresip process; browser: the voiplab softphone in Chromium. */
  kind: Type.Optional(Type.Union(PHONE_KINDS.map((k) => Type.Literal(k)), { default: 'phone' })),
  account: Type.String({ minLength: 1, description: 'the extension of one of the accounts' }),
  /** A password other than the account's (a wrong-password scenario). */
  password: Type.Optional(Type.String({ minLength: 1 })),
  transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { default: 'udp' })),
  /** What the phone's microphone sends in a call: a sine of this frequency; silence when absent. */
  tone: Type.Optional(Frequency),
}, { additionalProperties: false });

/** A XiVO (or Wazo 20.06) reached at the target's host: its confd and xivo-auth, and its admin from the environment. */
export const XivoTargetSchema = Type.Object({
  flavour: Type.Optional(Type.Union([Type.Literal('xivo-16.15'), Type.Literal('wazo-20.06'), Type.Literal('wazo-26')], { default: 'xivo-16.15' })),
  confdPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 9486 })),
  authPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 9497 })),
  usernameEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'environment variable holding the web administrator (root when absent)' })),
  passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', default: 'XIVO_ADMIN_PASSWORD', description: "environment variable holding the web administrator's password" })),
  tls: Type.Object({
    caFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of the CA or the self-signed certificate, relative to the working folder' })),
    fingerprint: Type.Optional(Type.String({ pattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$', description: 'SHA-256 fingerprint of the certificate' })),
    insecure: Type.Optional(Type.Literal(true, { description: 'skip certificate verification (logged loudly)' })),
  }, { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'exactly one of caFile, fingerprint, insecure' }),
  context: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$', default: 'default', description: 'the internal context of the lines made' })),
  /** Leave the users, lines and extensions made for the run in place. */
  keep: Type.Optional(Type.Boolean({ default: false })),
}, { additionalProperties: false, description: 'xivo target only' });

export const TargetSchema = Type.Object({
  /** embedded: a voiplab IPBX started in-process with the scenario's accounts (media through rtpengine); sip: any SIP server, nothing started. */
  kind: Type.Optional(Type.Union([Type.Literal('embedded'), Type.Literal('sip'), Type.Literal('xivo')], { default: 'embedded' })),
  domain: Type.Optional(Type.String({ minLength: 1, default: 'voiplab.test' })),
  /** sip: the server's host name or address. */
  host: Type.Optional(Type.String({ minLength: 1 })),
  /** sip: its SIP port (UDP and TCP), default 5060. */
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** sip: the transports it listens on; a phone must use one of them. Default udp and tcp. */
  transports: Type.Optional(Type.Array(Type.Union([Type.Literal('udp'), Type.Literal('tcp')]), { minItems: 1, uniqueItems: true })),
  /** sip: where browsers reach it (wss://host:port/path). */
  wss: Type.Optional(Type.String({ pattern: '^wss?://' })),
  /** embedded: how long an unanswered call rings before the caller gets 480 (IPBX calls.noAnswerTimeout, whole seconds); 30s when absent. */
  noAnswerTimeout: Type.Optional(Duration),
  /** xivo (with host, and port for SIP): the accounts are made through confd before the run, removed after. */
  xivo: Type.Optional(XivoTargetSchema),
}, { additionalProperties: false, default: {} });

/** A step naming only a phone may be written `- hangup: bob` or `- hangup: { phone: bob }`. */
function phoneOr<T extends Record<string, TSchema>>(extra: T) {
  return Type.Union([PhoneName, Type.Object({ phone: PhoneName, ...extra }, { additionalProperties: false })]);
}

function step<K extends string, S extends TSchema>(key: K, value: S) {
  return Type.Object({ [key]: value } as { [P in K]: S }, { additionalProperties: false });
}

export const CALL_STATES = ['ringing', 'connected', 'ended'] as const;
export const END_CAUSES = ['local-hangup', 'remote-hangup', 'rejected', 'cancelled', 'transferred', 'failed'] as const;
export const REGISTRATION_STATES = ['registered', 'unregistered', 'failed'] as const;

export const ExpectationSchema = Type.Object({
  phone: Type.Optional(PhoneName),
  /** How long the expectation may take to hold; the scenario's defaultWithin when absent. */
  within: Type.Optional(Duration),
  call: Type.Optional(Type.Union(CALL_STATES.map((s) => Type.Literal(s)))),
  cause: Type.Optional(Type.Union(END_CAUSES.map((s) => Type.Literal(s)))),
  /** The final SIP status of the call (call: ended) or of the last REGISTER (registration). */
  status: Type.Optional(StatusCode),
  hears: Type.Optional(Frequency),
  silence: Type.Optional(Type.Literal(true)),
  /** How much audio a hears/silence verdict is made on (the latest received). Default 600ms. */
  listen: Type.Optional(Duration),
  dtmf: Type.Optional(Type.String({ pattern: '^[0-9*#A-Da-d]+$' })),
  registration: Type.Optional(Type.Union(REGISTRATION_STATES.map((s) => Type.Literal(s)))),
  /** A queue's live state through the IPBX's API (targets that offer it): callers waiting now, and today's counts. */
  queue: Type.Optional(Type.Object({
    name: Type.String({ minLength: 1 }),
    waiting: Type.Optional(Type.Integer({ minimum: 0 })),
    answered: Type.Optional(Type.Integer({ minimum: 0 })),
    abandoned: Type.Optional(Type.Integer({ minimum: 0 })),
    overflowed: Type.Optional(Type.Integer({ minimum: 0 })),
  }, { additionalProperties: false })),
  cdr: Type.Optional(Type.Object({
    caller: Type.Optional(Type.String({ minLength: 1 })),
    callee: Type.Optional(Type.String({ minLength: 1 })),
    cause: Type.Optional(Type.String({ minLength: 1, description: 'answered, busy, no-answer, cancelled, rejected, unknown-number, offline, failed, transferred' })),
    status: Type.Optional(StatusCode),
  }, { additionalProperties: false })),
}, { additionalProperties: false });

/** Each step kind's value schema, by key; the runner and the validator share this table. */
export const STEP_SCHEMAS = {
  register: phoneOr({
    status: Type.Optional(StatusCode), within: Type.Optional(Duration),
    /** Seconds asked for (Expires); 3600 when absent. */
    expires: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400 })),
    /** Re-REGISTER before it expires (halfway), as phones do; true when absent. */
    refresh: Type.Optional(Type.Boolean()),
  }),
  unregister: phoneOr({ within: Type.Optional(Duration) }),
  call: Type.Object({ from: PhoneName, to: Type.String({ minLength: 1, description: 'a phone name (its extension is dialled) or a number' }) }, { additionalProperties: false }),
  answer: phoneOr({ within: Type.Optional(Duration) }),
  reject: Type.Object({ phone: PhoneName, code: Type.Integer({ minimum: 300, maximum: 699 }), within: Type.Optional(Duration) }, { additionalProperties: false }),
  cancel: phoneOr({ within: Type.Optional(Duration) }),
  hangup: phoneOr({ within: Type.Optional(Duration) }),
  hold: phoneOr({ within: Type.Optional(Duration) }),
  resume: phoneOr({ within: Type.Optional(Duration) }),
  transfer: Type.Object({
    phone: PhoneName, to: Type.String({ minLength: 1, description: 'a phone name (its extension) or a number' }), within: Type.Optional(Duration),
    /** Attended (RFC 5589 §7): the phone's earlier call goes to the other party of its latest call (a REFER with Replaces). */
    attended: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  dtmf: Type.Object({ phone: PhoneName, digits: Type.String({ pattern: '^[0-9*#A-Da-d]+$' }), via: Type.Optional(Type.Union([Type.Literal('rfc4733'), Type.Literal('info')], { default: 'rfc4733' })) }, { additionalProperties: false }),
  wait: Duration,
  /** The phone stops sending and receiving (SIP and RTP); its TCP connections are closed. */
  'drop-network': phoneOr({}),
  'restore-network': phoneOr({}),
  /** Stops the target IPBX and starts it again on the same ports and store (embedded target). */
  'restart-target': Type.Object({ down: Type.Optional(Duration), within: Type.Optional(Duration) }, { additionalProperties: false }),
  expect: ExpectationSchema,
} as const;

export type StepKind = keyof typeof STEP_SCHEMAS;
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as StepKind[];

export const StepSchema = Type.Union(STEP_KINDS.map((kind) => step(kind, STEP_SCHEMAS[kind])));

export const ScenarioSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  target: Type.Optional(TargetSchema),
  /** The bound on the whole scenario. */
  timeout: Type.Optional(Type.String({ pattern: DURATION_PATTERN, default: '60s' })),
  /** The bound on each step and expectation that gives no `within`. */
  defaultWithin: Type.Optional(Type.String({ pattern: DURATION_PATTERN, default: '5s' })),
  accounts: Type.Array(AccountSchema, { minItems: 1 }),
  /** Ring groups the embedded target creates. */
  groups: Type.Optional(Type.Array(GroupSchema)),
  /** Call queues the embedded target creates. */
  queues: Type.Optional(Type.Array(QueueSchema)),
  phones: Type.Record(Type.String({ pattern: NAME_PATTERN }), PhoneSchema, { additionalProperties: false }),
  steps: Type.Array(StepSchema, { minItems: 1 }),
}, { additionalProperties: false });

// Fields with a default are Optional in the schema (a file need not give them; the committed JSON
// Schema's `required` lists only what it must), but ajv has filled them in once a file is loaded.
type WithDefaults<T, K extends keyof T> = Omit<T, K> & Required<Pick<T, K>>;
export type ScenarioAccount = Static<typeof AccountSchema>;
export type ScenarioPhone = WithDefaults<Static<typeof PhoneSchema>, 'kind' | 'transport'>;
export type TargetSpec = WithDefaults<Static<typeof TargetSchema>, 'kind' | 'domain'>;
export type Scenario = Omit<Static<typeof ScenarioSchema>, 'steps' | 'phones' | 'target' | 'timeout' | 'defaultWithin'> & {
  target: TargetSpec;
  timeout: string;
  defaultWithin: string;
  phones: Record<string, ScenarioPhone>;
  steps: ScenarioStep[];
};
export type Expectation = Static<typeof ExpectationSchema>;
export type StepValue<K extends StepKind> = Static<(typeof STEP_SCHEMAS)[K]>;
/** One of the one-key step maps (TypeBox cannot infer a union built from a table). */
export type ScenarioStep = { [K in StepKind]: { [P in K]: StepValue<K> } }[StepKind];
