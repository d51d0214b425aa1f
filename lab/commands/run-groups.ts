// Runs one job per group with at most `limit` at once; a group's failure does not stop the others
// (each result says how its group fared).

export type Settled<T> = { group: string; ok: true; value: T } | { group: string; ok: false; error: unknown };

export async function runGroups<G extends { name: string }, T>(groups: G[], limit: number, job: (group: G) => Promise<T>): Promise<Array<Settled<T>>> {
  const results: Array<Settled<T>> = new Array<Settled<T>>(groups.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const index = next++;
      const group = groups[index];
      if (group === undefined) return;
      try {
        results[index] = { group: group.name, ok: true, value: await job(group) };
      } catch (error) {
        results[index] = { group: group.name, ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, groups.length)) }, worker));
  return results;
}
