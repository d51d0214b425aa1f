// The admin token guards every /api/v1 route and /metrics (401 + WWW-Authenticate: Bearer);
// /api/v1/health answers anonymous callers with `{status:"ok"}` only; CORS is off unless origins
// are listed; buildApp refuses unusable options.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, TEST_TOKEN, assertError, buildTestApi } from '../helpers/api-fakes.ts';
import { ApiError } from '../../ipbx/api/index.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Every protected route, with a request that succeeds once authenticated. */
const ROUTES: Array<{ method: Method; url: string; payload?: object; ok: number }> = [
  { method: 'GET', url: '/api/v1/accounts', ok: 200 },
  { method: 'POST', url: '/api/v1/accounts', payload: { extension: '3001', password: 'password-3001', displayName: 'C' }, ok: 201 },
  { method: 'GET', url: '/api/v1/accounts/3001', ok: 200 },
  { method: 'PATCH', url: '/api/v1/accounts/3001', payload: { displayName: 'Carol' }, ok: 200 },
  { method: 'DELETE', url: '/api/v1/accounts/3001', ok: 204 },
  { method: 'GET', url: '/api/v1/registrations', ok: 200 },
  { method: 'GET', url: '/api/v1/calls', ok: 200 },
  { method: 'DELETE', url: '/api/v1/calls/c1', ok: 204 },
  { method: 'GET', url: '/api/v1/cdrs', ok: 200 },
  { method: 'GET', url: '/api/v1/dialplan', ok: 200 },
  { method: 'PUT', url: '/api/v1/dialplan', payload: { rules: [] }, ok: 200 },
  { method: 'GET', url: '/api/v1/groups', ok: 200 },
  { method: 'PUT', url: '/api/v1/groups', payload: { groups: [] }, ok: 200 },
  { method: 'GET', url: '/api/v1/openapi.json', ok: 200 },
  { method: 'GET', url: '/api/v1/events', ok: 426 },
  { method: 'GET', url: '/metrics', ok: 200 },
];

describe('admin token', () => {
  const t = buildTestApi();
  after(() => t.app.close());
  t.calls.calls.push({ id: 'c1', caller: '1001', callerName: 'A', callee: '1002', state: 'ringing', startedAt: 1, answeredAt: null });

  for (const route of ROUTES) {
    test(`${route.method} ${route.url}: 401 without a token, 401 with a wrong one, ${route.ok} with it`, async () => {
      const writes = t.config.writes;
      const anonymous = await t.app.inject({ method: route.method, url: route.url, ...(route.payload ? { payload: route.payload } : {}) });
      assertError(anonymous, 401, 'IPBX_API_UNAUTHORIZED');
      assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="voiplab"');
      assert.equal(anonymous.json<{ error: string }>().error, 'unauthorized');

      const wrong = await t.app.inject({ method: route.method, url: route.url, headers: { authorization: `Bearer ${TEST_TOKEN}x` }, ...(route.payload ? { payload: route.payload } : {}) });
      assertError(wrong, 401, 'IPBX_API_UNAUTHORIZED');
      assert.match(String(wrong.headers['www-authenticate']), /^Bearer .*error="invalid_token"/);
      assert.equal(t.config.writes, writes, 'nothing written without the token');

      const res = await t.app.inject({ method: route.method, url: route.url, headers: AUTH, ...(route.payload ? { payload: route.payload } : {}) });
      assert.equal(res.statusCode, route.ok, res.body);
    });
  }

  test('other schemes, an empty token and a token prefix are refused; the scheme name is case-insensitive', async () => {
    const basic = Buffer.from(`admin:${TEST_TOKEN}`).toString('base64');
    for (const authorization of [`Basic ${basic}`, 'Bearer ', 'Bearer', TEST_TOKEN, `Bearer ${TEST_TOKEN.slice(0, -1)}`, `Bearer ${TEST_TOKEN} extra`]) {
      assertError(await t.app.inject({ url: '/api/v1/accounts', headers: { authorization } }), 401, 'IPBX_API_UNAUTHORIZED');
    }
    assert.equal((await t.app.inject({ url: '/api/v1/accounts', headers: { authorization: `bearer ${TEST_TOKEN}` } })).statusCode, 200);
  });

  test('?token= is accepted by the events WebSocket only', async () => {
    assertError(await t.app.inject({ url: `/api/v1/accounts?token=${TEST_TOKEN}` }), 401, 'IPBX_API_UNAUTHORIZED');
    assert.equal((await t.app.inject({ url: `/api/v1/events?token=${TEST_TOKEN}` })).statusCode, 426);
    assertError(await t.app.inject({ url: '/api/v1/events?token=wrong' }), 401, 'IPBX_API_UNAUTHORIZED');
  });

  test('health: anonymous gets {status:"ok"} only, the token adds version and uptime, a wrong token is 401', async () => {
    const anonymous = await t.app.inject({ url: '/api/v1/health' });
    assert.equal(anonymous.statusCode, 200);
    assert.deepEqual(anonymous.json(), { status: 'ok' });
    const admin = await t.app.inject({ url: '/api/v1/health', headers: AUTH });
    assert.equal(admin.json<{ version: string }>().version, '0.1.0-test');
    assert.equal(typeof admin.json<{ uptimeSeconds: number }>().uptimeSeconds, 'number');
    assertError(await t.app.inject({ url: '/api/v1/health', headers: { authorization: 'Bearer nope' } }), 401, 'IPBX_API_UNAUTHORIZED');
  });

  test('unknown API paths are 401 without the token (no probing), 404 IPBX_API_NOT_FOUND with it', async () => {
    assertError(await t.app.inject({ url: '/api/v1/secret-things' }), 401, 'IPBX_API_UNAUTHORIZED');
    const res = await t.app.inject({ url: '/api/v1/secret-things', headers: AUTH });
    assertError(res, 404, 'IPBX_API_NOT_FOUND');
    assert.equal(res.json<{ error: string }>().error, 'not_found');
    assertError(await t.app.inject({ method: 'POST', url: '/api/v1/health', headers: AUTH }), 404, 'IPBX_API_NOT_FOUND');
  });
});

