// Writes lab/lab.schema.json from LabFileSchema (TypeBox).
// Usage: node --import tsx lab/lab-file/write-lab-schema.ts [--check]
// --check exits 1 without writing when the committed file is stale.

import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { labSchemaJson } from './lab-schema-json.ts';

const target = fileURLToPath(new URL('../lab.schema.json', import.meta.url));
const fresh = labSchemaJson();

if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== fresh) {
    process.stderr.write('lab/lab.schema.json is stale: run node --import tsx lab/lab-file/write-lab-schema.ts\n');
    process.exitCode = 1;
  }
} else {
  await writeFile(target, fresh);
  process.stdout.write(`wrote ${target}\n`);
}
