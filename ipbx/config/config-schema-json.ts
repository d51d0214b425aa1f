// The JSON Schema of voiplab.yaml as committed in config.schema.json (for editors and readers);
// scripts/gen-config-schema.ts writes it and a test fails when the committed copy is stale.

import { ConfigSchema } from './config-schema.ts';

/**
 * ajv fills defaults before it checks `required`, so a field with a default may be left out of the
 * file. Editors apply `required` literally: the published schema lists only the truly required.
 */
function withoutDefaultedRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDefaultedRequired);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = withoutDefaultedRequired(value);
  const properties = out['properties'] as Record<string, { default?: unknown }> | undefined;
  if (Array.isArray(out['required']) && properties !== undefined) {
    out['required'] = (out['required'] as string[]).filter((name) => properties[name]?.default === undefined);
  }
  return out;
}

export function configSchemaJson(): string {
  // Object.entries drops TypeBox's symbol keys, leaving plain JSON Schema.
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...(withoutDefaultedRequired(ConfigSchema) as object) }, null, 2)}\n`;
}
