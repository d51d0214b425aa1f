// config.schema.json is generated from ConfigSchema; the committed copy must be current.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { configSchemaJson, defaultConfigText, createFirstRunSecrets } from '../../ipbx/config/index.ts';

test('the committed config.schema.json matches ConfigSchema (run scripts/gen-config-schema.ts)', async () => {
  const committed = await readFile(new URL('../../config.schema.json', import.meta.url), 'utf8');
  assert.equal(committed, configSchemaJson(), 'config.schema.json is stale: node --import tsx scripts/gen-config-schema.ts');
});

test('the published schema accepts a first-run file as it is, without voiplab filling defaults', () => {
  const validate = new Ajv({ strict: false }).compile(JSON.parse(configSchemaJson()) as object);
  const ok = validate(parse(defaultConfigText(createFirstRunSecrets())));
  assert.ok(ok, JSON.stringify(validate.errors));
});
