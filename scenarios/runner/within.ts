// Every wait of the runner is bounded: a promise raced against a timer that says what was awaited.

export function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `probe` every 20 ms until it gives a value; throws `failure()`'s message at the deadline. */
export async function pollUntil<T>(probe: () => T | undefined | Promise<T | undefined>, ms: number, failure: () => string): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() >= deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
