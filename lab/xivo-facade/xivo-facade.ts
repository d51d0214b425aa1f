// A XiVO-compatible provisioning facade on a voiplab IPBX: xivo-auth (/0.1/token) and the part of
// confd 1.1 that lab/xivo calls (wizard, users, SIP endpoints, lines, extensions and their
// associations, call groups) on one HTTPS port, answering as XiVO 16.15 does, while every change is
// carried onto a running IPBX's accounts, ring groups and dialplan (ipbx-sync.ts). Phones then
// register to the IPBX with what confd was told: `lab up` and the smoke scenario run against it on
// one machine. An optional audit sees every request and answer (the tests check them against the
// published Swagger files).

import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import { describeValidation } from '../../ipbx/api/validation-field.ts';
import { ConfdModel, inputError, type ConfdAnswer } from './confd-model.ts';
import { EndpointSipBody, ExtensionBody, GroupBody, GroupMembersBody, LineBody, ListQuery, TokenBody, UserBody, WizardBody, type EndpointSipBodyT, type GroupMembersBodyT } from './confd-schemas.ts';
import { IPBX_ACCOUNT_NAME, IPBX_MIN_PASSWORD, ipbxWanted } from './ipbx-mapping.ts';
import { IpbxSync, type IpbxApi } from './ipbx-sync.ts';

export interface FacadeCall {
  method: string;
  /** Path with its /0.1 or /1.1 prefix, without the query. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FacadeAudit {
  request(call: FacadeCall): void;
  response(call: FacadeCall, status: number, body: unknown): void;
}

export interface XivoFacadeOptions {
  tls: { key: string; cert: string };
  ipbx: IpbxApi;
  /** What GET /wizard/discover reports: the address phones and the lab reach. */
  address?: string;
  audit?: FacadeAudit;
  /** Port to listen on, on 127.0.0.1 (0: any free one). */
  port?: number;
}

