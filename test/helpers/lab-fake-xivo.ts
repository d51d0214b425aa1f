// A fake XiVO (or Wazo 20.06, or Wazo 26) for the lab tests: xivo-auth and confd on one HTTPS port of
// 127.0.0.1 (paths /0.1 and /1.1), in-memory users, SIP endpoints, lines, extensions, groups and
// queues with the relations confd lists, the setup wizard, and failures on demand. Every request and
// answer is checked against the flavour's published confd and auth Swagger files; `violations` must
// stay empty. A fleet maps guest addresses (never contacted) to fake instances. As Wazo 26 it keys SIP
// endpoints and groups by uuid, speaks PJSIP (auth section, tenant templates, transports) and checks
// the `Wazo-Tenant` header against the token's tenant.

import { randomUUID } from 'node:crypto';
import { FakeHttpsServer, type FakeAnswer, type FakeRequest } from './lab-fake-http.ts';
import { SwaggerSpec } from './lab-spec-swagger.ts';

export type FakeXivoFlavour = 'xivo-16.15' | 'wazo-20.06' | 'wazo-26';

const SPEC_FILES: Record<FakeXivoFlavour, { confd: string; auth: string }> = {
  'xivo-16.15': { confd: 'xivo-confd-16.15.json', auth: 'xivo-auth-16.15.json' },
  'wazo-20.06': { confd: 'wazo-confd-20.06.json', auth: 'wazo-auth-26.05.json' },
  'wazo-26': { confd: 'wazo-confd-26.08.json', auth: 'wazo-auth-26.05.json' },
};

/** `[key, value]` of a PJSIP section's option list. */
function sectionOption(pairs: unknown, key: string): string | undefined {
  return Array.isArray(pairs) ? (pairs as string[][]).find((p) => p[0] === key)?.[1] : undefined;
}

/** A body field as text; confd's schema already checked its type. */
function text(value: unknown, fallback: string): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
}

const specs = new Map<string, SwaggerSpec>();
function spec(name: string, file: string): SwaggerSpec {
  let s = specs.get(file);
  if (s === undefined) specs.set(file, (s = new SwaggerSpec(name, file)));
  return s;
}

interface User { id: number; uuid: string; firstname: string; lastname: string; userfield: string; lineIds: number[] }
/** chan_sip fields, and (Wazo 26) the uuid, templates and transport of a PJSIP endpoint. */
interface Endpoint { id: number; uuid: string; username: string; secret: string; type: string; host: string; options: string[][]; templates: string[]; transport?: string }
interface Named { uuid: string; name: string }
interface Line { id: number; context: string; provisioning_code: string; sipId?: number; extensionIds: number[]; userUuids: string[] }
interface Extension { id: number; exten: string; context: string }
interface Group { id: number; uuid: string; name: string; label?: string; extensionIds: number[]; memberUuids: string[] }

class XivoState {
  configured = false;
  adminPassword = '';
  wizard: Record<string, unknown> = {};
  tokens = new Set<string>();
  /** Wazo 26: the tenant the wizard made, its SIP templates, the machine's transports. */
  tenantUuid = randomUUID();
  templates: Named[] = [{ uuid: randomUUID(), name: 'global' }, { uuid: randomUUID(), name: 'webrtc' }];
  transports: Named[] = [{ uuid: randomUUID(), name: 'transport-udp' }, { uuid: randomUUID(), name: 'transport-wss' }];
  /** Wazo 26: confd calls that came without `Wazo-Tenant`. */
  callsWithoutTenant = 0;
  users: User[] = [];
  endpoints: Endpoint[] = [];
  lines: Line[] = [];
  extensions: Extension[] = [];
  groups: Group[] = [];
  queues: Group[] = [];
  private nextId = 1;
  id(): number {
    return this.nextId++;
  }
}

interface Failure { method: string; path: RegExp; status: number; messages: string[]; times: number }

export class FakeXivo {
  state = new XivoState();
  port = 0;
  private readonly http: FakeHttpsServer;
  private readonly failures: Failure[] = [];

