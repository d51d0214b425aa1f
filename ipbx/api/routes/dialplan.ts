// /dialplan: the ordered rules, read and replaced as a whole (order is meaning, so no per-rule
// edits). The ConfigService checks the result (e.g. groups that exist) before writing anything.

import { Type } from '@sinclair/typebox';
import { DialplanRuleSchema } from '../../config/config-schema.ts';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { ErrorSchema } from '../error-schema.ts';

const DialplanSchema = Type.Object({ rules: Type.Array(DialplanRuleSchema, { maxItems: 10_000 }) }, { additionalProperties: false });

export function registerDialplanRoutes(api: ApiApp, deps: ApiDeps): void {
  const tags = ['dialplan'];

  api.get('/dialplan', {
    schema: { tags, summary: 'Read the dialplan', response: { 200: DialplanSchema, 401: ErrorSchema } },
  }, () => ({ rules: deps.config.current.dialplan }));

  api.put('/dialplan', {
    schema: {
      tags, summary: 'Replace the dialplan', body: DialplanSchema,
      response: { 200: DialplanSchema, 400: ErrorSchema, 401: ErrorSchema },
    },
  }, async (request) => {
    await deps.config.replaceDialplan(request.body.rules);
    return { rules: deps.config.current.dialplan };
  });
}
