// The `voiplab` command line: one tool, subcommands. bin/voiplab.js runs this file through tsx.

import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { EXIT_OK, UsageError, processIo, reportError, type CliIo } from './cli-io.ts';
import { HELP } from './usage.ts';

type Command = (args: string[], io: CliIo) => Promise<number>;

// Loaded on use: `account` and `--help` need not load the whole IPBX (fastify, SQLite, SIP stack).
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.ts')).serveCommand,
  account: async () => (await import('./account-command.ts')).accountCommand,
  lab: async () => (await import('./lab-command.ts')).labCommand,
  run: async () => (await import('./run-command.ts')).runCommand,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      if (name === undefined) throw new UsageError('missing command');
      io.out(HELP);
      return EXIT_OK;
    }
    if (name === '--version') {
      io.out(version());
      return EXIT_OK;
    }
    const load = COMMANDS[name];
    if (load === undefined) throw new UsageError(`unknown command '${name}' (${Object.keys(COMMANDS).join(', ')})`);
    return await (await load())(args, io);
  } catch (err) {
    return reportError(err, io);
  }
}

/** Entry of bin/voiplab.js: the exit code goes to the process. */
export async function run(argv: string[]): Promise<void> {
  process.exitCode = await main(argv);
}
