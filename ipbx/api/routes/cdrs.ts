// /cdrs: call detail records in the store's order, paged and filtered.
// since/until take an ISO 8601 date or epoch milliseconds: scripts have one or the other.

import { Type } from '@sinclair/typebox';
import { AccountSchema } from '../../config/config-schema.ts';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { ApiError } from '../api-errors.ts';
import { ErrorSchema } from '../error-schema.ts';

const Instant = Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601 date or date-time, or epoch milliseconds' });

const CdrSchema = Type.Object({
  id: Type.String(),
  caller: Type.String(),
  callerName: Type.String(),
  callee: Type.String(),
  startedAt: Type.Integer({ description: 'Epoch ms' }),
  answeredAt: Type.Union([Type.Integer(), Type.Null()]),
  endedAt: Type.Integer(),
  duration: Type.Number({ description: 'Seconds from answer to end' }),
  cause: Type.String({ description: 'answered | busy | no-answer | cancelled | rejected | unknown-number | offline | failed | transferred' }),
  status: Type.Union([Type.Integer(), Type.Null()], { description: 'Final SIP status, when there was one' }),
});

const CdrQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  extension: Type.Optional(AccountSchema.properties.extension),
  since: Type.Optional(Instant),
  until: Type.Optional(Instant),
}, { additionalProperties: false });

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms from `1700000000000` or `2024-05-01T08:00:00Z`; undefined passes through. */
export function parseInstant(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : ISO_DATE.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new ApiError('IPBX_API_VALIDATION', `${field} must be an ISO 8601 date or epoch milliseconds`, field);
  return ms;
}

export function registerCdrRoutes(api: ApiApp, deps: ApiDeps): void {
  api.get('/cdrs', {
    schema: {
      tags: ['cdrs'], summary: 'Call detail records, paged and filtered', querystring: CdrQuerySchema,
      response: { 200: Type.Object({ total: Type.Integer({ description: 'Records matching the filters' }), items: Type.Array(CdrSchema) }), 400: ErrorSchema, 401: ErrorSchema },
    },
  }, (request) => {
    const { limit, offset, extension } = request.query;
    return deps.cdrs.query({ limit, offset, extension, since: parseInstant(request.query.since, 'since'), until: parseInstant(request.query.until, 'until') });
  });
}
