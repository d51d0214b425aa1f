// The body of every error answer, declared once for the route schemas and the OpenAPI document.

import { Type, type Static } from '@sinclair/typebox';

export const ErrorSchema = Type.Object({
  /** bad_request | unauthorized | not_found | conflict | … (follows the HTTP status). */
  error: Type.String(),
  /** Stable code from docs/errors.md, e.g. IPBX_API_VALIDATION. */
  code: Type.String(),
  message: Type.String(),
  /** The field to fix: `password`, `limit`, `rules[0].action.code`. */
  field: Type.Optional(Type.String()),
  /** Every problem the ConfigService found (IPBX_CONFIG_INVALID). */
  issues: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
}, { description: 'An error: `code` is stable, `message` is for people' });

export type ErrorBody = Static<typeof ErrorSchema>;
