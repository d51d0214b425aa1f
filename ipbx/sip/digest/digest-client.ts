// The UAC side of digest authentication (RFC 3261 §22.2-§22.4, RFC 7616 §3.4, RFC 8760 §2.4):
// answers the challenges of a 401/407 and keeps the last one to pre-authorize the next request.

import { randomBytes } from 'node:crypto';
import { parseAuthValue, serializeAuthValue, type AuthValue } from './auth-params.ts';
import { DigestError } from './digest-errors.ts';
import {
  computeHa1,
  computeResponse,
  hashNameOf,
  isSessionAlgorithm,
  parseAlgorithm,
  type DigestAlgorithm,
  type DigestHashName,
  type DigestQop,
} from './digest-hash.ts';

export type DigestClientOptions =
  | { username: string; password: string }
  /** Stored hashes instead of the password; only the algorithms listed here can be answered. */
  | { username: string; ha1ByAlgorithm: Partial<Record<DigestHashName, string>> };

export interface DigestRequest {
  method: string;
  /** The Request-URI, sent as the `uri` directive. */
  uri: string;
  /** Needed when the challenge only offers qop=auth-int. */
  body?: string | Uint8Array;
}

export interface AuthorizeInput extends DigestRequest {
  /** Every WWW-Authenticate (or Proxy-Authenticate) value of the 401/407. */
  challengeValues: readonly string[];
}

interface Challenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  algorithm: DigestAlgorithm;
  qop: DigestQop | undefined;
}

interface Session extends Challenge {
  /** Last nonce-count sent with this nonce. */
  nc: number;
  /** Kept for -sess, whose session key is bound to the first cnonce (RFC 7616 §3.4.2). */
  cnonce: string;
}

// RFC 8760 §2.4: the UAC uses the strongest algorithm it supports among those offered.
const STRENGTH: Record<DigestHashName, number> = { 'SHA-512-256': 3, 'SHA-256': 2, MD5: 1 };
const MAX_NC = 0xffff_ffff;

const newCnonce = (): string => randomBytes(12).toString('base64url');

export class DigestClient {
  readonly username: string;
  readonly #password: string | undefined;
  readonly #ha1ByAlgorithm: Partial<Record<DigestHashName, string>> | undefined;
  #session: Session | undefined;

  constructor(options: DigestClientOptions) {
    if (typeof options.username !== 'string') throw new DigestError('DIGEST_INVALID_OPTION', 'username must be a string');
    this.username = options.username;
    if ('password' in options) {
      if (typeof options.password !== 'string') throw new DigestError('DIGEST_INVALID_OPTION', 'password must be a string');
      this.#password = options.password;
    } else {
      if (Object.keys(options.ha1ByAlgorithm ?? {}).length === 0) {
        throw new DigestError('DIGEST_INVALID_OPTION', 'give either password or ha1ByAlgorithm with at least one of MD5, SHA-256, SHA-512-256');
      }
      this.#ha1ByAlgorithm = { ...options.ha1ByAlgorithm };
    }
  }

  /** The Authorization (or Proxy-Authorization) value answering the strongest usable challenge. */
  authorize(input: AuthorizeInput): string {
    const chosen = this.#pick(input.challengeValues);
    const previous = this.#session;
    const sameNonce = previous !== undefined && previous.nonce === chosen.nonce && previous.realm === chosen.realm && previous.algorithm === chosen.algorithm;
    this.#session = sameNonce ? { ...chosen, nc: previous.nc, cnonce: previous.cnonce } : { ...chosen, nc: 0, cnonce: newCnonce() };
    return this.#credentials(this.#session, input);
  }

  /**
   * Credentials for a new request under the last challenge, with the next nonce-count, so that it
   * need not wait for a 401. Undefined when there is none to reuse: no challenge yet, or one without
   * qop, whose nonce authorizes a single request.
   */
  preAuthorize(request: DigestRequest): string | undefined {
    const session = this.#session;
    if (session?.qop === undefined || session.nc >= MAX_NC) return undefined;
    return this.#credentials(session, request);
  }

