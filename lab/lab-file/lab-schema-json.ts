// The JSON Schema of lab files as committed in lab/lab.schema.json (for editors and readers);
// write-lab-schema.ts writes it and a test fails when the committed copy is stale. Fields with a
// default are Optional in the schema, so `required` already lists only what a file must give.

import { LabFileSchema } from './lab-schema.ts';

export function labSchemaJson(): string {
  // JSON.stringify drops TypeBox's symbol keys, leaving plain JSON Schema.
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'voiplab lab file', ...LabFileSchema }, null, 2)}\n`;
}
