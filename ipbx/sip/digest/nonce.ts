// Stateless nonces (RFC 7616 §3.3 suggests "time-stamp H(time-stamp ":" ETag ":" secret-data)"):
// the nonce carries its issue time and an HMAC, so any process holding the secret validates it
// without storing what it issued.
//
// Layout, base64url without padding: issuedAt (6 bytes, ms, big-endian) | random (16) | HMAC-SHA256 (32).
// 54 bytes encode to exactly 72 characters with no spare bits, so each nonce has a single spelling:
// replay tracking keyed by the nonce string cannot be sidestepped by re-encoding it.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../clock.ts';
import { DigestError } from './digest-errors.ts';

export type NonceStatus = 'valid' | 'stale' | 'invalid';
export type NonceInspection = { status: 'invalid' } | { status: 'valid' | 'stale'; issuedAt: number };

export interface NonceOptions {
  /** At least 16 bytes, e.g. crypto.randomBytes(32); shared by every process that must accept the nonces. */
  secret: Buffer;
  clock?: Clock;
  lifetimeMs?: number;
  /** Bound into the HMAC (e.g. the realm) so one secret reused for two realms gives distinct nonces. */
  context?: string;
}

const TIME_BYTES = 6;
const RANDOM_BYTES = 16;
const MAC_BYTES = 32;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;
const NONCE_SHAPE = new RegExp(`^[A-Za-z0-9_-]{${(NONCE_BYTES / 3) * 4}}$`);

export const DEFAULT_NONCE_LIFETIME_MS = 300_000;

export class NonceManager {
  readonly lifetimeMs: number;
  readonly #secret: Buffer;
  readonly #clock: Clock;
  readonly #context: string;

  constructor(options: NonceOptions) {
    if (!Buffer.isBuffer(options.secret) || options.secret.length < 16) {
      throw new DigestError('DIGEST_INVALID_OPTION', 'secret must be a Buffer of at least 16 bytes, e.g. crypto.randomBytes(32)');
    }
    const lifetimeMs = options.lifetimeMs ?? DEFAULT_NONCE_LIFETIME_MS;
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0) {
      throw new DigestError('DIGEST_INVALID_OPTION', 'nonceLifetimeMs must be a positive integer number of milliseconds');
    }
    this.#secret = Buffer.from(options.secret);
    this.#clock = options.clock ?? systemClock;
    this.lifetimeMs = lifetimeMs;
    this.#context = options.context ?? '';
  }

  issueNonce(): string {
    const body = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);
    body.writeUIntBE(this.#clock.now(), 0, TIME_BYTES);
    randomBytes(RANDOM_BYTES).copy(body, TIME_BYTES);
    return Buffer.concat([body, this.#mac(body)]).toString('base64url');
  }

  checkNonce(nonce: string): NonceStatus {
    return this.inspectNonce(nonce).status;
  }

  /** Like checkNonce, plus the issue time of a genuine nonce (replay tracking expires with it). */
  inspectNonce(nonce: string): NonceInspection {
    if (!NONCE_SHAPE.test(nonce)) return { status: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_BYTES) return { status: 'invalid' };
    const body = raw.subarray(0, TIME_BYTES + RANDOM_BYTES);
    if (!timingSafeEqual(raw.subarray(TIME_BYTES + RANDOM_BYTES), this.#mac(body))) return { status: 'invalid' };
    const issuedAt = body.readUIntBE(0, TIME_BYTES);
    // A nonce from "the future" can only be ours (it is signed): a clock stepped back is not an attack.
    return { status: this.#clock.now() - issuedAt > this.lifetimeMs ? 'stale' : 'valid', issuedAt };
  }

  #mac(body: Buffer): Buffer {
    return createHmac('sha256', this.#secret).update(this.#context).update('\0').update(body).digest();
  }
}
