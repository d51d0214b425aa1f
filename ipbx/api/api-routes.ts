// Everything under /api/v1, in one encapsulated plugin: its hooks (CORS, then the admin token)
// apply to these routes and their 404s only, so pages the server adds elsewhere stay public.

import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from './api-deps.ts';
import { errorWord } from './api-errors.ts';
import { createAuthHook } from './auth.ts';
import { createCorsHook } from './cors.ts';
import type { EventHub } from './event-hub.ts';
import { registerAccountRoutes } from './routes/accounts.ts';
import { registerCallRoutes } from './routes/calls.ts';
import { registerCdrRoutes } from './routes/cdrs.ts';
import { registerDialplanRoutes } from './routes/dialplan.ts';
import { exceptSipAccountRoutes, registerDirectoryRoutes } from './routes/directory.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerGroupRoutes } from './routes/groups.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerQueueRoutes } from './routes/queues.ts';
import { registerOpenApiRoute } from './routes/openapi.ts';
import { registerRecordingRoutes } from './routes/recordings.ts';
import { registerRegistrationRoutes } from './routes/registrations.ts';

export const apiRoutes: FastifyPluginCallbackTypebox<{ deps: ApiDeps; hub: EventHub }> = (api, { deps, hub }, done) => {
  const origins = deps.corsOrigins ?? [];
  if (origins.length > 0) api.addHook('onRequest', createCorsHook(origins));
  // /directory checks the admin token or a SIP account's own digest itself (the softphone has no token).
  api.addHook('onRequest', exceptSipAccountRoutes(createAuthHook(deps.adminToken)));

  registerAccountRoutes(api, deps);
  registerDirectoryRoutes(api, deps);
  registerRegistrationRoutes(api, deps);
  registerCallRoutes(api, deps);
  registerCdrRoutes(api, deps);
  // Only with recordings to serve: an IPBX without them answers 404 IPBX_API_NOT_FOUND there.
  if (deps.recordings !== undefined) registerRecordingRoutes(api, deps.recordings);
  registerDialplanRoutes(api, deps);
  registerGroupRoutes(api, deps);
  if (deps.queues !== undefined) registerQueueRoutes(api, deps, deps.queues);
  registerHealthRoutes(api, deps);
  registerOpenApiRoute(api);
  registerEventRoutes(api, hub);

  // Unknown API paths answer 404 only to authenticated callers (the hooks above run first), so
  // the route list cannot be probed without the token.
  api.setNotFoundHandler((request, reply) => reply.code(404).send({
    error: errorWord(404), code: 'IPBX_API_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
  }));
  done();
};
