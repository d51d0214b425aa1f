// Steps of one story in an e2e test: each `it` builds on the earlier ones (signed in, then in a
// call, then on hold…), so once one fails the later ones are skipped, naming it, instead of
// failing again on phones left in an unknown state.

import type { TestContext } from 'node:test';

/**
 * A `step(t, body)` for the story's `it`s: `actors()` gives what the bodies act on (the phones),
 * or undefined when the set-up did not get them.
 */
export function dependentSteps<Actors extends unknown[]>(actors: () => Actors | undefined) {
  let failedStep: string | undefined;
  return async (t: TestContext, body: (...actors: Actors) => Promise<void>): Promise<void> => {
    const ready = actors();
    if (failedStep !== undefined || ready === undefined) {
      t.skip(`needs the earlier step "${failedStep ?? 'set-up'}"`);
      return;
    }
    try {
      await body(...ready);
    } catch (err) {
      failedStep = t.name;
      throw err;
    }
  };
}
