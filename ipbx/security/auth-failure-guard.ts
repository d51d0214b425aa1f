// Digest guessing protection. Two counters of failed authentications over a sliding window
// (security.ban): per source address and per account.
//
// - maxFailures from one source → the source is banned for banSeconds: the SIP layer drops all
//   its requests without an answer (isBanned), and one line is logged.
// - maxFailures on one account (from any sources, so a spread-out attack is caught too) → the
//   account is protected for banSeconds, renewed while failures keep coming: only sources that
//   authenticated to it within trustSeconds may still try (mayTryAccount). Others are answered
//   as for a wrong password, so guessing stops working while the real user at her usual address
//   keeps working. A user at a new address during an attack waits until it ends.
// - A success forgets that source's failures on that account (a few typos are not an attack)
//   and marks the source as trusted for the account.
// - The guard never looks accounts up: unknown names are counted exactly like known ones, so
//   nothing here differs between them (no user enumeration).
//
// Every table is bounded (least recently used forgotten first): addresses and names are chosen by
// the attacker. Expiry is checked lazily against the clock; no timers are kept.

import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SecuritySchema } from '../config/config-schema.ts';
import { systemClock, type Clock } from '../sip/index.ts';
import { LruMap } from './lru-map.ts';
import { checkPositive } from './security-errors.ts';

// Defaults from the config schema (10 failures, 300 s window, 900 s ban): on without a config file.
const DEFAULTS = Value.Create(Type.Object(SecuritySchema.properties.ban.properties));

/** A day: phones re-register at least hourly (maxExpires), so a user's usual address stays trusted. */
export const DEFAULT_TRUST_SECONDS = 86_400;
export const DEFAULT_MAX_ENTRIES = 100_000;
/** Account names longer than an extension can be (32) are cut, so an attacker's names cannot fill memory. */
const MAX_NAME_LENGTH = 64;

export interface AuthFailureGuardOptions {
  /** security.ban.maxFailures */
  maxFailures?: number;
  /** security.ban.windowSeconds */
  windowSeconds?: number;
  /** security.ban.banSeconds: how long a source is banned and an account protected. */
  banSeconds?: number;
  /** How long a successful authentication keeps a source trusted for that account. */
  trustSeconds?: number;
  /** Bound of each per-source table (failures, bans). */
  maxSources?: number;
  /** Bound of each per-account table (failures, protections). */
  maxAccounts?: number;
  /** Bound of the (source, account) pairs remembered as trusted. */
  maxTrusted?: number;
  clock?: Clock;
  /** One line per ban and per account protection; stderr by default. */
  log?: (line: string) => void;
}

export interface BanEntry {
  address: string;
  /** Epoch ms. */
  since: number;
  until: number;
  failures: number;
  /** The account named by the failure that triggered the ban. */
  lastAccount: string;
}

export interface AccountProtection {
  extension: string;
  since: number;
  /** Renewed to now + banSeconds by every further failure that keeps the count at maxFailures. */
  until: number;
  /** Distinct sources among the failures that triggered it. */
  sources: number;
}

interface Failure {
  at: number;
  /** The account (in a source's list) or the source (in an account's list). */
  other: string;
}

export class AuthFailureGuard {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #banMs: number;
  readonly #banSeconds: number;
  readonly #trustMs: number;
  readonly #clock: Clock;
  readonly #log: (line: string) => void;
  readonly #sourceFailures: LruMap<string, Failure[]>;
  readonly #accountFailures: LruMap<string, Failure[]>;
  // Bans and protections are only read with peek(), so their order stays the order they were set
  // in, which is also the order they expire in: the bound forgets the one closest to its end.
  readonly #bans: LruMap<string, BanEntry>;
  readonly #protections: LruMap<string, AccountProtection>;
  readonly #trusted: LruMap<string, number>;

