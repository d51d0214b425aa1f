// Writes config.schema.json from ConfigSchema (TypeBox), the one declaration of voiplab.yaml.
// Usage: node --import tsx scripts/gen-config-schema.ts [--check]
// --check exits 1 without writing when the committed file is stale.

import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { configSchemaJson } from '../ipbx/config/config-schema-json.ts';

const target = fileURLToPath(new URL('../config.schema.json', import.meta.url));
const fresh = configSchemaJson();

if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== fresh) {
    process.stderr.write('config.schema.json is stale: run node --import tsx scripts/gen-config-schema.ts\n');
    process.exitCode = 1;
  }
} else {
  await writeFile(target, fresh);
  process.stdout.write(`wrote ${target}\n`);
}