  private constructor(tls: { key: string; cert: string }, readonly flavour: FakeXivoFlavour) {
    const confd = spec('confd', SPEC_FILES[flavour].confd);
    const auth = spec('auth', SPEC_FILES[flavour].auth);
    const pick = (req: FakeRequest): { s: SwaggerSpec; path: string } => req.path.startsWith('/0.1/') ? { s: auth, path: req.path.slice(4) } : { s: confd, path: req.path.slice(4) };
    this.http = new FakeHttpsServer(tls, {
      checkRequest: (req) => {
        const { s, path } = pick(req);
        if (!req.path.startsWith('/0.1/') && !req.path.startsWith('/1.1/')) return [`${req.path}: not under /0.1 (auth) or /1.1 (confd)`];
        return s.checkRequest(req.method, path, req.query, req.headers, req.body);
      },
      checkResponse: (req, answer) => {
        const { s, path } = pick(req);
        return s.checkResponse(req.method, path, answer.status, answer.body);
      },
      invalidRequestAnswer: (problems) => ({ status: 400, body: problems }),
    }, (req) => this.route(req));
  }

  static async start(tls: { key: string; cert: string }, flavour: FakeXivoFlavour = 'xivo-16.15'): Promise<FakeXivo> {
    const fake = new FakeXivo(tls, flavour);
    fake.port = await fake.http.listen();
    return fake;
  }

  get violations(): string[] {
    return this.http.violations;
  }

  get requests(): string[] {
    return this.http.log;
  }

  /** Back to a freshly installed XiVO (what a rollback to the clean snapshot gives). */
  reset(): void {
    this.state = new XivoState();
  }

  /** While true, connections are reset at once: a XiVO still booting, or its services down. */
  set offline(value: boolean) {
    this.http.refuseConnections = value;
  }

  failHttp(method: string, path: RegExp, status: number, messages: string[], times = 1): void {
    this.failures.push({ method, path, status, messages, times });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private route(req: FakeRequest): FakeAnswer {
    const failure = this.failures.find((f) => f.times > 0 && f.method === req.method && f.path.test(req.path));
    if (failure !== undefined) {
      failure.times--;
      return { status: failure.status, body: failure.messages };
    }
    if (req.path.startsWith('/0.1/')) return this.auth(req);
    const path = req.path.slice(4);
    if (path === '/wizard' || path === '/wizard/discover') return this.wizard(req, path);
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || !this.state.tokens.has(token)) return { status: 401, body: ['Unauthorized'] };
    if (this.flavour === 'wazo-26') {
      const tenant = req.headers['wazo-tenant'];
      if (tenant === undefined) this.state.callsWithoutTenant++;
      else if (tenant !== this.state.tenantUuid) return { status: 401, body: [`Unauthorized tenant ${String(tenant)}`] };
    }
    return this.confd(req.method, path, req.body as Record<string, unknown> | undefined);
  }

  private auth(req: FakeRequest): FakeAnswer {
    if (req.method !== 'POST' || req.path !== '/0.1/token') return { status: 404, body: { reason: ['not found'], timestamp: [''], status_code: 404 } };
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [login, password] = Buffer.from(basic ?? '', 'base64').toString().split(':', 2);
    if (!this.state.configured || login !== 'root' || password !== this.state.adminPassword) {
      return { status: 401, body: undefined };
    }
    const token = randomUUID();
    this.state.tokens.add(token);
    const now = new Date();
    return { status: 200, body: { data: { token, issued_at: now.toISOString(), expires_at: new Date(now.getTime() + 3_600_000).toISOString(), auth_id: 'root', ...(this.flavour === 'xivo-16.15' ? { acls: ['confd.#'] } : { acl: ['confd.#'] }), ...(this.flavour === 'wazo-26' ? { metadata: { uuid: randomUUID(), tenant_uuid: this.state.tenantUuid, purpose: 'user' } } : {}) } } };
  }