export interface XivoFacade {
  port: number;
  model: ConfdModel;
  readonly configured: boolean;
  /** Back to a XiVO fresh from its template (what a rollback to the clean snapshot gives); the IPBX is emptied too. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const TOKEN_ACL = ['confd.#'];

interface FacadeState {
  configured: boolean;
  adminPassword: string;
  tokens: Map<string, number>;
  model: ConfdModel;
}

export async function startXivoFacade(options: XivoFacadeOptions): Promise<XivoFacade> {
  const sync = new IpbxSync(options.ipbx);
  const state: FacadeState = { configured: false, adminPassword: '', tokens: new Map(), model: new ConfdModel() };
  const app = buildFacadeApp(state, sync, options);
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    port,
    get model() {
      return state.model;
    },
    get configured() {
      return state.configured;
    },
    reset: async () => {
      Object.assign(state, { configured: false, adminPassword: '', tokens: new Map(), model: new ConfdModel() });
      await sync.apply(ipbxWanted(state.model));
    },
    close: () => app.close(),
  };
}

const isAuth = (url: string): boolean => url.startsWith('/0.1/');

function authError(status: number, message: string): { reason: string[]; timestamp: string[]; status_code: number } {
  return { reason: [message], timestamp: [new Date().toISOString()], status_code: status };
}

function callOf(request: FastifyRequest): FacadeCall {
  const url = new URL(request.url, 'https://facade');
  return { method: request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: request.headers, body: request.body };
}

function buildFacadeApp(state: FacadeState, sync: IpbxSync, options: XivoFacadeOptions): FastifyInstance {
  const app = Fastify({ logger: false, https: options.tls, forceCloseConnections: true });
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const bodies = new Ajv({ allErrors: true, coerceTypes: false, strict: false });
  const strings = new Ajv({ allErrors: true, coerceTypes: true, strict: false });
  api.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodies : strings).compile(schema));

  const audit = options.audit;
  if (audit !== undefined) {
    api.addHook('preValidation', (request, _reply, done) => {
      audit.request(callOf(request));
      done();
    });
    api.addHook('onSend', async (request, reply, payload) => {
      const text = typeof payload === 'string' ? payload : '';
      audit.response(callOf(request), reply.statusCode, text === '' ? undefined : JSON.parse(text) as unknown);
      return payload;
    });
  }
  // confd checks the token before it reads the request.
  api.addHook('preValidation', async (request, reply) => {
    if (!request.url.startsWith('/1.1/') || request.url.startsWith('/1.1/wizard')) return;
    const token = request.headers['x-auth-token'];
    const expires = typeof token === 'string' ? state.tokens.get(token) : undefined;
    if (expires === undefined || expires < Date.now()) await reply.code(401).send(['Unauthorized']);
  });

  api.setErrorHandler((error: { validation?: unknown; validationContext?: string; statusCode?: number; message: string }, request, reply) => {
    if (error.validation !== undefined) {
      const problem = describeValidation(error.validation as Parameters<typeof describeValidation>[0], error.validationContext ?? 'body');
      return isAuth(request.url) ? reply.code(400).send(authError(400, problem.message)) : send(reply, inputError(problem.field, problem.message));
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const message = status === 400 ? `Input Error - ${error.message}` : `Unexpected error: ${error.message}`;
    return isAuth(request.url) ? reply.code(status).send(authError(status, message)) : reply.code(status).send([message]);
  });
  api.setNotFoundHandler((request, reply) => (isAuth(request.url)
    ? reply.code(404).send(authError(404, 'not found'))
    : reply.code(404).send([`Resource Not Found - ${request.method} ${request.url.split('?')[0] ?? ''} is not served by this facade`])));

  // --- xivo-auth

  api.post('/0.1/token', { schema: { body: TokenBody } }, async (request, reply) => {
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const [login, password] = Buffer.from(basic ?? '', 'base64').toString().split(':', 2);
    if (!state.configured || request.body.backend !== 'xivo_admin' || login !== 'root' || password !== state.adminPassword) return reply.code(401).send();
    const seconds = request.body.expiration ?? 7200;
    if (seconds < 1) return reply.code(400).send(authError(400, `Invalid expiration: ${seconds}`));
    const token = randomUUID();
    const now = Date.now();
    state.tokens.set(token, now + seconds * 1000);
    return { data: { token, issued_at: new Date(now).toISOString(), expires_at: new Date(now + seconds * 1000).toISOString(), auth_id: 'root', acls: TOKEN_ACL } };
  });

  // --- the wizard (no token: it runs before there is an admin)

  const address = options.address ?? '127.0.0.1';
  api.get('/1.1/wizard', () => ({ configured: state.configured }));
  api.get('/1.1/wizard/discover', async (_request, reply) => (state.configured
    ? send(reply, { status: 403, body: ['XiVO is already configured'] })
    : { hostname: 'xivo', domain: 'localdomain', timezone: 'Europe/Paris', nameservers: [address], interfaces: [{ interface: 'eth0', ip_address: address, netmask: '255.0.0.0' }], gateways: [{ interface: 'eth0', gateway: address }] }));
  api.post('/1.1/wizard', { schema: { body: WizardBody } }, async (request, reply) => {
    if (state.configured) return send(reply, { status: 403, body: ['XiVO is already configured'] });
    if (!request.body.license) return send(reply, inputError('license', 'the GPLv3 must be accepted (license: true)'));
    state.configured = true;
    state.adminPassword = request.body.admin_password;
    return reply.code(201).send(request.body);
  });

  // --- confd resources; a write answers once the IPBX holds its result

  const m = (): ConfdModel => state.model;
  const write = async (reply: FastifyReply, answer: ConfdAnswer): Promise<FastifyReply> => {
    if (answer.status < 300) await sync.apply(ipbxWanted(state.model));
    return send(reply, answer);
  };
  const id = (value: string): number => (/^\d+$/.test(value) ? Number(value) : -1);
  const list = { schema: { querystring: ListQuery } };

  api.get('/1.1/users', list, async (request, reply) => send(reply, m().listUsers(request.query)));
  api.post('/1.1/users', { schema: { body: UserBody } }, async (request, reply) => write(reply, m().createUser(request.body)));
  api.get<{ Params: { user_id: string } }>('/1.1/users/:user_id', async (request, reply) => send(reply, m().getUser(request.params.user_id)));
  api.delete<{ Params: { user_id: string } }>('/1.1/users/:user_id', async (request, reply) => write(reply, m().deleteUser(request.params.user_id)));

  api.get('/1.1/endpoints/sip', list, async (request, reply) => send(reply, m().listEndpoints(request.query)));
  api.post('/1.1/endpoints/sip', { schema: { body: EndpointSipBody } }, async (request, reply) => write(reply, ipbxLimits(request.body) ?? m().createEndpoint(request.body)));
  api.get<{ Params: { sip_id: string } }>('/1.1/endpoints/sip/:sip_id', async (request, reply) => send(reply, m().getEndpoint(id(request.params.sip_id))));
  api.put<{ Params: { sip_id: string } }>('/1.1/endpoints/sip/:sip_id', { schema: { body: EndpointSipBody } }, async (request, reply) => write(reply, ipbxLimits(request.body as EndpointSipBodyT) ?? m().updateEndpoint(id(request.params.sip_id), request.body as EndpointSipBodyT)));
  api.delete<{ Params: { sip_id: string } }>('/1.1/endpoints/sip/:sip_id', async (request, reply) => write(reply, m().deleteEndpoint(id(request.params.sip_id))));

  api.get('/1.1/lines', list, async (request, reply) => send(reply, m().listLines(request.query)));
  api.post('/1.1/lines', { schema: { body: LineBody } }, async (request, reply) => write(reply, m().createLine(request.body)));
  api.get<{ Params: { line_id: string } }>('/1.1/lines/:line_id', async (request, reply) => send(reply, m().getLine(id(request.params.line_id))));
  api.delete<{ Params: { line_id: string } }>('/1.1/lines/:line_id', async (request, reply) => write(reply, m().deleteLine(id(request.params.line_id))));
  for (const link of [true, false]) {
    const method = link ? 'PUT' : 'DELETE';
    api.route<{ Params: { line_id: string; sip_id: string } }>({ method, url: '/1.1/lines/:line_id/endpoints/sip/:sip_id', handler: async (request, reply) => write(reply, m().linkLineEndpoint(id(request.params.line_id), id(request.params.sip_id), link)) });
    api.route<{ Params: { line_id: string; extension_id: string } }>({ method, url: '/1.1/lines/:line_id/extensions/:extension_id', handler: async (request, reply) => write(reply, m().linkLineExtension(id(request.params.line_id), id(request.params.extension_id), link)) });
    api.route<{ Params: { user_id: string; line_id: string } }>({ method, url: '/1.1/users/:user_id/lines/:line_id', handler: async (request, reply) => write(reply, m().linkUserLine(request.params.user_id, id(request.params.line_id), link)) });
    api.route<{ Params: { group_id: string; extension_id: string } }>({ method, url: '/1.1/groups/:group_id/extensions/:extension_id', handler: async (request, reply) => write(reply, m().linkGroupExtension(id(request.params.group_id), id(request.params.extension_id), link)) });
  }

  api.get('/1.1/extensions', list, async (request, reply) => send(reply, m().listExtensions(request.query)));
  api.post('/1.1/extensions', { schema: { body: ExtensionBody } }, async (request, reply) => write(reply, m().createExtension(request.body)));
  api.get<{ Params: { extension_id: string } }>('/1.1/extensions/:extension_id', async (request, reply) => send(reply, m().getExtension(id(request.params.extension_id))));
  api.delete<{ Params: { extension_id: string } }>('/1.1/extensions/:extension_id', async (request, reply) => write(reply, m().deleteExtension(id(request.params.extension_id))));

  api.get('/1.1/groups', list, async (request, reply) => send(reply, m().listGroups(request.query)));
  api.post('/1.1/groups', { schema: { body: GroupBody } }, async (request, reply) => write(reply, m().createGroup(request.body)));
  api.delete<{ Params: { group_id: string } }>('/1.1/groups/:group_id', async (request, reply) => write(reply, m().deleteGroup(id(request.params.group_id))));
  api.put<{ Params: { group_id: string } }>('/1.1/groups/:group_id/members/users', { schema: { body: GroupMembersBody } }, async (request, reply) => write(reply, m().setGroupMembers(id(request.params.group_id), (request.body as GroupMembersBodyT).users.map((u) => u.uuid))));

  return app;
}

/** What a XiVO takes but the IPBX behind the facade cannot hold, refused up front with the field. */
function ipbxLimits(body: EndpointSipBodyT): ConfdAnswer | undefined {
  if (body.username !== undefined && !IPBX_ACCOUNT_NAME.test(body.username)) return inputError('username', `${JSON.stringify(body.username)}: the IPBX behind this facade takes 1 to 32 of 0-9 A-Z a-z * # + . _ -`);
  if (body.secret !== undefined && body.secret.length < IPBX_MIN_PASSWORD) return inputError('secret', `at least ${IPBX_MIN_PASSWORD} characters are needed by the IPBX behind this facade`);
  return undefined;
}

function send(reply: FastifyReply, answer: ConfdAnswer): FastifyReply {
  return answer.body === undefined ? reply.code(answer.status).send() : reply.code(answer.status).send(answer.body);
}
