// Bounded waiting: every poll in the lab has a time limit and a fixed interval, and time goes
// through a small clock so tests can shorten the waits without changing the logic.

export interface LabClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: LabClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  clock?: LabClock;
  /** Errors for which waiting cannot help (a 403) end the wait at once; default: every error is retried. */
  retryable?: (err: unknown) => boolean;
}

/**
 * Calls `attempt` until it returns a value other than undefined, or the time is up; then calls
 * `onTimeout` with the last error `attempt` threw (if any) and throws what it returns.
 */
export async function pollUntil<T>(attempt: () => Promise<T | undefined>, options: PollOptions, onTimeout: (lastError: unknown) => Error): Promise<T> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      if (options.retryable !== undefined && !options.retryable(err)) throw err;
      lastError = err;
    }
    if (clock.now() + options.intervalMs > deadline) throw onTimeout(lastError);
    await clock.sleep(options.intervalMs);
  }
}
