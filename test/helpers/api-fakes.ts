// In-memory implementations of the IPBX contracts the HTTP API is built on (ConfigService,
// CallControl, CdrStore, the registrar's binding list), to test the HTTP layer alone. They keep
// the contracts' promises that matter to the API: errors with `code` (and `issues` for
// IPBX_CONFIG_INVALID), validation before any write, HA1 instead of passwords.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Account, AccountDirectory } from '../../ipbx/accounts/account.ts';
import type { ActiveCall, CallControl } from '../../ipbx/b2bua/call-control.ts';
import { Value } from '@sinclair/typebox/value';
import { QueueService } from '../../ipbx/queues/queue-service.ts';
import { openDatabase } from '../../ipbx/store/open-database.ts';
import { SqliteQueueStore } from '../../ipbx/store/sqlite-queue-store.ts';
import { systemClock } from '../../ipbx/sip/index.ts';
import { MediaSchema, type DialplanRule, type GroupConfig, type QueueConfig, type VoiplabConfig } from '../../ipbx/config/config-schema.ts';
import type { AccountInput, AccountPatch, ConfigService, ConfigServiceEvents } from '../../ipbx/config/config-service.ts';
import { IpbxEvents, type Cdr } from '../../ipbx/events/ipbx-events.ts';
import type { Binding } from '../../ipbx/registrar/binding.ts';
import type { CdrQuery, CdrStore } from '../../ipbx/store/cdr-store.ts';
import { ha1For } from '../../ipbx/sip/index.ts';
import { buildApp } from '../../ipbx/api/index.ts';
import type { ApiApp, ApiDeps, MetricValues } from '../../ipbx/api/index.ts';

export const TEST_TOKEN = 'test-admin-token-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TEST_TOKEN}` } as const;
const DOMAIN = 'lab.test';
/** A server path that must never reach an API client. */
export const CONFIG_FILE = '/etc/voiplab/voiplab.yaml';
const ALL_TRANSPORTS: Account['transports'] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** Shaped like the ConfigService's ConfigError: issues carry the file, and the message starts with it. */
export class FakeConfigError extends Error {
  readonly code: string;
  readonly issues: Array<{ file: string; line: number; column: number; field: string; message: string }>;

  constructor(code: string, issues: Array<{ field: string; message: string }> = []) {
    super(issues.map((i) => `${CONFIG_FILE}: ${i.field}: ${i.message}`).join('\n') || `${CONFIG_FILE}: ${code}`);
    this.code = code;
    this.issues = issues.map((i) => ({ file: CONFIG_FILE, line: 0, column: 0, ...i }));
  }
}

function invalid(field: string, message: string): FakeConfigError {
  return new FakeConfigError('IPBX_CONFIG_INVALID', [{ field, message }]);
}

export class FakeConfigService extends EventEmitter<ConfigServiceEvents> implements ConfigService {
  readonly #accounts = new Map<string, Account>();
  #groups: GroupConfig[] = [];
  #queues: QueueConfig[] = [];
  #dialplan: DialplanRule[] = [];
  /** Every write that got through, to check that refused requests wrote nothing. */
  writes = 0;

