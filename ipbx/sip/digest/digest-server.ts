// The UAS/registrar/proxy side of digest authentication (RFC 3261 §22.2-§22.4, RFC 7616, RFC 8760):
// issues challenges and checks credentials against stored HA1 hashes. Nonces are stateless
// (nonce.ts); the only state is the highest nonce-count seen per nonce, bounded in size.

import { timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../clock.ts';
import { parseAuthValue, serializeAuthValue, type AuthValue } from './auth-params.ts';
import { DigestError } from './digest-errors.ts';
import {
  computeHa1,
  computeResponse,
  DIGEST_ALGORITHMS,
  hashNameOf,
  type DigestAlgorithm,
  type DigestHashName,
  type DigestQop,
} from './digest-hash.ts';
import { DEFAULT_NONCE_LIFETIME_MS, NonceManager } from './nonce.ts';

export interface DigestServerOptions {
  realm: string;
  /** HMAC key for nonces, at least 16 bytes. */
  secret: Buffer;
  clock?: Clock;
  nonceLifetimeMs?: number;
  /** Offered in this order, most preferred first (RFC 8760 §2.4). */
  algorithms?: readonly DigestAlgorithm[];
  /** qop values offered; an empty list offers none (RFC 2069 form, no replay protection by nc). */
  qop?: DigestQop | readonly DigestQop[];
  /** Sent in challenges when set. Not checked on return: the signed nonce already binds the exchange. */
  opaque?: string;
  /** Upper bound on nonces whose nonce-count is remembered. */
  maxTrackedNonces?: number;
}

export type DigestFailureReason =
  | 'missing'
  | 'malformed'
  | 'unknown-user'
  | 'wrong-realm'
  | 'bad-response'
  | 'stale-nonce'
  | 'invalid-nonce'
  | 'replay'
  | 'unsupported-algorithm'
  | 'unsupported-scheme';

export type DigestVerifyResult =
  | { ok: true; username: string; algorithm: DigestAlgorithm }
  /** `stale: true` means: challenge again with stale=true, the sender knows the password (RFC 7616 §3.3). */
  | { ok: false; reason: DigestFailureReason; stale: boolean };

export interface DigestVerifyInput {
  /** The Authorization (or Proxy-Authorization) values; with several, the one for this realm is used (RFC 3261 §22.3). */
  authorizationValue: string | readonly string[] | undefined;
  method: string;
  /** HA1 hex for the hash of `algorithm` (the same for X and X-sess), or undefined for an unknown user. */
  lookupHa1: (username: string, realm: string, algorithm: DigestHashName) => string | undefined;
  body?: string | Uint8Array;
}

/** The HA1 to store for an account, one per hash in use (the -sess variants share their base's). */
export function ha1For(username: string, realm: string, password: string, algorithm: DigestAlgorithm): string {
  return computeHa1(algorithm, username, realm, password);
}

const fail = (reason: DigestFailureReason, stale = false): DigestVerifyResult => ({ ok: false, reason, stale });

export class DigestServer {
  readonly realm: string;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #qop: readonly DigestQop[];
  readonly #opaque: string | undefined;
  readonly #nonces: NonceManager;
  readonly #counts: NonceCountTracker;

  constructor(options: DigestServerOptions) {
    if (typeof options.realm !== 'string' || options.realm === '' || /\p{Cc}/u.test(options.realm)) {
      throw new DigestError('DIGEST_INVALID_OPTION', 'realm must be a non-empty string without control characters');
    }
    const algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    if (algorithms.length === 0 || algorithms.some((a) => !DIGEST_ALGORITHMS.includes(a)) || new Set(algorithms).size !== algorithms.length) {
      throw new DigestError('DIGEST_INVALID_OPTION', `algorithms must be a non-empty list without duplicates of: ${DIGEST_ALGORITHMS.join(', ')}`);
    }
    const qop = typeof options.qop === 'string' ? [options.qop] : (options.qop ?? ['auth']);
    if (qop.some((q) => q !== 'auth' && q !== 'auth-int') || new Set(qop).size !== qop.length) {
      throw new DigestError('DIGEST_INVALID_OPTION', 'qop must be "auth", "auth-int", or a list of them without duplicates');
    }
    if (qop.length === 0 && algorithms.some((a) => a.endsWith('-sess'))) {
      throw new DigestError('DIGEST_INVALID_OPTION', 'the -sess algorithms need a qop: set qop or drop them from algorithms');
    }
    const maxTracked = options.maxTrackedNonces ?? 10_000;
    if (!Number.isSafeInteger(maxTracked) || maxTracked < 1) {
      throw new DigestError('DIGEST_INVALID_OPTION', 'maxTrackedNonces must be a positive integer');
    }
    const clock = options.clock ?? systemClock;
    this.realm = options.realm;
    this.#algorithms = [...algorithms];
    this.#qop = [...qop];
    this.#opaque = options.opaque;
    this.#nonces = new NonceManager({ secret: options.secret, clock, lifetimeMs: options.nonceLifetimeMs ?? DEFAULT_NONCE_LIFETIME_MS, context: options.realm });
    this.#counts = new NonceCountTracker(maxTracked, this.#nonces.lifetimeMs, clock);
  }

  /** Nonces whose nonce-count is currently remembered (never above maxTrackedNonces). */
  get trackedNonces(): number {
    return this.#counts.size;
  }

  /** One WWW-/Proxy-Authenticate value per algorithm, in preference order, sharing one fresh nonce. */
  challenge(options: { stale?: boolean } = {}): string[] {
    const nonce = this.#nonces.issueNonce();
    return this.#algorithms.map((algorithm) => {
      const params = new Map([['realm', this.realm]]);
      if (this.#qop.length > 0) params.set('qop', this.#qop.join(','));
      params.set('algorithm', algorithm);
      params.set('nonce', nonce);
      if (this.#opaque !== undefined) params.set('opaque', this.#opaque);
      if (options.stale === true) params.set('stale', 'true');
      return serializeAuthValue({ scheme: 'Digest', params }, 'challenge');
    });
  }

  verify(input: DigestVerifyInput): DigestVerifyResult {
    const raw = input.authorizationValue;
    const values = (typeof raw === 'string' ? [raw] : (raw ?? [])).filter((v) => v.trim() !== '');
    if (values.length === 0) return fail('missing');
    let firstFailure: DigestVerifyResult | undefined;
    for (const value of values) {
      let parsed: AuthValue;
      try {
        parsed = parseAuthValue(value);
      } catch (err) {
        if (!(err instanceof DigestError)) throw err;
        firstFailure ??= fail('malformed');
        continue;
      }
      if (parsed.scheme !== 'Digest') firstFailure ??= fail('unsupported-scheme');
      else if (!parsed.params.has('realm')) firstFailure ??= fail('malformed');
      else if (parsed.params.get('realm') !== this.realm) firstFailure ??= fail('wrong-realm');
      else return this.#verifyCredentials(parsed.params, input);
    }
    return firstFailure ?? fail('missing');
  }

  #verifyCredentials(params: Map<string, string>, input: DigestVerifyInput): DigestVerifyResult {
    const username = readUsername(params);
    const nonce = params.get('nonce');
    const uri = params.get('uri');
    const response = params.get('response');
    if (username === undefined || nonce === undefined || uri === undefined || response === undefined) return fail('malformed');

    // RFC 7616 §3.4: without an algorithm directive, MD5 is meant.
    const algorithmParam = (params.get('algorithm') ?? 'MD5').toLowerCase();
    const algorithm = this.#algorithms.find((a) => a.toLowerCase() === algorithmParam);
    if (algorithm === undefined) return fail('unsupported-algorithm');

    const qop = params.get('qop');
    const nc = params.get('nc');
    const cnonce = params.get('cnonce');
    if (this.#qop.length > 0) {
      // Answering a qop challenge in the RFC 2069 form would drop nc and cnonce, and with them
      // replay protection: refuse that downgrade.
      if (qop === undefined || !(this.#qop as readonly string[]).includes(qop)) return fail('malformed');
      if (nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc) || cnonce === undefined || cnonce === '') return fail('malformed');
    } else if (qop !== undefined) {
      return fail('malformed');
    }

    const nonceState = this.#nonces.inspectNonce(nonce);
    if (nonceState.status === 'invalid') return fail('invalid-nonce');

    const ha1 = input.lookupHa1(username, this.realm, hashNameOf(algorithm));
    if (ha1 === undefined) return fail('unknown-user');
    const expected = computeResponse({ algorithm, ha1, nonce, nc, cnonce, qop: qop as DigestQop | undefined, method: input.method, uri, body: input.body });
    if (!hexEquals(expected, response)) return fail('bad-response');

    // Only now, with a correct digest, may the answer say stale=true (RFC 7616 §3.3).
    if (nonceState.status === 'stale') return fail('stale-nonce', true);
    // Without qop there is no nc: a nonce then authorizes exactly one request.
    const count = nc === undefined ? 1 : Number.parseInt(nc, 16);
    switch (this.#counts.record(nonce, nonceState.issuedAt, count)) {
      case 'forgotten':
        return fail('stale-nonce', true);
      case 'replay':
        // stale=true lets a genuine client whose requests were reordered retry with a fresh nonce
        // without re-prompting; a replaying attacker gains nothing from a new nonce.
        return fail('replay', true);
      case 'ok':
        return { ok: true, username, algorithm };
    }
  }
}

/** `username`, or RFC 7616 §3.4.4 `username*` (RFC 5987 ext-value, UTF-8 only). Both at once is malformed. */
function readUsername(params: Map<string, string>): string | undefined {
  const plain = params.get('username');
  const extended = params.get('username*');
  if (extended === undefined) return plain;
  if (plain !== undefined) return undefined;
  const match = /^UTF-8'[A-Za-z0-9-]*'((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*)$/i.exec(extended);
  if (match?.[1] === undefined) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

function hexEquals(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(received.toLowerCase(), 'latin1');
  // The length only reveals the algorithm, which is public; the content is compared in constant time.
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Highest nonce-count seen per nonce (RFC 7616 §3.4: nc lets the server detect replays), in a map
 * kept in least-recently-used order. Entries leave when their nonce goes stale, or, past the bound,
 * least recently used first. An entry dropped early must not reopen its nonce for replay, so
 * `evictedUpTo` remembers the newest issue time dropped: an unknown nonce issued no later than that
 * is reported forgotten and answered as stale (the client retries with a fresh nonce).
 */
class NonceCountTracker {
  readonly #entries = new Map<string, { highestNc: number; issuedAt: number }>();
  readonly #max: number;
  readonly #lifetimeMs: number;
  readonly #clock: Clock;
  #evictedUpTo = Number.NEGATIVE_INFINITY;

  constructor(max: number, lifetimeMs: number, clock: Clock) {
    this.#max = max;
    this.#lifetimeMs = lifetimeMs;
    this.#clock = clock;
  }

  get size(): number {
    return this.#entries.size;
  }

  record(nonce: string, issuedAt: number, nc: number): 'ok' | 'replay' | 'forgotten' {
    this.#dropExpired();
    const entry = this.#entries.get(nonce);
    if (entry === undefined && issuedAt <= this.#evictedUpTo) return 'forgotten';
    if (nc <= (entry?.highestNc ?? 0)) return 'replay';
    this.#entries.delete(nonce);
    this.#entries.set(nonce, { highestNc: nc, issuedAt });
    while (this.#entries.size > this.#max) {
      const [oldest, evicted] = this.#entries.entries().next().value as [string, { issuedAt: number }];
      this.#entries.delete(oldest);
      this.#evictedUpTo = Math.max(this.#evictedUpTo, evicted.issuedAt);
    }
    return 'ok';
  }

  /**
   * Drops expired entries from the front only (cheap; the size bound caps whatever stays behind).
   * Same rule as NonceManager's stale, so a dropped nonce is already refused as stale.
   */
  #dropExpired(): void {
    const now = this.#clock.now();
    for (const [nonce, entry] of this.#entries) {
      if (now - entry.issuedAt <= this.#lifetimeMs) break;
      this.#entries.delete(nonce);
    }
  }
}