describe('CORS', () => {
  test('off by default: no CORS header even for an Origin, and a preflight is not answered', async (ctx) => {
    const t = buildTestApi();
    ctx.after(() => t.app.close());
    const res = await t.app.inject({ url: '/api/v1/accounts', headers: { ...AUTH, origin: 'https://evil.example' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    const preflight = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/accounts', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.statusCode, 401);
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  });

  test('listed origins get CORS headers and preflights; others do not', async (ctx) => {
    const t = buildTestApi({ corsOrigins: ['https://lab.example:8443'] });
    ctx.after(() => t.app.close());
    const preflight = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/accounts', headers: { origin: 'https://lab.example:8443', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://lab.example:8443');
    assert.match(String(preflight.headers['access-control-allow-headers']), /Authorization/);
    assert.match(String(preflight.headers['access-control-allow-methods']), /PATCH/);
    const res = await t.app.inject({ url: '/api/v1/accounts', headers: { ...AUTH, origin: 'https://lab.example:8443' } });
    assert.equal(res.headers['access-control-allow-origin'], 'https://lab.example:8443');
    assert.equal(res.headers.vary, 'Origin');
    const noToken = await t.app.inject({ url: '/api/v1/accounts', headers: { origin: 'https://lab.example:8443' } });
    assert.equal(noToken.statusCode, 401, 'CORS does not replace the token');
    const other = await t.app.inject({ url: '/api/v1/accounts', headers: { ...AUTH, origin: 'https://other.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});

describe('buildApp options', () => {
  test('an admin token shorter than 16 characters is refused with IPBX_API_BAD_OPTION', () => {
    assert.throws(() => buildTestApi({ adminToken: 'short' }), (e: unknown) => e instanceof ApiError && e.code === 'IPBX_API_BAD_OPTION' && /adminToken/.test(e.message));
    assert.throws(() => buildTestApi({ adminToken: '' }), ApiError);
  });

  test('a CORS origin with a path, or not a URL, is refused naming corsOrigins', () => {
    for (const origin of ['https://lab.example/app', 'lab.example', 'https://lab.example/']) {
      assert.throws(() => buildTestApi({ corsOrigins: [origin] }), (e: unknown) => e instanceof ApiError && e.code === 'IPBX_API_BAD_OPTION' && /corsOrigins/.test(e.message), origin);
    }
  });
});