  private wizard(req: FakeRequest, path: string): FakeAnswer {
    if (req.method === 'GET' && path === '/wizard') return { status: 200, body: { configured: this.state.configured } };
    if (this.state.configured) return { status: 403, body: ['XiVO is already configured'] };
    if (req.method === 'GET') {
      return { status: 200, body: { hostname: 'xivo', domain: 'localdomain', timezone: 'Europe/Paris', nameservers: ['10.0.0.1'], interfaces: [{ interface: 'eth0', ip_address: '10.0.0.10', netmask: '255.255.255.0' }], gateways: [{ interface: 'eth0', gateway: '10.0.0.1' }] } };
    }
    const body = req.body as Record<string, unknown>;
    this.state.configured = true;
    this.state.adminPassword = String(body['admin_password']);
    this.state.wizard = body;
    return { status: 201, body };
  }

  private confd(method: string, path: string, body: Record<string, unknown> | undefined): FakeAnswer {
    const s = this.state;
    const notFound = (what: string): FakeAnswer => ({ status: 404, body: [`Resource Not Found - ${what} was not found`] });
    const created = (value: unknown): FakeAnswer => ({ status: 201, body: value });
    const done: FakeAnswer = { status: 204 };
    const list = (items: unknown[]): FakeAnswer => ({ status: 200, body: { items, total: items.length } });
    const userById = (id: string): User | undefined => s.users.find((u) => String(u.id) === id || u.uuid === id);
    let m: RegExpExecArray | null;
    switch (`${method} ${path}`) {
      case 'GET /users': return list(s.users.map((u) => this.userView(u)));
      case 'POST /users': {
        const user: User = { id: s.id(), uuid: randomUUID(), firstname: String(body?.['firstname']), lastname: text(body?.['lastname'], ''), userfield: text(body?.['userfield'], ''), lineIds: [] };
        s.users.push(user);
        return created(this.userView(user));
      }
      case 'GET /endpoints/sip': return list(s.endpoints.map((e) => this.endpointView(e)));
      case 'POST /endpoints/sip': {
        const endpoint = this.flavour === 'wazo-26' ? this.pjsipEndpoint(body) : this.chanSipEndpoint(body);
        if (!('id' in endpoint)) return endpoint;
        if (s.endpoints.some((e) => e.username === endpoint.username)) return { status: 400, body: [`Resource Error - SIPEndpoint already exists ('username': '${endpoint.username}')`] };
        s.endpoints.push(endpoint);
        return created(this.endpointView(endpoint));
      }
      case 'GET /endpoints/sip/templates': return list(s.templates.map((t) => ({ uuid: t.uuid, label: t.name, name: `${t.name}-${s.tenantUuid}`, tenant_uuid: s.tenantUuid, templates: [] })));
      case 'GET /sip/transports': return list(s.transports.map((t) => ({ uuid: t.uuid, name: t.name, options: [['protocol', t.name.replace('transport-', '')], ['bind', '0.0.0.0:5060']] })));
      case 'GET /lines': return list(s.lines.map((l) => this.lineView(l)));
      case 'POST /lines': {
        const line: Line = { id: s.id(), context: String(body?.['context']), provisioning_code: String(100000 + s.lines.length), extensionIds: [], userUuids: [] };
        s.lines.push(line);
        return created(this.lineView(line));
      }
      case 'GET /extensions': return list(s.extensions.map((e) => this.extensionView(e)));
      case 'POST /extensions': {
        const exten = String(body?.['exten']);
        const context = String(body?.['context']);
        if (s.extensions.some((e) => e.exten === exten && e.context === context)) return { status: 400, body: [`Resource Error - Extension already exists ('exten': '${exten}', 'context': '${context}')`] };
        const extension: Extension = { id: s.id(), exten, context };
        s.extensions.push(extension);
        return created(this.extensionView(extension));
      }
      case 'GET /groups': return list(s.groups.map((g) => this.groupView(g)));
      case 'POST /groups': {
        const id = s.id();
        // Wazo 26 makes a group's name itself (grp-<tenant>-<uuid>); the lab gives only the label.
        const uuid = randomUUID();
        const group: Group = { id, uuid, name: this.flavour === 'wazo-26' ? `grp-${s.tenantUuid}-${uuid}` : String(body?.['name']), ...(typeof body?.['label'] === 'string' ? { label: body['label'] } : {}), extensionIds: [], memberUuids: [] };
        s.groups.push(group);
        return created(this.groupView(group));
      }
      case 'GET /queues': return list(s.queues.map((q) => this.groupView(q)));
      case 'POST /queues': {
        const queue: Group = { id: s.id(), uuid: randomUUID(), name: String(body?.['name']), ...(typeof body?.['label'] === 'string' ? { label: body['label'] } : {}), extensionIds: [], memberUuids: [] };
        s.queues.push(queue);
        return created(this.groupView(queue));
      }
    }
    if (method === 'PUT' && (m = /^\/endpoints\/sip\/([^/]+)$/.exec(path)) !== null) {
      const endpoint = this.endpointByRef(m[1] ?? '');
      if (endpoint === undefined) return notFound('SIPEndpoint');
      if (this.flavour === 'wazo-26') {
        const changed = this.pjsipEndpoint(body);
        if (!('id' in changed)) return changed;
        Object.assign(endpoint, { secret: changed.secret, options: changed.options, templates: changed.templates, transport: changed.transport });
      } else {
        Object.assign(endpoint, { secret: text(body?.['secret'], endpoint.secret), options: (body?.['options'] as string[][] | undefined) ?? endpoint.options });
      }
      return done;
    }
    if (method === 'PUT' && (m = /^\/lines\/(\d+)\/endpoints\/sip\/([^/]+)$/.exec(path)) !== null) {
      const line = s.lines.find((l) => l.id === Number(m?.[1]));
      const endpoint = this.endpointByRef(m[2] ?? '');
      if (line === undefined) return notFound('Line');
      if (endpoint === undefined) return notFound('SIPEndpoint');
      if (line.sipId !== undefined && line.sipId !== endpoint.id) return { status: 400, body: ['Resource Error - Line already associated to an endpoint'] };
      line.sipId = endpoint.id;
      return done;
    }
    if (method === 'PUT' && (m = /^\/lines\/(\d+)\/extensions\/(\d+)$/.exec(path)) !== null) {
      const line = s.lines.find((l) => l.id === Number(m?.[1]));
      if (line === undefined) return notFound('Line');
      if (!s.extensions.some((e) => e.id === Number(m?.[2]))) return notFound('Extension');
      if (!line.extensionIds.includes(Number(m[2]))) line.extensionIds.push(Number(m[2]));
      return done;
    }
    if (method === 'PUT' && (m = /^\/users\/([^/]+)\/lines\/(\d+)$/.exec(path)) !== null) {
      const user = userById(m[1] ?? '');
      const line = s.lines.find((l) => l.id === Number(m?.[2]));
      if (user === undefined) return notFound('User');
      if (line === undefined) return notFound('Line');
      if (!user.lineIds.includes(line.id)) user.lineIds.push(line.id);
      if (!line.userUuids.includes(user.uuid)) line.userUuids.push(user.uuid);
      return done;
    }
    if (method === 'PUT' && (m = /^\/(groups|queues)\/([^/]+)\/extensions\/(\d+)$/.exec(path)) !== null) {
      const target = m[1] === 'groups' ? this.groupByRef(m[2] ?? '') : s.queues.find((q) => q.id === Number(m?.[2]));
      if (target === undefined) return notFound(m[1] === 'groups' ? 'Group' : 'Queue');
      if (!s.extensions.some((e) => e.id === Number(m?.[3]))) return notFound('Extension');
      if (!target.extensionIds.includes(Number(m[3]))) target.extensionIds.push(Number(m[3]));
      return done;
    }
    if (method === 'PUT' && (m = /^\/groups\/([^/]+)\/members\/users$/.exec(path)) !== null) {
      const group = this.groupByRef(m[1] ?? '');
      if (group === undefined) return notFound('Group');
      group.memberUuids = ((body?.['users'] as Array<{ uuid: string }> | undefined) ?? []).map((u) => u.uuid);
      return done;
    }
    if (method === 'PUT' && (m = /^\/queues\/(\d+)\/members\/users\/([^/]+)$/.exec(path)) !== null) {
      const queue = s.queues.find((q) => q.id === Number(m?.[1]));
      const user = userById(m[2] ?? '');
      if (queue === undefined) return notFound('Queue');
      if (user === undefined) return notFound('User');
      if (!queue.memberUuids.includes(user.uuid)) queue.memberUuids.push(user.uuid);
      return done;
    }
    return { status: 404, body: [`fake confd: ${method} ${path} not implemented`] };
  }

