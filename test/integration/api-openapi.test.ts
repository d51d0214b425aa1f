// /api/v1/openapi.json: generated from the route schemas, it lists every route the app serves,
// with its parameters, bodies, responses and security.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, assertError, buildTestApi } from '../helpers/api-fakes.ts';

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, Record<string, unknown>> } }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: Array<Record<string, unknown>>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; in?: string; name?: string }> };
  security: Array<Record<string, unknown>>;
}

const EXPECTED = [
  'GET /api/v1/accounts', 'POST /api/v1/accounts',
  'GET /api/v1/accounts/{extension}', 'PATCH /api/v1/accounts/{extension}', 'DELETE /api/v1/accounts/{extension}',
  'GET /api/v1/registrations',
  'GET /api/v1/calls', 'DELETE /api/v1/calls/{id}',
  'GET /api/v1/cdrs',
  'GET /api/v1/dialplan', 'PUT /api/v1/dialplan',
  'GET /api/v1/groups', 'PUT /api/v1/groups',
  'GET /api/v1/queues', 'PUT /api/v1/queues', 'GET /api/v1/queues/status', 'GET /api/v1/queues/log', 'GET /api/v1/queues/{name}/status',
  'POST /api/v1/queues/{name}/agents', 'DELETE /api/v1/queues/{name}/agents/{extension}', 'PUT /api/v1/queues/{name}/agents/{extension}/pause',
  'GET /api/v1/directory',
  'GET /api/v1/health',
  'GET /api/v1/openapi.json',
  'GET /api/v1/events',
  'GET /metrics',
];

describe('OpenAPI document', () => {
  const t = buildTestApi();
  after(() => t.app.close());
  const served: string[] = [];
  t.app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') served.push(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
  });
  let doc: OpenApiDocument;
  const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  const op = (method: string, path: string): Operation => {
    const found = doc.paths[path]?.[method];
    assert.ok(found, `${method} ${path} is documented`);
    return found;
  };

  before(async () => {
    doc = (await t.app.inject({ url: '/api/v1/openapi.json', headers: AUTH })).json<OpenApiDocument>();
  });

  test('is OpenAPI 3 JSON, behind the token', async () => {
    assertError(await t.app.inject({ url: '/api/v1/openapi.json' }), 401, 'IPBX_API_UNAUTHORIZED');
    const res = await t.app.inject({ url: '/api/v1/openapi.json', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.equal(doc.info.version, '0.1.0-test');
  });

  test('lists every route the app serves, and only those', () => {
    assert.deepEqual(operations().sort(), [...EXPECTED].sort());
    assert.deepEqual([...served].sort(), [...EXPECTED].sort(), 'every route served is in the expected list');
  });

  test('every operation documents its 401 and at least one success answer', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(ops)) {
        assert.ok(operation.responses['401'], `${method} ${path} documents 401`);
        assert.ok(Object.keys(operation.responses).some((s) => /^[12]\d\d$/.test(s)), `${method} ${path} documents a success`);
      }
    }
  });

  test('bodies, path and query parameters come from the route schemas', () => {
    const create = op('post', '/api/v1/accounts').requestBody?.content['application/json']?.schema;
    assert.deepEqual(create?.required, ['extension', 'password', 'displayName']);
    assert.equal(create?.properties?.['password']?.['minLength'], 8);
    assert.ok(op('put', '/api/v1/dialplan').requestBody);
    assert.ok(op('put', '/api/v1/groups').requestBody);
    assert.ok(op('patch', '/api/v1/accounts/{extension}').requestBody);
    const names = (o: Operation, where: string) => (o.parameters ?? []).filter((p) => p.in === where).map((p) => p.name).sort();
    assert.deepEqual(names(op('get', '/api/v1/cdrs'), 'query'), ['extension', 'limit', 'offset', 'since', 'until']);
    assert.deepEqual(names(op('get', '/api/v1/registrations'), 'query'), ['extension']);
    assert.deepEqual(names(op('delete', '/api/v1/calls/{id}'), 'path'), ['id']);
    assert.deepEqual(names(op('get', '/api/v1/accounts/{extension}'), 'path'), ['extension']);
    // ?token= on events is documented by the queryToken security scheme (@fastify/swagger lists it there, not twice).
    assert.equal(doc.components.securitySchemes['queryToken']?.name, 'token');
  });

  test('responses never describe secrets; metrics are text/plain, errors JSON', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(ops)) {
        assert.ok(!/"(ha1|password)"/.test(JSON.stringify(operation.responses)), `${method} ${path} answers without secrets`);
      }
    }
    const metrics = op('get', '/metrics');
    assert.deepEqual(Object.keys(metrics.responses['200']?.content ?? {}), ['text/plain']);
    assert.deepEqual(Object.keys(metrics.responses['401']?.content ?? {}), ['application/json']);
  });

  test('security: Bearer everywhere, anonymous allowed on health, ?token= on events', () => {
    assert.deepEqual(doc.components.securitySchemes['bearer'], { type: 'http', scheme: 'bearer', description: 'The admin token (VOIPLAB_ADMIN_TOKEN or security.adminToken)' });
    assert.equal(doc.components.securitySchemes['queryToken']?.in, 'query');
    assert.deepEqual(doc.security, [{ bearer: [] }]);
    assert.deepEqual(op('get', '/api/v1/health').security, [{}, { bearer: [] }]);
    assert.deepEqual(op('get', '/api/v1/events').security, [{ bearer: [] }, { queryToken: [] }]);
  });
});