  /** Forget the last challenge, e.g. after a final failure. */
  reset(): void {
    this.#session = undefined;
  }

  #pick(values: readonly string[]): Challenge {
    let best: Challenge | undefined;
    let malformed = 0;
    for (const value of values) {
      let parsed: AuthValue;
      try {
        parsed = parseAuthValue(value);
      } catch (err) {
        if (!(err instanceof DigestError)) throw err;
        malformed++;
        continue;
      }
      const candidate = parsed.scheme === 'Digest' ? this.#usable(parsed.params) : undefined;
      if (candidate === undefined) continue;
      if (best === undefined || STRENGTH[hashNameOf(candidate.algorithm)] > STRENGTH[hashNameOf(best.algorithm)]) best = candidate;
    }
    if (best !== undefined) return best;
    if (values.length > 0 && malformed === values.length) {
      throw new DigestError('DIGEST_MALFORMED', 'every challenge value is malformed');
    }
    throw new DigestError(
      'DIGEST_UNSUPPORTED_ALGORITHM',
      `no Digest challenge with a usable algorithm (${this.#ha1ByAlgorithm === undefined ? 'MD5, SHA-256, SHA-512-256 and -sess' : Object.keys(this.#ha1ByAlgorithm).join(', ')}) and qop (auth, auth-int or none)`,
    );
  }

  #usable(params: Map<string, string>): Challenge | undefined {
    const realm = params.get('realm');
    const nonce = params.get('nonce');
    if (realm === undefined || nonce === undefined) return undefined;
    let algorithm: DigestAlgorithm;
    try {
      algorithm = parseAlgorithm(params.get('algorithm') ?? 'MD5');
    } catch {
      return undefined;
    }
    if (this.#ha1ByAlgorithm !== undefined && this.#ha1ByAlgorithm[hashNameOf(algorithm)] === undefined) return undefined;
    const offered = params.get('qop');
    let qop: DigestQop | undefined;
    if (offered !== undefined) {
      const options = offered.split(',').map((q) => q.trim().toLowerCase());
      // auth unless only auth-int is offered: auth-int needs the exact body bytes, which
      // intermediaries and SDP rewriting make fragile.
      qop = options.includes('auth') ? 'auth' : options.includes('auth-int') ? 'auth-int' : undefined;
      if (qop === undefined) return undefined;
    } else if (isSessionAlgorithm(algorithm)) {
      return undefined;
    }
    return { realm, nonce, opaque: params.get('opaque'), algorithm, qop };
  }

  #credentials(session: Session, request: DigestRequest): string {
    const ha1 =
      this.#password !== undefined
        ? computeHa1(session.algorithm, this.username, session.realm, this.#password)
        : (this.#ha1ByAlgorithm?.[hashNameOf(session.algorithm)] ?? '');
    let nc: string | undefined;
    let cnonce: string | undefined;
    if (session.qop !== undefined) {
      session.nc += 1;
      nc = session.nc.toString(16).padStart(8, '0');
      cnonce = isSessionAlgorithm(session.algorithm) ? session.cnonce : newCnonce();
    }
    const response = computeResponse({ ...request, algorithm: session.algorithm, ha1, nonce: session.nonce, qop: session.qop, nc, cnonce });
    const params = new Map([
      ['username', this.username],
      ['realm', session.realm],
      ['nonce', session.nonce],
      ['uri', request.uri],
      ['response', response],
      // RFC 8760 §2.4 wants the algorithm stated; MD5 states it too, as RFC 3261 §22.4 examples do.
      ['algorithm', session.algorithm],
    ]);
    if (session.opaque !== undefined) params.set('opaque', session.opaque);
    if (session.qop !== undefined && nc !== undefined && cnonce !== undefined) {
      params.set('qop', session.qop);
      params.set('nc', nc);
      params.set('cnonce', cnonce);
    }
    return serializeAuthValue({ scheme: 'Digest', params }, 'credentials');
  }
}
