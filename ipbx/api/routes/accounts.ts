// /accounts: list, create, read, change, remove. Passwords go in, never out: answers carry no
// password and no HA1. Request schemas reuse the config schema's pieces without their defaults,
// so what the client left out stays out and the ConfigService applies defaults once.

import { Type, type TSchema } from '@sinclair/typebox';
import type { Account } from '../../accounts/account.ts';
import { AccountSchema } from '../../config/config-schema.ts';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { ApiError } from '../api-errors.ts';
import { ErrorSchema } from '../error-schema.ts';

const A = AccountSchema.properties;

function withoutDefault<T extends TSchema>(schema: T): T {
  const copy = { ...schema };
  Reflect.deleteProperty(copy, 'default');
  return copy;
}

export const AccountViewSchema = Type.Pick(AccountSchema, ['extension', 'displayName', 'enabled', 'transports', 'maxContacts'], {
  additionalProperties: false, description: 'An account, without its password or HA1 hashes',
});

const CreateBody = Type.Object({
  extension: A.extension,
  password: Type.Optional(withoutDefault(A.password), false),
  displayName: withoutDefault(A.displayName),
  enabled: Type.Optional(withoutDefault(A.enabled)),
  transports: Type.Optional(withoutDefault(A.transports)),
  maxContacts: Type.Optional(withoutDefault(A.maxContacts)),
}, { additionalProperties: false });

const PatchBody = Type.Object({
  password: Type.Optional(withoutDefault(A.password)),
  displayName: Type.Optional(withoutDefault(A.displayName)),
  enabled: Type.Optional(withoutDefault(A.enabled)),
  transports: Type.Optional(withoutDefault(A.transports)),
  maxContacts: Type.Optional(withoutDefault(A.maxContacts)),
}, { additionalProperties: false, description: 'Only the fields to change' });

const ExtensionParams = Type.Object({ extension: A.extension }, { additionalProperties: false });

function toView(account: Account) {
  const { extension, displayName, enabled, transports, maxContacts } = account;
  return { extension, displayName, enabled, transports, maxContacts };
}

function accountNotFound(extension: string): ApiError {
  return new ApiError('IPBX_ACCOUNT_NOT_FOUND', `no account has extension ${extension}`, 'extension');
}

export function registerAccountRoutes(api: ApiApp, deps: ApiDeps): void {
  const tags = ['accounts'];

  api.get('/accounts', {
    schema: {
      tags, summary: 'List accounts',
      response: { 200: Type.Object({ items: Type.Array(AccountViewSchema) }), 401: ErrorSchema },
    },
  }, () => ({ items: deps.config.accounts.list().map(toView) }));

  api.post('/accounts', {
    schema: {
      tags, summary: 'Create an account', body: CreateBody,
      response: { 201: AccountViewSchema, 400: ErrorSchema, 401: ErrorSchema, 409: ErrorSchema },
    },
  }, async (request, reply) => {
    const account = await deps.config.createAccount(request.body);
    return reply.code(201).header('location', `/api/v1/accounts/${encodeURIComponent(account.extension)}`).send(toView(account));
  });

  api.get('/accounts/:extension', {
    schema: {
      tags, summary: 'Read an account', params: ExtensionParams,
      response: { 200: AccountViewSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
    },
  }, (request) => {
    const account = deps.config.accounts.get(request.params.extension);
    if (account === undefined) throw accountNotFound(request.params.extension);
    return toView(account);
  });

  api.patch('/accounts/:extension', {
    schema: {
      tags, summary: 'Change an account', params: ExtensionParams, body: PatchBody,
      response: { 200: AccountViewSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
    },
  }, async (request) => toView(await deps.config.updateAccount(request.params.extension, request.body)));

  api.delete('/accounts/:extension', {
    schema: {
      tags, summary: 'Remove an account', params: ExtensionParams,
      response: { 204: Type.Null({ description: 'Removed' }), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
    },
  }, async (request, reply) => {
    if (!(await deps.config.removeAccount(request.params.extension))) throw accountNotFound(request.params.extension);
    return reply.code(204).send(null);
  });
}
