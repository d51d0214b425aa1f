// /openapi.json: the OpenAPI 3 document @fastify/swagger builds from the route schemas, so the
// docs cannot drift from what the routes validate.

import { Type } from '@sinclair/typebox';
import type { ApiApp } from '../api-deps.ts';
import { ErrorSchema } from '../error-schema.ts';

const OpenApiDocumentSchema = Type.Object({
  openapi: Type.String(),
  info: Type.Object({ title: Type.String(), version: Type.String() }, { additionalProperties: true }),
  paths: Type.Object({}, { additionalProperties: true }),
}, { additionalProperties: true, description: 'OpenAPI 3.0 document' });

export function registerOpenApiRoute(api: ApiApp): void {
  api.get('/openapi.json', {
    schema: { tags: ['meta'], summary: 'This API as an OpenAPI 3 document', response: { 200: OpenApiDocumentSchema, 401: ErrorSchema } },
  }, () => api.swagger() as unknown as { openapi: string; info: { title: string; version: string }; paths: Record<string, unknown> });
}
