// /directory: the IPBX's accounts as a phone book (extension, display name, registered or not),
// for the softphone's Contacts. A signed-in user holds no admin token, so besides the token any
// enabled account may read it with its own SIP credentials: HTTP Digest (RFC 7616) checked
// against the account's stored HA1 (realm = the SIP domain, the algorithms of
// security.digestAlgorithms), so no password crosses the wire, even over plain http.
// Guessing passwords here is throttled per source address, as the registrar does for REGISTER.

import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { parseAuthValue, DigestServer, type DigestAlgorithm } from '../../sip/index.ts';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { errorWord } from '../api-errors.ts';
import { bearerToken, createAuthHook } from '../auth.ts';
import { ErrorSchema } from '../error-schema.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route authenticates SIP accounts itself (and the admin token): the API-wide token hook lets it through. */
    sipAccountAuth?: boolean;
  }
}

/** Failed digests per source address before 429s, and over what window. */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 60_000;
/** Source addresses whose failures are remembered, at most (oldest forgotten first). */
const MAX_TRACKED_SOURCES = 10_000;
const MAX_QUERY_LENGTH = 64;

const ContactSchema = Type.Object({
  extension: Type.String(),
  displayName: Type.String(),
  registered: Type.Boolean({ description: 'At least one live registration' }),
});

type OnRequestHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** The admin-token hook, skipped for routes that authenticate SIP accounts themselves (config.sipAccountAuth). */
export function exceptSipAccountRoutes(hook: OnRequestHook): OnRequestHook {
  return (request, reply) => (request.routeOptions.config.sipAccountAuth === true ? Promise.resolve(undefined) : hook(request, reply));
}

export function registerDirectoryRoutes(api: ApiApp, deps: ApiDeps): void {
  const adminToken = createAuthHook(deps.adminToken);
  const failures = new FailureCounter();
  let digest: { key: string; server: DigestServer } | undefined;
  // Built again when the domain or the algorithms change (the HA1s follow them).
  const digestServer = (): DigestServer => {
    const { domain, security } = deps.config.current;
    const key = `${domain} ${security.digestAlgorithms.join(',')}`;
    if (digest?.key !== key) {
      // SHA-256 first when the accounts have it (RFC 8760: the preferred one first); browsers' WebCrypto has no MD5.
      const algorithms = [...security.digestAlgorithms].sort((a, b) => preference(a) - preference(b)) as DigestAlgorithm[];
      digest = { key, server: new DigestServer({ realm: domain, secret: randomBytes(32), algorithms, qop: 'auth' }) };
    }
    return digest.server;
  };
  const refuse = (reply: FastifyReply, stale: boolean, message: string) => reply.code(401)
    .header('www-authenticate', digestServer().challenge({ stale }))
    .send({ error: errorWord(401), code: 'IPBX_API_UNAUTHORIZED', message });

  api.get('/directory', {
    config: { sipAccountAuth: true },
    schema: {
      tags: ['directory'],
      summary: 'The accounts as a phone book; with the admin token or a SIP account\'s own credentials (HTTP Digest, realm = the SIP domain)',
      description: 'Without credentials: 401 with `WWW-Authenticate: Digest` challenges (SHA-256 first when configured). Answer with the extension as username and the SIP password; the `uri` directive must be the request target. Ten failed digests a minute from one address get 429.',
      security: [{ bearer: [] }],
      querystring: Type.Object({
        q: Type.Optional(Type.String({ maxLength: MAX_QUERY_LENGTH, description: 'Only contacts whose extension or name contains this (case-insensitive)' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(ContactSchema) }), 400: ErrorSchema, 401: ErrorSchema, 429: ErrorSchema },
    },
  }, async (request, reply) => {
    const header = request.headers.authorization;
    if (bearerToken(header) !== undefined) {
      const refused = await adminToken(request, reply);
      if (refused !== undefined) return refused;
    } else {
      const source = request.ip;
      if (failures.blocked(source)) {
        return reply.code(429).header('retry-after', String(FAILURE_WINDOW_MS / 1000)).send({
          error: 'too_many_requests', code: 'IPBX_API_TOO_MANY_FAILURES', message: `too many failed logins from ${source}; try again in a minute`,
        });
      }
      if (header === undefined) return refuse(reply, false, 'sign in with your extension and SIP password (HTTP Digest) or the admin token');
      if (!digestUriMatches(header, request.url)) {
        failures.record(source);
        return refuse(reply, false, 'the digest uri is not this request\'s');
      }
      const accounts = deps.config.accounts;
      const result = digestServer().verify({
        authorizationValue: header,
        method: request.method,
        lookupHa1: (username, _realm, algorithm) => {
          const account = accounts.get(username);
          return account?.enabled === true ? account.ha1[algorithm] : undefined;
        },
      });
      if (!result.ok) {
        if (!result.stale) failures.record(source);
        return refuse(reply, result.stale, result.stale ? 'the nonce is stale; answer the new challenge' : 'wrong extension or password');
      }
    }
    const registered = new Set(deps.registrations.list().map((binding) => binding.extension));
    const query = request.query.q?.toLowerCase() ?? '';
    const items = deps.config.accounts.list()
      .filter((account) => account.enabled)
      .filter((account) => query === '' || account.extension.toLowerCase().includes(query) || account.displayName.toLowerCase().includes(query))
      .map((account) => ({ extension: account.extension, displayName: account.displayName, registered: registered.has(account.extension) }))
      .sort((a, b) => a.extension.localeCompare(b.extension, 'en', { numeric: true }));
    return { items };
  });
}

function preference(algorithm: string): number {
  return algorithm === 'SHA-256' ? 0 : algorithm === 'SHA-512-256' ? 1 : 2;
}

/** HTTP Digest binds the request target: a digest computed for another URL must not pass (RFC 7616 §3.4.6). */
function digestUriMatches(header: string, url: string): boolean {
  try {
    const params = parseAuthValue(header).params;
    return params.get('uri') === url;
  } catch {
    return true; // malformed: verify() answers it as such
  }
}

/** Failed logins per source address in a fixed window, bounded in size. */
class FailureCounter {
  readonly #bySource = new Map<string, { count: number; since: number }>();

  blocked(source: string): boolean {
    const entry = this.#current(source);
    return entry !== undefined && entry.count >= MAX_FAILURES;
  }

  record(source: string): void {
    const entry = this.#current(source) ?? { count: 0, since: Date.now() };
    entry.count += 1;
    this.#bySource.delete(source);
    this.#bySource.set(source, entry);
    if (this.#bySource.size > MAX_TRACKED_SOURCES) {
      const oldest = this.#bySource.keys().next().value;
      if (oldest !== undefined) this.#bySource.delete(oldest);
    }
  }

  #current(source: string): { count: number; since: number } | undefined {
    const entry = this.#bySource.get(source);
    if (entry !== undefined && Date.now() - entry.since > FAILURE_WINDOW_MS) {
      this.#bySource.delete(source);
      return undefined;
    }
    return entry;
  }
}