  readonly accounts: AccountDirectory = {
    get: (extension) => this.#accounts.get(extension),
    list: () => [...this.#accounts.values()],
  };

  get current(): VoiplabConfig {
    return {
      domain: DOMAIN,
      sip: { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], userAgent: 'voiplab' },
      http: { listeners: [], corsOrigins: [] },
      tls: {},
      accounts: [...this.#accounts.values()].map((a) => ({ ...a, transports: [...a.transports] })),
      groups: structuredClone(this.#groups),
      queues: structuredClone(this.#queues),
      dialplan: structuredClone(this.#dialplan),
      security: {
        digestAlgorithms: ['MD5', 'SHA-256'],
        ban: { maxFailures: 10, windowSeconds: 300, banSeconds: 900 },
        rateLimit: { requestsPerSecond: 50, burst: 200 },
        registration: { minExpires: 60, maxExpires: 3600, defaultExpires: 600 },
        limits: { maxMessageBytes: 65535, idleConnectionSeconds: 600 },
      },
      media: Value.Default(MediaSchema, {}) as VoiplabConfig['media'],
      calls: { noAnswerTimeout: 30 },
    };
  }

  async createAccount(input: AccountInput): Promise<Account> {
    await Promise.resolve();
    if (this.#accounts.has(input.extension)) throw new FakeConfigError('IPBX_ACCOUNT_EXISTS', [{ field: 'extension', message: `an account with extension ${input.extension} already exists` }]);
    if (!/^[0-9A-Za-z*#+._-]{1,32}$/.test(input.extension)) throw invalid('accounts[].extension', 'is not a dialable number');
    const account = this.#build({ extension: input.extension, displayName: '', ha1: {}, enabled: true, transports: ALL_TRANSPORTS, maxContacts: 5 }, input);
    this.#accounts.set(account.extension, account);
    this.#changed();
    return account;
  }

  async updateAccount(extension: string, patch: AccountPatch): Promise<Account> {
    await Promise.resolve();
    const existing = this.#accounts.get(extension);
    if (existing === undefined) throw new FakeConfigError('IPBX_ACCOUNT_NOT_FOUND', [{ field: 'extension', message: `no account has extension ${extension}` }]);
    const account = this.#build(existing, patch);
    this.#accounts.set(extension, account);
    this.#changed();
    return account;
  }

  async removeAccount(extension: string): Promise<boolean> {
    await Promise.resolve();
    const index = this.#dialplan.findIndex((r) => r.action.type === 'account' && r.action.extension === extension);
    if (index >= 0) throw invalid(`dialplan[${index}].action.extension`, `calls account ${extension}, which would no longer exist`);
    const removed = this.#accounts.delete(extension);
    if (removed) this.#changed();
    return removed;
  }

  async replaceDialplan(rules: DialplanRule[]): Promise<void> {
    await Promise.resolve();
    this.#checkReferences(this.#groups, rules);
    this.#dialplan = structuredClone(rules);
    this.#changed();
  }

  async replaceGroups(groups: GroupConfig[]): Promise<void> {
    await Promise.resolve();
    this.#checkReferences(groups, this.#dialplan);
    this.#groups = structuredClone(groups);
    this.#changed();
  }

  /** The cross-references the JSON Schema cannot express; checked before anything is kept. */
  async replaceQueues(queues: QueueConfig[]): Promise<void> {
    await Promise.resolve();
    this.#queues = structuredClone(queues);
    this.#changed();
  }

  #checkReferences(groups: GroupConfig[], rules: DialplanRule[]): void {
    const names = new Set<string>();
    groups.forEach((group, i) => {
      if (names.has(group.name)) throw invalid(`groups[${i}].name`, `repeats the group name ${group.name}`);
      names.add(group.name);
      group.members.forEach((member, j) => {
        if (!member.startsWith('sip:') && !this.#accounts.has(member)) throw invalid(`groups[${i}].members[${j}]`, `is neither an account nor a SIP URI: ${member}`);
      });
    });
    rules.forEach((rule, i) => {
      if (rule.action.type === 'group' && !names.has(rule.action.group)) throw invalid(`dialplan[${i}].action.group`, `names no group: ${rule.action.group}`);
    });
  }

  #build(base: Account, change: AccountPatch): Account {
    if (change.password !== undefined && change.password.length < 8) throw invalid('accounts[].password', 'must have at least 8 characters');
    const ha1 = change.password === undefined ? base.ha1 : { MD5: ha1For(base.extension, DOMAIN, change.password, 'MD5') };
    return {
      extension: base.extension,
      displayName: change.displayName ?? base.displayName,
      ha1,
      enabled: change.enabled ?? base.enabled,
      transports: [...(change.transports ?? base.transports)],
      maxContacts: change.maxContacts ?? base.maxContacts,
    };
  }

  #changed(): void {
    this.writes += 1;
    this.emit('changed', this.current);
  }
}

export class FakeCalls implements CallControl {
  readonly calls: ActiveCall[] = [];

  list(): ActiveCall[] {
    return [...this.calls];
  }

  async hangup(id: string): Promise<boolean> {
    await Promise.resolve();
    const index = this.calls.findIndex((c) => c.id === id);
    if (index < 0) return false;
    this.calls.splice(index, 1);
    return true;
  }
}

export class FakeCdrStore implements CdrStore {
  readonly cdrs: Cdr[] = [];
  readonly queries: CdrQuery[] = [];

  insert(cdr: Cdr): void {
    this.cdrs.push(cdr);
  }

  query(q: CdrQuery): { total: number; items: Cdr[] } {
    this.queries.push(q);
    const matching = this.cdrs
      .filter((c) => q.extension === undefined || c.caller === q.extension || c.callee === q.extension)
      .filter((c) => q.since === undefined || c.startedAt >= q.since)
      .filter((c) => q.until === undefined || c.startedAt <= q.until)
      .sort((a, b) => b.startedAt - a.startedAt);
    return { total: matching.length, items: matching.slice(q.offset, q.offset + q.limit) };
  }
}

export function makeBinding(extension: string, overrides: Partial<Binding> = {}): Binding {
  return {
    extension,
    contact: `sip:${extension}@192.0.2.10:5062;transport=tcp`,
    expiresAt: 1_700_000_600_000,
    q: 1,
    callId: `call-${extension}`,
    cseq: 1,
    protocol: 'tcp',
    source: { address: '192.0.2.10', port: 5062 },
    flowId: `flow-${extension}`,
    registeredAt: 1_700_000_000_000,
    ...overrides,
  };
}

export function makeCdr(id: string, overrides: Partial<Cdr> = {}): Cdr {
  return {
    id, caller: '1001', callerName: 'Alice', callee: '1002',
    startedAt: 1_700_000_000_000, answeredAt: 1_700_000_002_000, endedAt: 1_700_000_062_000,
    duration: 60, cause: 'answered', status: 200,
    ...overrides,
  };
}

export interface TestApi {
  app: ApiApp;
  deps: ApiDeps;
  config: FakeConfigService;
  calls: FakeCalls;
  cdrs: FakeCdrStore;
  bindings: Binding[];
  events: IpbxEvents;
  /** Lines the API logged (unexpected failures, dropped event clients). */
  logs: string[];
}

export function buildTestApi(overrides: Partial<ApiDeps> = {}, metrics: MetricValues = {}): TestApi {
  const config = new FakeConfigService();
  const calls = new FakeCalls();
  const cdrs = new FakeCdrStore();
  const bindings: Binding[] = [];
  const events = new IpbxEvents();
  const logs: string[] = [];
  // The real queue service on an in-memory store: the /queues routes are served as in the IPBX.
  const queues = new QueueService({
    queues: () => config.current.queues, isBusy: () => false, isAccount: (extension) => config.accounts.get(extension) !== undefined,
    isReachable: () => false, store: new SqliteQueueStore(openDatabase(':memory:')), events, clock: systemClock, report: () => undefined,
  });
  const deps: ApiDeps = {
    config, calls, cdrs, events, queues,
    registrations: { list: () => [...bindings] },
    adminToken: TEST_TOKEN,
    metrics: () => metrics,
    version: '0.1.0-test',
    log: (line) => logs.push(line),
    ...overrides,
  };
  return { app: buildApp(deps), deps, config, calls, cdrs, bindings, events, logs };
}

interface InjectedResponse {
  statusCode: number;
  body: string;
}

/** A 400 that names the field to fix, as every validation failure must. */
export function assertBadField(response: InjectedResponse, field: string, code = 'IPBX_API_VALIDATION'): void {
  assert.equal(response.statusCode, 400, response.body);
  const body = JSON.parse(response.body) as { error: string; code: string; field?: string; message: string };
  assert.equal(body.error, 'bad_request');
  assert.equal(body.code, code, response.body);
  assert.equal(body.field, field, response.body);
  assert.ok(body.message.length > 0);
}

export function assertError(response: InjectedResponse, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  const body = JSON.parse(response.body) as { code: string };
  assert.equal(body.code, code, response.body);
}