  /** Endpoints and groups are found by id, or (Wazo 26) by uuid, as the path says. */
  private endpointByRef(ref: string): Endpoint | undefined {
    return this.state.endpoints.find((e) => (this.flavour === 'wazo-26' ? e.uuid === ref : String(e.id) === ref));
  }

  private groupByRef(ref: string): Group | undefined {
    return this.state.groups.find((g) => (this.flavour === 'wazo-26' ? g.uuid === ref : String(g.id) === ref));
  }

  private chanSipEndpoint(body: Record<string, unknown> | undefined): Endpoint {
    return {
      id: this.state.id(), uuid: randomUUID(), username: text(body?.['username'], randomUUID().slice(0, 8)), secret: text(body?.['secret'], 'autogen'),
      type: text(body?.['type'], 'friend'), host: text(body?.['host'], 'dynamic'), options: (body?.['options'] as string[][] | undefined) ?? [], templates: [],
    };
  }

  /** A PJSIP endpoint body; templates and transport must exist (confd answers 400 naming the field otherwise). */
  private pjsipEndpoint(body: Record<string, unknown> | undefined): Endpoint | FakeAnswer {
    const templates = ((body?.['templates'] as Array<{ uuid: string }> | undefined) ?? []).map((t) => t.uuid);
    const unknownTemplate = templates.find((uuid) => !this.state.templates.some((t) => t.uuid === uuid));
    if (unknownTemplate !== undefined) return { status: 400, body: [`Input Error - field "templates": EndpointSIPTemplate was not found ('uuid': '${unknownTemplate}')`] };
    const transport = (body?.['transport'] as { uuid: string } | undefined)?.uuid;
    if (transport !== undefined && !this.state.transports.some((t) => t.uuid === transport)) return { status: 400, body: [`Input Error - field "transport": Transport was not found ('uuid': '${transport}')`] };
    const auth = body?.['auth_section_options'];
    return {
      id: this.state.id(), uuid: randomUUID(), username: sectionOption(auth, 'username') ?? randomUUID().slice(0, 8), secret: sectionOption(auth, 'password') ?? 'autogen',
      type: 'friend', host: 'dynamic', options: (body?.['endpoint_section_options'] as string[][] | undefined) ?? [], templates, ...(transport === undefined ? {} : { transport }),
    };
  }

