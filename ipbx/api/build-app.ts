// The HTTP API as a fastify instance, built but not listening: tests drive it with app.inject(),
// the composition root calls listen() on the addresses of the config.

import Fastify, { type FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiApp, ApiDeps } from './api-deps.ts';
import { ApiError } from './api-errors.ts';
import { apiRoutes } from './api-routes.ts';
import { createAuthHook } from './auth.ts';
import { checkCorsOrigins } from './cors.ts';
import { createErrorHandler, toErrorAnswer } from './error-handler.ts';
import { EventHub } from './event-hub.ts';
import { registerMetricsRoute } from './routes/metrics.ts';
import { registerSoftphoneRoutes } from './routes/softphone.ts';
import { registerWallboardRoutes } from './routes/wallboard.ts';
import { createValidatorCompiler } from './validator-compiler.ts';

const MIN_TOKEN_LENGTH = 16;
const MIB = 1024 * 1024;

export function buildApp(deps: ApiDeps): ApiApp {
  if (deps.adminToken.length < MIN_TOKEN_LENGTH) {
    throw new ApiError('IPBX_API_BAD_OPTION', `adminToken: at least ${MIN_TOKEN_LENGTH} characters are needed (VOIPLAB_ADMIN_TOKEN or security.adminToken)`);
  }
  checkCorsOrigins(deps.corsOrigins ?? []);
  const log = deps.log ?? ((line: string) => void process.stderr.write(`${line}\n`));

  // https changes only the server fastify creates; routes and hooks are the same, hence one type.
  const app = Fastify({
    logger: false,
    bodyLimit: deps.limits?.bodyBytes ?? MIB,
    // Slow senders of a request are cut off (the upgraded events socket is not a request any more).
    requestTimeout: 30_000,
    // On close, idle keep-alive connections (a browser's pre-opened TLS socket) are cut at once
    // instead of holding the server open until their timeout.
    forceCloseConnections: true,
    // Long ids are for the route schemas to judge (a 400 naming the field), not the router (414).
    routerOptions: { maxParamLength: 1024 },
    // Errors raised before routing (bad URL encoding, over-long parameters) get the same error body.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = toErrorAnswer(error);
      void (reply as FastifyReply).code(status).send(body);
    },
    ...(deps.https === undefined ? {} : { https: deps.https }),
  }) as unknown as ApiApp;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  // A JSON content type with an empty body (a DELETE from curl or fetch helpers that always set
  // the header) is no body, not a syntax error; non-empty bodies keep fastify's safe parser.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  api.removeContentTypeParser('application/json');
  api.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') done(null, undefined);
    else void defaultJson(request, text, done);
  });

  api.setValidatorCompiler(createValidatorCompiler());
  api.setErrorHandler(createErrorHandler(log));

  const hub = new EventHub(deps.events, {
    maxBufferedBytes: deps.limits?.eventBufferBytes ?? MIB,
    maxClients: deps.limits?.eventClients ?? 100,
    log,
  });
  api.addHook('onClose', (_instance, done) => {
    hub.close();
    done();
  });

  void api.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'voiplab IPBX API', version: deps.version, description: 'Every route requires `Authorization: Bearer <admin token>` except an anonymous /api/v1/health.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'The admin token (VOIPLAB_ADMIN_TOKEN or security.adminToken)' },
          queryToken: { type: 'apiKey', in: 'query', name: 'token', description: 'The admin token, for WebSocket clients that cannot set headers' },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  void api.register(websocket, { options: { maxPayload: 4096 } });
  void api.register(apiRoutes, { prefix: '/api/v1', deps, hub });
  // /metrics sits outside /api/v1 (where Prometheus looks) but behind the same token.
  void api.register((scope, _options, done) => {
    scope.addHook('onRequest', createAuthHook(deps.adminToken));
    registerMetricsRoute(scope, deps, hub);
    done();
  });
  // The browser softphone at /phone/: public pages, outside the token-protected scopes.
  registerSoftphoneRoutes(api, deps);
  registerWallboardRoutes(api);
  return app;
}
