// Bearer authentication of the admin API. Tokens are compared in constant time on their SHA-256
// digests, so neither the content nor the length of the admin token leaks through timing.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorWord } from './api-errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * required (default): Bearer header. optional: anonymous callers pass, a wrong token does not
     * (health). header-or-query: also `?token=`, since browsers cannot set headers on a WebSocket.
     */
    auth?: 'required' | 'optional' | 'header-or-query';
  }
}

const authenticated = new WeakSet<FastifyRequest>();

/** Whether the request carried the admin token (for routes that answer anonymous callers with less). */
export function isAuthenticated(request: FastifyRequest): boolean {
  return authenticated.has(request);
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer +([^\s]+) *$/i.exec(header);
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function createAuthHook(adminToken: string) {
  const expected = digest(adminToken);
  const matches = (candidate: string): boolean => timingSafeEqual(digest(candidate), expected);

  return async function requireAdminToken(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const mode = request.routeOptions.config.auth ?? 'required';
    const header = request.headers.authorization;
    let candidate = bearerToken(header);
    if (candidate === undefined && header === undefined && mode === 'header-or-query') {
      const token = (request.query as Record<string, unknown> | undefined)?.['token'];
      if (typeof token === 'string') candidate = token;
    }
    if (candidate !== undefined && matches(candidate)) {
      authenticated.add(request);
      return undefined;
    }
    if (mode === 'optional' && header === undefined) return undefined;
    const challenge = header === undefined ? 'Bearer realm="voiplab"' : 'Bearer realm="voiplab", error="invalid_token"';
    return reply.code(401).header('www-authenticate', challenge).send({
      error: errorWord(401),
      code: 'IPBX_API_UNAUTHORIZED',
      message: header === undefined ? 'the admin token is required: Authorization: Bearer <token>' : 'the admin token is not valid',
    });
  };
}
