// Per-source request rate limiting: a token bucket per source address, so a flood from one
// address (a SIPVicious scan, a phone stuck in a REGISTER loop) is dropped while every other
// phone keeps registering. On by default with security.rateLimit's defaults.

import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SecuritySchema } from '../config/config-schema.ts';
import { systemClock, type Clock } from '../sip/index.ts';
import { LruMap } from './lru-map.ts';
import { checkPositive } from './security-errors.ts';

// Defaults come from the config schema, so a server without a config file is protected the same
// way. The properties are re-wrapped because Create returns an object's own default (`{}`) as is.
const DEFAULTS = Value.Create(Type.Object(SecuritySchema.properties.rateLimit.properties));

export const DEFAULT_MAX_SOURCES = 100_000;

export interface RateLimiterOptions {
  /** Sustained requests per second per source (security.rateLimit.requestsPerSecond). */
  requestsPerSecond?: number;
  /** Requests a quiet source may send at once (security.rateLimit.burst). */
  burst?: number;
  /** Sources remembered; the least recently seen is forgotten first (its next request starts a full bucket). */
  maxSources?: number;
  clock?: Clock;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #clock: Clock;
  readonly #buckets: LruMap<string, Bucket>;

  constructor(options: RateLimiterOptions = {}) {
    const rate = options.requestsPerSecond ?? DEFAULTS.requestsPerSecond;
    this.#burst = options.burst ?? DEFAULTS.burst;
    const maxSources = options.maxSources ?? DEFAULT_MAX_SOURCES;
    checkPositive('security.rateLimit.requestsPerSecond', rate);
    checkPositive('security.rateLimit.burst', this.#burst, true);
    checkPositive('maxSources', maxSources, true);
    this.#perMs = rate / 1000;
    this.#clock = options.clock ?? systemClock;
    this.#buckets = new LruMap(maxSources);
  }

  /** True when `address` (as the transport reports it) may send one more request now. */
  allow(address: string): boolean {
    const now = this.#clock.now();
    let bucket = this.#buckets.get(address);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(address, bucket);
    } else {
      // max(0, …): a system clock stepped backwards must not drain or overfill buckets.
      const refill = Math.max(0, now - bucket.at) * this.#perMs;
      bucket.tokens = Math.min(this.#burst, bucket.tokens + refill);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Sources currently remembered (at most maxSources). */
  get trackedSources(): number {
    return this.#buckets.size;
  }
}
