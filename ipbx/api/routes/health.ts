// /health: for load balancers and supervisors, which hold no token: anonymous callers learn only
// that the API answers; with the token the answer adds the version and uptime.

import { Type } from '@sinclair/typebox';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { isAuthenticated } from '../auth.ts';
import { ErrorSchema } from '../error-schema.ts';

const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Type.Optional(Type.String({ description: 'With the admin token only' })),
  uptimeSeconds: Type.Optional(Type.Integer({ description: 'With the admin token only' })),
});

export function registerHealthRoutes(api: ApiApp, deps: ApiDeps): void {
  const startedAt = performance.now();
  api.get('/health', {
    config: { auth: 'optional' },
    schema: {
      tags: ['health'], summary: 'Liveness; the token is optional (a wrong one is refused)',
      security: [{}, { bearer: [] }],
      response: { 200: HealthSchema, 401: ErrorSchema },
    },
  }, (request) => isAuthenticated(request)
    ? { status: 'ok' as const, version: deps.version, uptimeSeconds: Math.floor((performance.now() - startedAt) / 1000) }
    : { status: 'ok' as const });
}
