// Writes scenarios/scenario.schema.json from ScenarioSchema (TypeBox).
// Usage: node --import tsx scenarios/runner/write-scenario-schema.ts [--check]
// --check exits 1 without writing when the committed file is stale.

import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { scenarioSchemaJson } from './scenario-schema-json.ts';

const target = fileURLToPath(new URL('../scenario.schema.json', import.meta.url));
const fresh = scenarioSchemaJson();

if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== fresh) {
    process.stderr.write('scenarios/scenario.schema.json is stale: run node --import tsx scenarios/runner/write-scenario-schema.ts\n');
    process.exitCode = 1;
  }
} else {
  await writeFile(target, fresh);
  process.stdout.write(`wrote ${target}\n`);
}
