// What a command needs from the outside world, so tests can run commands in-process, and the
// mapping of errors to exit codes: 2 for usage mistakes, 1 for failures.

// The error module alone, not the config entry: `voiplab --help` stays fast to start.
import { ConfigError, formatIssue } from '../ipbx/config/config-errors.ts';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  env: process.env,
};

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'CLI_USAGE';
}

/** Prints an error the way its kind reads best and returns the exit code. */
export function reportError(err: unknown, io: CliIo): number {
  if (err instanceof UsageError) {
    io.err(`voiplab: ${err.message}`);
    io.err("Run 'voiplab --help' for usage.");
    return EXIT_USAGE;
  }
  if (err instanceof ConfigError) {
    for (const issue of err.issues) io.err(formatIssue(issue));
    return EXIT_FAILURE;
  }
  io.err(`voiplab: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT_FAILURE;
}
