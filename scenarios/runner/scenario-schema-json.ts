// The JSON Schema of scenario files as committed in scenarios/scenario.schema.json (for editors and
// readers); write-scenario-schema.ts writes it and a test fails when the committed copy is stale.

import { ScenarioSchema } from './scenario-schema.ts';

export function scenarioSchemaJson(): string {
  // JSON.stringify drops TypeBox's symbol keys, leaving plain JSON Schema.
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'voiplab scenario file', ...ScenarioSchema }, null, 2)}\n`;
}
