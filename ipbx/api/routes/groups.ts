// /groups: the ring groups, read and replaced as a whole, like the dialplan that refers to them.

import { Type } from '@sinclair/typebox';
import { GroupSchema } from '../../config/config-schema.ts';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { ErrorSchema } from '../error-schema.ts';

const GroupsSchema = Type.Object({ groups: Type.Array(GroupSchema, { maxItems: 10_000 }) }, { additionalProperties: false });

export function registerGroupRoutes(api: ApiApp, deps: ApiDeps): void {
  const tags = ['groups'];

  api.get('/groups', {
    schema: { tags, summary: 'Read the ring groups', response: { 200: GroupsSchema, 401: ErrorSchema } },
  }, () => ({ groups: deps.config.current.groups }));

  api.put('/groups', {
    schema: {
      tags, summary: 'Replace the ring groups', body: GroupsSchema,
      response: { 200: GroupsSchema, 400: ErrorSchema, 401: ErrorSchema },
    },
  }, async (request) => {
    await deps.config.replaceGroups(request.body.groups);
    return { groups: deps.config.current.groups };
  });
}
