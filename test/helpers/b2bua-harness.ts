// An IPBX in a box for B2BUA tests: a SipStack on a TransportLayer (UDP and TCP on 127.0.0.1,
// port 0), the B2bua, an in-memory location that test phones register into (a trusting
// registrar-lite: the real registrar is another part), an authenticator that trusts the From
// user of a known account (or a real DigestServer), a Router over exact-match rules,
// passthrough media, an array CdrStore, and the events recorded.

import { randomBytes } from 'node:crypto';
import type { Account, AccountDirectory } from '../../ipbx/accounts/account.ts';
import { B2bua } from '../../ipbx/b2bua/b2bua.ts';
import { passthroughMedia, type MediaHook } from '../../ipbx/b2bua/media-hook.ts';
import type { DialplanAction, DialplanRule, GroupConfig } from '../../ipbx/config/config-schema.ts';
import { IpbxEvents, type CallEvent, type Cdr } from '../../ipbx/events/ipbx-events.ts';
import type { Binding, LocationLookup } from '../../ipbx/registrar/binding.ts';
import type { AuthOutcome, RequestAuthenticator } from '../../ipbx/registrar/request-authenticator.ts';
import type { RouteDecision, Router } from '../../ipbx/router/route-target.ts';
import type { CdrQuery, CdrStore } from '../../ipbx/store/cdr-store.ts';
import type { Clock } from '../../ipbx/sip/clock.ts';
import { DigestServer, ha1For } from '../../ipbx/sip/digest/index.ts';
import { isSipUri } from '../../ipbx/sip/message/index.ts';
import { TransportLayer, type SendTarget, type TransportProtocol } from '../../ipbx/sip/transport/index.ts';
import { SipStack, type IncomingRequest } from '../../ipbx/sip/ua/index.ts';
import { DEFAULT_DOMAIN, SipPhone, eventually, type PhoneOptions } from './sip-phone.ts';
import { TapTransport } from './stack-pair.ts';

export interface HarnessAccount {
  extension: string;
  displayName?: string;
  /** Needed with `auth: 'digest'`. */
  password?: string;
}

export interface HarnessOptions {
  protocols?: Array<'udp' | 'tcp'>;
  accounts?: HarnessAccount[];
  /** Exact-match rules; by default one `account` rule per account. */
  rules?: DialplanRule[];
  groups?: GroupConfig[];
  noAnswerTimeoutMs?: number;
  /** The B2BUA's clock (a FakeClock drives no-answer and group timers); the stack keeps real time. */
  clock?: Clock;
  /** The IPBX stack's clock (transaction timers, the 2xx's wait for its ACK). */
  stackClock?: Clock;
  auth?: 'from-user' | 'digest';
  /** Another authenticator (the registrar's), built over the harness's accounts. */
  authenticator?: (accounts: AccountDirectory) => RequestAuthenticator;
  /** Another router (the real dialplan router) instead of the exact-match one. */
  router?: Router;
  maxCalls?: number;
  media?: MediaHook;
}

/** A dialplan rule as the config would hold it, defaults filled in. */
export function rule(match: string, action: DialplanAction, allowUnauthenticated = false): DialplanRule {
  return { match, action, allowUnauthenticated };
}

/** A group as the config would hold it, defaults filled in. */
export function group(name: string, members: string[], options: Partial<GroupConfig> = {}): GroupConfig {
  return { name, members, strategy: 'simultaneous', memberTimeout: 20, ...options };
}

export class MemoryAccounts implements AccountDirectory {
  readonly #accounts = new Map<string, Account>();

  constructor(domain: string, accounts: HarnessAccount[]) {
    for (const a of accounts) {
      const password = a.password ?? 'not-used-here';
      this.#accounts.set(a.extension, {
        extension: a.extension,
        displayName: a.displayName ?? '',
        ha1: { 'MD5': ha1For(a.extension, domain, password, 'MD5'), 'SHA-256': ha1For(a.extension, domain, password, 'SHA-256') },
        enabled: true,
        transports: ['udp', 'tcp', 'tls', 'ws', 'wss'],
        maxContacts: 5,
      });
    }
  }

  get(extension: string): Account | undefined {
    return this.#accounts.get(extension);
  }

  list(): Account[] {
    return [...this.#accounts.values()];
  }
}

