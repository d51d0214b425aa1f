// /registrations: the live bindings of the registrar (who is reachable, over what, from where).

import { Type } from '@sinclair/typebox';
import { AccountSchema } from '../../config/config-schema.ts';
import type { Binding } from '../../registrar/binding.ts';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { ErrorSchema } from '../error-schema.ts';

const BindingViewSchema = Type.Object({
  extension: Type.String(),
  contact: Type.String({ description: 'Contact URI as registered' }),
  protocol: Type.String({ description: 'udp | tcp | tls | ws | wss' }),
  source: Type.Object({ address: Type.String(), port: Type.Integer() }, { description: 'Where the REGISTER came from (after NAT)' }),
  expiresAt: Type.Integer({ description: 'Epoch ms' }),
  registeredAt: Type.Integer({ description: 'Epoch ms' }),
  q: Type.Number(),
  userAgent: Type.Optional(Type.String()),
  instanceId: Type.Optional(Type.String({ description: 'RFC 5626 +sip.instance' })),
  regId: Type.Optional(Type.Integer({ description: 'RFC 5626 reg-id' })),
});

function toView(b: Binding) {
  return {
    extension: b.extension, contact: b.contact, protocol: b.protocol, source: { address: b.source.address, port: b.source.port },
    expiresAt: b.expiresAt, registeredAt: b.registeredAt, q: b.q, userAgent: b.userAgent, instanceId: b.instanceId, regId: b.regId,
  };
}

export function registerRegistrationRoutes(api: ApiApp, deps: ApiDeps): void {
  api.get('/registrations', {
    schema: {
      tags: ['registrations'], summary: 'List live registrations',
      querystring: Type.Object({ extension: Type.Optional(AccountSchema.properties.extension) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(BindingViewSchema) }), 400: ErrorSchema, 401: ErrorSchema },
    },
  }, (request) => {
    const { extension } = request.query;
    const bindings = deps.registrations.list().filter((b) => extension === undefined || b.extension === extension);
    return { items: bindings.map(toView) };
  });
}
