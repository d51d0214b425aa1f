// /calls: calls in progress, and hanging one up (BYE on both legs, or CANCEL while ringing).

import { Type } from '@sinclair/typebox';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { ApiError } from '../api-errors.ts';
import { ErrorSchema } from '../error-schema.ts';

const CallStateSchema = Type.Union(['routing', 'ringing', 'answered', 'held', 'transferred', 'ended'].map((s) => Type.Literal(s)));

const ActiveCallSchema = Type.Object({
  id: Type.String(),
  caller: Type.String(),
  callerName: Type.String(),
  callee: Type.String(),
  state: CallStateSchema,
  startedAt: Type.Integer({ description: 'Epoch ms' }),
  answeredAt: Type.Union([Type.Integer(), Type.Null()], { description: 'Epoch ms, null until answered' }),
});

export function registerCallRoutes(api: ApiApp, deps: ApiDeps): void {
  const tags = ['calls'];

  api.get('/calls', {
    schema: {
      tags, summary: 'List calls in progress',
      response: { 200: Type.Object({ items: Type.Array(ActiveCallSchema) }), 401: ErrorSchema },
    },
  }, () => ({ items: deps.calls.list() }));

  api.delete('/calls/:id', {
    schema: {
      tags, summary: 'Hang up a call (both legs)',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
      response: { 204: Type.Null({ description: 'Hung up' }), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
    },
  }, async (request, reply) => {
    if (!(await deps.calls.hangup(request.params.id))) throw new ApiError('IPBX_CALL_NOT_FOUND', `no active call has id ${request.params.id}`);
    return reply.code(204).send(null);
  });
}
