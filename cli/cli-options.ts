// Option parsing shared by the commands (node:util parseArgs, strict), with parse mistakes
// turned into UsageError so they exit 2.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-io.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export const CONFIG_OPTIONS = {
  config: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

// The return type is inferred: parseArgs derives the values' types from `options`.
export function parseCommandArgs<const O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

export function expectPositionals(positionals: string[], count: number, usage: string): void {
  if (positionals.length !== count) throw new UsageError(`usage: ${usage}`);
}