  constructor(options: AuthFailureGuardOptions = {}) {
    this.#maxFailures = options.maxFailures ?? DEFAULTS.maxFailures;
    const windowSeconds = options.windowSeconds ?? DEFAULTS.windowSeconds;
    this.#banSeconds = options.banSeconds ?? DEFAULTS.banSeconds;
    const trustSeconds = options.trustSeconds ?? DEFAULT_TRUST_SECONDS;
    const maxSources = options.maxSources ?? DEFAULT_MAX_ENTRIES;
    const maxAccounts = options.maxAccounts ?? DEFAULT_MAX_ENTRIES;
    const maxTrusted = options.maxTrusted ?? DEFAULT_MAX_ENTRIES;
    checkPositive('security.ban.maxFailures', this.#maxFailures, true);
    checkPositive('security.ban.windowSeconds', windowSeconds);
    checkPositive('security.ban.banSeconds', this.#banSeconds);
    checkPositive('trustSeconds', trustSeconds);
    checkPositive('maxSources', maxSources, true);
    checkPositive('maxAccounts', maxAccounts, true);
    checkPositive('maxTrusted', maxTrusted, true);
    this.#windowMs = windowSeconds * 1000;
    this.#banMs = this.#banSeconds * 1000;
    this.#trustMs = trustSeconds * 1000;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? ((line) => { process.stderr.write(`${line}\n`); });
    this.#sourceFailures = new LruMap(maxSources);
    this.#bans = new LruMap(maxSources);
    this.#accountFailures = new LruMap(maxAccounts);
    this.#protections = new LruMap(maxAccounts);
    this.#trusted = new LruMap(maxTrusted);
  }

  /** True while `address` is banned: drop its requests without answering. */
  isBanned(address: string): boolean {
    const ban = this.#bans.peek(address);
    if (ban === undefined) return false;
    if (ban.until > this.#clock.now()) return true;
    this.#bans.delete(address);
    return false;
  }

  /**
   * False when `address` is banned, or when `extension` is protected and `address` has not
   * authenticated to it within trustSeconds. Then do not check the credentials: answer as for a
   * wrong password and call recordFailure.
   */
  mayTryAccount(address: string, extension: string): boolean {
    if (this.isBanned(address)) return false;
    const account = accountKey(extension);
    const protection = this.#protections.peek(account);
    if (protection === undefined) return true;
    const now = this.#clock.now();
    if (protection.until <= now) {
      this.#protections.delete(account);
      return true;
    }
    const trustedAt = this.#trusted.peek(trustKey(address, account));
    return trustedAt !== undefined && now - trustedAt < this.#trustMs;
  }

  /** A failed digest authentication (or one refused by mayTryAccount) from `address` for `extension`. */
  recordFailure(address: string, extension: string): void {
    if (this.isBanned(address)) return; // its requests are dropped; nothing more to learn
    const now = this.#clock.now();
    const account = accountKey(extension);

    const bySource = this.#recent(this.#sourceFailures.get(address), now);
    bySource.push({ at: now, other: account });
    if (bySource.length >= this.#maxFailures) {
      this.#sourceFailures.delete(address);
      this.#ban(address, bySource.length, account, now);
    } else {
      this.#sourceFailures.set(address, bySource);
    }

    const byAccount = this.#recent(this.#accountFailures.get(account), now);
    byAccount.push({ at: now, other: address });
    // Only "are there maxFailures in the window" matters: keep the newest maxFailures.
    if (byAccount.length > this.#maxFailures) byAccount.shift();
    this.#accountFailures.set(account, byAccount);
    // A single guessing source is already handled by its ban; protecting the account too would also
    // refuse its real user on a new device. Protection is for guesses spread over several sources.
    if (byAccount.length >= this.#maxFailures && new Set(byAccount.map((f) => f.other)).size >= 2) this.#protect(account, byAccount, now);
  }

  /** A successful authentication: trust the pair and forget its failures. */
  recordSuccess(address: string, extension: string): void {
    const account = accountKey(extension);
    this.#trusted.set(trustKey(address, account), this.#clock.now());
    const bySource = this.#sourceFailures.peek(address)?.filter((f) => f.other !== account);
    if (bySource !== undefined) {
      if (bySource.length === 0) this.#sourceFailures.delete(address);
      else this.#sourceFailures.set(address, bySource);
    }
    const byAccount = this.#accountFailures.peek(account)?.filter((f) => f.other !== address);
    if (byAccount !== undefined) {
      if (byAccount.length === 0) this.#accountFailures.delete(account);
      else this.#accountFailures.set(account, byAccount);
    }
  }

  /** Active bans, oldest first (for the API and logs). */
  bans(): BanEntry[] {
    const now = this.#clock.now();
    const active: BanEntry[] = [];
    for (const [address, ban] of [...this.#bans.entries()]) {
      if (ban.until > now) active.push({ ...ban });
      else this.#bans.delete(address);
    }
    return active;
  }

  /** Accounts currently protected, oldest first. */
  protectedAccounts(): AccountProtection[] {
    const now = this.#clock.now();
    const active: AccountProtection[] = [];
    for (const [account, protection] of [...this.#protections.entries()]) {
      if (protection.until > now) active.push({ ...protection });
      else this.#protections.delete(account);
    }
    return active;
  }

  /** Entries held per table (each is bounded by its max* option); for metrics and tests. */
  stats(): { sourceFailures: number; accountFailures: number; bans: number; protections: number; trusted: number } {
    return {
      sourceFailures: this.#sourceFailures.size,
      accountFailures: this.#accountFailures.size,
      bans: this.#bans.size,
      protections: this.#protections.size,
      trusted: this.#trusted.size,
    };
  }

  /** Lifts a ban early (a trainer unblocking a student's phone); false when there was none. */
  unban(address: string): boolean {
    return this.#bans.delete(address);
  }

  /** The failures still inside the window (a new list when there were none). */
  #recent(failures: Failure[] | undefined, now: number): Failure[] {
    if (failures === undefined) return [];
    let drop = 0;
    while (drop < failures.length && now - (failures[drop]?.at ?? now) >= this.#windowMs) drop++;
    if (drop > 0) failures.splice(0, drop);
    return failures;
  }

  #ban(address: string, failures: number, account: string, now: number): void {
    this.#bans.set(address, { address, since: now, until: now + this.#banMs, failures, lastAccount: account });
    this.#log(`ban ${address} for ${this.#banSeconds}s after ${failures} failed authentications (last: account ${printable(account)})`);
  }

  #protect(account: string, failures: readonly Failure[], now: number): void {
    const current = this.#protections.peek(account);
    if (current !== undefined && current.until > now) {
      current.until = now + this.#banMs;
      return;
    }
    const sources = new Set(failures.map((f) => f.other)).size;
    this.#protections.set(account, { extension: account, since: now, until: now + this.#banMs, sources });
    this.#log(`protect account ${printable(account)} for ${this.#banSeconds}s after ${failures.length} failed authentications from ${sources} source${sources === 1 ? '' : 's'}`);
  }
}

function accountKey(extension: string): string {
  return extension.length > MAX_NAME_LENGTH ? extension.slice(0, MAX_NAME_LENGTH) : extension;
}

function trustKey(address: string, account: string): string {
  return `${address}\n${account}`;
}

/** Account names come from the peer's Authorization header: no control characters in log lines. */
function printable(s: string): string {
  return s.replace(/[^\x21-\x7e]/g, '?');
}