  private userView(u: User): Record<string, unknown> {
    return { id: u.id, uuid: u.uuid, firstname: u.firstname, lastname: u.lastname, userfield: u.userfield, lines: u.lineIds.map((id) => ({ id })) };
  }

  private endpointView(e: Endpoint): Record<string, unknown> {
    if (this.flavour === 'wazo-26') {
      return {
        uuid: e.uuid, tenant_uuid: this.state.tenantUuid, name: e.username, label: e.username,
        auth_section_options: [['username', e.username], ['password', e.secret]], endpoint_section_options: e.options, aor_section_options: [],
        templates: e.templates.map((uuid) => ({ uuid, label: this.state.templates.find((t) => t.uuid === uuid)?.name ?? '' })),
        ...(e.transport === undefined ? {} : { transport: { uuid: e.transport } }),
      };
    }
    return { id: e.id, username: e.username, secret: e.secret, type: e.type, host: e.host, options: e.options };
  }

  private lineView(l: Line): Record<string, unknown> {
    const sip = this.state.endpoints.find((e) => e.id === l.sipId);
    return {
      id: l.id, context: l.context, provisioning_code: l.provisioning_code, position: 1, protocol: 'sip', name: sip?.username ?? '',
      ...(sip === undefined ? {} : this.flavour === 'wazo-26'
        ? { endpoint_sip: { uuid: sip.uuid, name: sip.username, label: sip.username, auth_section_options: [['username', sip.username]] }, is_webrtc: this.isWebrtc(sip), tenant_uuid: this.state.tenantUuid }
        : { endpoint_sip: { id: sip.id, username: sip.username } }),
      extensions: l.extensionIds.map((id) => this.state.extensions.find((e) => e.id === id)).filter((e) => e !== undefined).map((e) => ({ id: e.id, exten: e.exten, context: e.context })),
      users: l.userUuids.map((uuid) => this.state.users.find((u) => u.uuid === uuid)).filter((u) => u !== undefined).map((u) => ({ uuid: u.uuid, firstname: u.firstname, lastname: u.lastname })),
    };
  }

