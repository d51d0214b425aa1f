// Durations as scenario files write them: `500ms`, `2s`, `1.5s` (the schema's DURATION_PATTERN).

export function parseDuration(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s)$/.exec(text);
  if (match?.[1] === undefined) throw new RangeError(`not a duration: ${text} (write 500ms or 2s)`);
  const value = Number(match[1]);
  return Math.round(match[2] === 's' ? value * 1000 : value);
}
