// What a desk phone does between REGISTERs: re-REGISTER halfway through the granted expiry (as
// phones do, RFC 3261 §10.2.4 leaves when to the UA), retry every second after a refresh that
// failed or got no answer, or, when told not to refresh, forget the registration once it expired.
// Every timer is cancelled by the next REGISTER step and by close().

/** Retry pace after a refresh that failed (the server down, the network dropped). */
const RETRY_MS = 1000;
/** Bound on one refresh: short, so a phone notices a dead server within seconds. */
const REFRESH_BOUND_MAX_MS = 4000;

export interface RefreshHooks {
  /** Sends one REGISTER for `expires` seconds, bounded by `ms`; resolves with the granted seconds, or undefined when it failed. */
  reregister(expires: number, ms: number): Promise<number | undefined>;
  /** The registration ran out without a refresh. */
  expired(): void;
}

export class RegistrationRefresh {
  readonly #hooks: RefreshHooks;
  #timer: NodeJS.Timeout | undefined;
  #generation = 0;

  constructor(hooks: RefreshHooks) {
    this.#hooks = hooks;
  }

  /** After a REGISTER granted `seconds`: refresh it before it runs out, or let it expire. */
  follow(seconds: number, refresh: boolean): void {
    this.cancel();
    const generation = this.#generation;
    if (!refresh) {
      this.#at(seconds * 1000, () => this.#hooks.expired());
      return;
    }
    const halfway = Math.max(500, (seconds * 1000) / 2);
    this.#at(halfway, () => void this.#refresh(seconds, generation));
  }

  cancel(): void {
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #refresh(seconds: number, generation: number): Promise<void> {
    const bound = Math.min(REFRESH_BOUND_MAX_MS, Math.max(1000, (seconds * 1000) / 2));
    const granted = await this.#hooks.reregister(seconds, bound).catch(() => undefined);
    if (generation !== this.#generation) return; // a REGISTER step or close() came meanwhile
    if (granted === undefined) this.#at(RETRY_MS, () => void this.#refresh(seconds, generation));
    else this.follow(granted, true);
  }

  #at(ms: number, action: () => void): void {
    this.#timer = setTimeout(action, ms);
    this.#timer.unref();
  }
}