  private extensionView(e: Extension): Record<string, unknown> {
    return { id: e.id, exten: e.exten, context: e.context, commented: false, lines: this.state.lines.filter((l) => l.extensionIds.includes(e.id)).map((l) => ({ id: l.id })) };
  }

  isWebrtc(e: Endpoint): boolean {
    return e.templates.some((uuid) => this.state.templates.find((t) => t.uuid === uuid)?.name === 'webrtc');
  }

  private groupView(g: Group): Record<string, unknown> {
    const users = g.memberUuids.map((uuid) => this.state.users.find((u) => u.uuid === uuid)).filter((u) => u !== undefined).map((u) => ({ uuid: u.uuid, firstname: u.firstname, lastname: u.lastname }));
    return {
      id: g.id, ...(this.flavour === 'wazo-26' && this.state.groups.includes(g) ? { uuid: g.uuid } : {}), name: g.name, ...(g.label === undefined ? {} : { label: g.label }),
      extensions: g.extensionIds.map((id) => this.state.extensions.find((e) => e.id === id)).filter((e) => e !== undefined).map((e) => ({ id: e.id, exten: e.exten, context: e.context })),
      // XiVO 16.15's schema lists members as [{users}], Wazo's as {users}.
      // Wazo 26 adds extension members to groups and agents to queues.
      members: this.flavour === 'xivo-16.15' ? [{ users }] : this.flavour === 'wazo-20.06' ? { users } : this.state.groups.includes(g) ? { users, extensions: [] } : { users, agents: [] },
    };
  }
}

/** One fake XiVO per guest address, started on first use; the lab reaches them through `resolve`. */
export class FakeXivoFleet {
  readonly instances = new Map<string, FakeXivo>();

  constructor(private readonly tls: { key: string; cert: string }, private readonly flavour: FakeXivoFlavour = 'xivo-16.15') {}

  async resolve(guestAddress: string): Promise<{ host: string; confdPort: number; authPort: number; sip: { host: string; port: number } }> {
    let xivo = this.instances.get(guestAddress);
    if (xivo === undefined) {
      xivo = await FakeXivo.start(this.tls, this.flavour);
      this.instances.set(guestAddress, xivo);
    }
    // No SIP behind a fake: phones would find nothing on this port.
    return { host: '127.0.0.1', confdPort: xivo.port, authPort: xivo.port, sip: { host: '127.0.0.1', port: 9 } };
  }

  get violations(): string[] {
    return [...this.instances.values()].flatMap((x) => x.violations);
  }

  async close(): Promise<void> {
    await Promise.all([...this.instances.values()].map((x) => x.close()));
  }
}
