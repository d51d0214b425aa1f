// The request bodies the facade accepts, as XiVO 16.15's confd and xivo-auth declare them (the
// fields lab/xivo sends, with their types and what is required). Unknown fields pass, as they do
// on confd; a wrong type or a missing field is a 400 naming it.

import { Type, type Static } from '@sinclair/typebox';

const KeyValue = Type.Array(Type.String(), { minItems: 2, maxItems: 2 });

export const TokenBody = Type.Object({ backend: Type.String(), expiration: Type.Optional(Type.Integer()) });

export const UserBody = Type.Object({
  firstname: Type.String({ minLength: 1 }),
  lastname: Type.Optional(Type.String()),
  userfield: Type.Optional(Type.String()),
});

export const EndpointSipBody = Type.Object({
  username: Type.Optional(Type.String()),
  secret: Type.Optional(Type.String()),
  type: Type.Optional(Type.Union([Type.Literal('friend'), Type.Literal('peer'), Type.Literal('user')])),
  host: Type.Optional(Type.String()),
  options: Type.Optional(Type.Array(KeyValue)),
});

export const LineBody = Type.Object({ context: Type.String({ minLength: 1 }) });

export const ExtensionBody = Type.Object({ exten: Type.String({ minLength: 1 }), context: Type.String({ minLength: 1 }) });

export const GroupBody = Type.Object({ name: Type.String({ minLength: 1 }) });

export const GroupMembersBody = Type.Object({ users: Type.Array(Type.Object({ uuid: Type.String({ minLength: 1 }) })) });

const WizardNetwork = Type.Object({
  hostname: Type.String({ minLength: 1 }), domain: Type.String({ minLength: 1 }), interface: Type.String({ minLength: 1 }),
  ip_address: Type.String({ minLength: 1 }), netmask: Type.String({ minLength: 1 }), gateway: Type.String({ minLength: 1 }),
  nameservers: Type.Array(Type.String(), { maxItems: 3 }),
});

const Range = Type.Object({ number_start: Type.String(), number_end: Type.String() });

export const WizardBody = Type.Object({
  admin_password: Type.String({ minLength: 1 }),
  license: Type.Boolean(),
  timezone: Type.String({ minLength: 1 }),
  language: Type.Optional(Type.Union(['de_DE', 'en_US', 'es_ES', 'fr_FR', 'fr_CA', 'it_IT', 'nl_NL'].map((l) => Type.Literal(l)))),
  entity_name: Type.String({ minLength: 1 }),
  network: WizardNetwork,
  context_internal: Range,
  context_incall: Type.Optional(Type.Object({ number_start: Type.Optional(Type.String()), number_end: Type.Optional(Type.String()), did_length: Type.Optional(Type.Integer()) })),
  context_outcall: Type.Optional(Type.Object({})),
});

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  order: Type.Optional(Type.String()),
  direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  search: Type.Optional(Type.String()),
});

export type UserBodyT = Static<typeof UserBody>;
export type EndpointSipBodyT = Static<typeof EndpointSipBody>;
export type GroupMembersBodyT = Static<typeof GroupMembersBody>;
export type WizardBodyT = Static<typeof WizardBody>;
export type ListQueryT = Static<typeof ListQuery>;
