// Where a command's config lives: --config FILE, or <data>/voiplab.yaml written on first run (its
// secrets printed here, once: the file keeps only hashes and the token).

import { resolve } from 'node:path';
import { ConfigFileService, DEFAULT_DATA_DIR, ensureDefaultConfig, type FirstRunSecrets } from '../ipbx/config/index.ts';
import type { CliIo } from './cli-io.ts';

export interface ConfigArgs {
  config?: string | undefined;
  data?: string | undefined;
}

export interface OpenedConfig {
  service: ConfigFileService;
  /** Absolute; created (0700) only when the config is written there. */
  dataDir: string;
  file: string;
}

export async function openConfig(args: ConfigArgs, io: CliIo): Promise<OpenedConfig> {
  const dataDir = resolve(args.data ?? DEFAULT_DATA_DIR);
  let file: string;
  if (args.config !== undefined) {
    file = resolve(args.config);
  } else {
    const location = await ensureDefaultConfig(dataDir);
    file = location.file;
    if (location.created !== undefined) printFirstRun(location.file, location.created, io);
  }
  const service = await ConfigFileService.open(file, { log: io.err });
  return { service, dataDir, file };
}

export function printFirstRun(file: string, secrets: FirstRunSecrets, io: CliIo): void {
  io.out(`First run: wrote ${file} with demo accounts and an admin token.`);
  io.out('These secrets are shown once; the file keeps only hashes (and the token):');
  for (const { extension, password } of secrets.accounts) io.out(`  account ${extension}  password ${password}`);
  io.out(`  admin token   ${secrets.adminToken}`);
}