export class MemoryLocation implements LocationLookup {
  readonly #bindings = new Map<string, Binding[]>();

  add(binding: Binding): void {
    const others = (this.#bindings.get(binding.extension) ?? []).filter((b) => b.contact !== binding.contact);
    this.#bindings.set(binding.extension, [...others, binding]);
  }

  clear(extension?: string): void {
    if (extension === undefined) this.#bindings.clear();
    else this.#bindings.delete(extension);
  }

  lookup(extension: string): Binding[] {
    return [...(this.#bindings.get(extension) ?? [])].sort((x, y) => y.q - x.q);
  }
}

/** The Router contract over exact matches only (the real one, with patterns, is another part). */
export class ExactRouter implements Router {
  constructor(readonly rules: DialplanRule[]) {}

  route(number: string): RouteDecision {
    const found = this.rules.find((r) => r.match === number);
    return found === undefined ? { kind: 'no-match', number } : { kind: 'action', action: found.action, rule: found, number };
  }
}

export class ArrayCdrStore implements CdrStore {
  readonly items: Cdr[] = [];

  insert(cdr: Cdr): void {
    this.items.push(cdr);
  }

  query(q: CdrQuery): { total: number; items: Cdr[] } {
    const all = this.items.filter((c) => q.extension === undefined || c.caller === q.extension || c.callee === q.extension);
    return { total: all.length, items: all.slice(q.offset, q.offset + q.limit) };
  }
}

/** Trusts the From user when it names a known account; 403 otherwise. */
export class FromUserAuthenticator implements RequestAuthenticator {
  constructor(readonly accounts: AccountDirectory) {}

  authenticate(incoming: IncomingRequest): AuthOutcome {
    const uri = incoming.request.from.uri;
    const account = isSipUri(uri) && uri.user !== undefined ? this.accounts.get(uri.user) : undefined;
    if (account === undefined) {
      incoming.respond(403);
      return { ok: false };
    }
    return { ok: true, account };
  }
}

/** Real digest authentication (RFC 3261 §22) against the accounts' HA1 hashes. */
export class DigestAuthenticator implements RequestAuthenticator {
  readonly #digest: DigestServer;

  constructor(readonly accounts: AccountDirectory, realm: string) {
    this.#digest = new DigestServer({ realm, secret: randomBytes(32), algorithms: ['MD5', 'SHA-256'] });
  }

  authenticate(incoming: IncomingRequest): AuthOutcome {
    const request = incoming.request;
    const result = this.#digest.verify({
      authorizationValue: request.authorization,
      method: request.method,
      lookupHa1: (username, _realm, algorithm) => this.accounts.get(username)?.ha1[algorithm],
      body: request.body,
    });
    if (!result.ok) {
      incoming.respond(401, { headers: this.#digest.challenge({ stale: result.stale }).map((v): [string, string] => ['WWW-Authenticate', v]) });
      return { ok: false };
    }
    const account = this.accounts.get(result.username);
    if (account === undefined) {
      incoming.respond(403);
      return { ok: false };
    }
    return { ok: true, account };
  }
}

export class B2buaHarness {
  readonly domain = DEFAULT_DOMAIN;
  readonly transport: TransportLayer;
  /** What the IPBX sent and received, recorded at the moment it happened. */
  readonly tap: TapTransport;
  readonly stack: SipStack;
  readonly b2bua: B2bua;
  readonly accounts: MemoryAccounts;
  readonly location = new MemoryLocation();
  readonly router: Router;
  readonly groups: GroupConfig[];
  readonly events = new IpbxEvents();
  readonly cdrStore = new ArrayCdrStore();
  readonly callEvents: CallEvent[] = [];
  /** What the B2BUA and the stack reported through onError. */
  readonly errors: unknown[] = [];
  /** Requests the B2BUA did not take (`handle` returned false). */
  readonly unhandled: string[] = [];
  readonly #phones: SipPhone[] = [];

  private constructor(transport: TransportLayer, options: HarnessOptions) {
    this.transport = transport;
    this.tap = new TapTransport(transport);
    this.stack = new SipStack({
      transport: this.tap, userAgent: 'voiplab-ipbx-test', onError: (err) => this.errors.push(err),
      ...(options.stackClock === undefined ? {} : { clock: options.stackClock }),
    });
    this.accounts = new MemoryAccounts(this.domain, options.accounts ?? []);
    this.router = options.router ?? new ExactRouter(options.rules ?? (options.accounts ?? []).map((a) => rule(a.extension, { type: 'account' })));
    this.groups = options.groups ?? [];
    const authenticator = options.authenticator?.(this.accounts)
      ?? (options.auth === 'digest' ? new DigestAuthenticator(this.accounts, this.domain) : new FromUserAuthenticator(this.accounts));
    this.b2bua = new B2bua({
      stack: this.stack,
      domain: this.domain,
      accounts: this.accounts,
      location: this.location,
      router: this.router,
      authenticator,
      media: options.media ?? passthroughMedia,
      events: this.events,
      cdrs: this.cdrStore,
      groups: () => this.groups,
      noAnswerTimeoutMs: options.noAnswerTimeoutMs ?? 30_000,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.maxCalls === undefined ? {} : { maxCalls: options.maxCalls }),
      onError: (err) => this.errors.push(err),
    });
    this.events.on('call', (e) => this.callEvents.push(e));
    this.stack.onRequest((req) => this.#dispatch(req));
  }

  static async start(options: HarnessOptions = {}): Promise<B2buaHarness> {
    const transport = new TransportLayer({ listeners: (options.protocols ?? ['udp', 'tcp']).map((protocol) => ({ protocol, address: '127.0.0.1', port: 0 })) });
    await transport.start();
    return new B2buaHarness(transport, options);
  }

  get cdrs(): Cdr[] {
    return this.cdrStore.items;
  }

  target(protocol: TransportProtocol): SendTarget {
    return { protocol, ...this.transport.localEndpoint(protocol) };
  }

  /** A phone pointed at this IPBX, registered unless `register: false`, closed with the harness. */
  async phone(options: Omit<PhoneOptions, 'proxy'> & { register?: boolean }): Promise<SipPhone> {
    const phone = await SipPhone.start({ ...options, domain: this.domain, proxy: this.target(options.protocol ?? 'udp') });
    this.#phones.push(phone);
    if (options.register !== false) {
      const response = await phone.register();
      if (response.status !== 200) throw new Error(`${options.user} could not register: ${response.status}`);
    }
    return phone;
  }

  /** Bounded wait for the CDR count. */
  cdrsAtLeast(n: number): Promise<void> {
    return eventually(() => this.cdrs.length >= n, `${n} CDR(s)`);
  }

  async close(): Promise<void> {
    this.b2bua.close();
    await Promise.all(this.#phones.map((p) => p.close()));
    await this.stack.close();
  }

  #dispatch(req: IncomingRequest): void {
    if (req.method === 'REGISTER') {
      this.#register(req);
      return;
    }
    if (this.b2bua.handle(req)) return;
    this.unhandled.push(req.method);
    if (req.method !== 'ACK') req.respond(req.method === 'OPTIONS' ? 200 : 501);
  }

  /** A registrar that trusts everyone: one binding per Contact, over the flow the REGISTER came on. */
  #register(req: IncomingRequest): void {
    const request = req.request;
    const aor = request.to.uri;
    const contact = request.contacts[0];
    if (!isSipUri(aor) || aor.user === undefined || contact === undefined) {
      req.respond(400);
      return;
    }
    const now = Date.now();
    this.location.add({
      extension: aor.user,
      contact: contact.uri.toString(),
      expiresAt: now + 3_600_000,
      q: 1,
      callId: request.callId,
      cseq: request.cseq.seq,
      protocol: req.source.protocol,
      source: { address: req.source.address, port: req.source.port },
      flowId: req.source.flowId,
      registeredAt: now,
    });
    req.respond(200, { headers: [['Contact', `<${contact.uri.toString()}>;expires=3600`]] });
  }
}
