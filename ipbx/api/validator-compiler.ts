// ajv for the route schemas. Bodies are JSON and must have the right types (no "5" for 5, unlike
// fastify's default); path and query values are strings on the wire, so they are coerced.
// Unknown fields are refused rather than silently dropped, and every error is collected so the one
// reported is the branch the client meant (validation-field.ts).

import { Ajv, type Options } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

const common: Options = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false };

export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const bodies = new Ajv({ ...common, coerceTypes: false });
  const strings = new Ajv({ ...common, coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodies : strings).compile(schema);
}
