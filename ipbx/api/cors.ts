// CORS for browser front-ends on other origins. Off unless origins are listed: no header at all is
// sent then, so browsers keep the API same-origin. Preflights are answered before authentication
// (browsers send them without the Authorization header).

import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-errors.ts';

/** Checks the configured origins once, at build time, so a typo fails loudly instead of silently blocking. */
export function checkCorsOrigins(origins: readonly string[]): void {
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed?.origin !== origin) {
      throw new ApiError('IPBX_API_BAD_OPTION', `corsOrigins: "${origin}" is not an origin; write scheme://host[:port] without a path, e.g. https://lab.example:8443`);
    }
  }
}

export function createCorsHook(origins: readonly string[]) {
  const allowed = new Set(origins);
  return async function cors(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const origin = request.headers.origin;
    if (origin === undefined || (!allowed.has(origin) && !allowed.has('*'))) return undefined;
    void reply.header('access-control-allow-origin', origin).header('vary', 'Origin')
      .header('access-control-expose-headers', 'Location, WWW-Authenticate');
    if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return undefined;
    return reply.code(204)
      .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
      .header('access-control-allow-headers', 'Authorization, Content-Type')
      .header('access-control-max-age', '600')
      .send();
  };
}
