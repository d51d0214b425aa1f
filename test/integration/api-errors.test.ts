// The one error handler: unexpected failures are 500s that reveal nothing (the log has them),
// ConfigService codes map to their statuses, framework errors (size, encoding) keep the body shape.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, CONFIG_FILE, FakeConfigError, assertError, buildTestApi } from '../helpers/api-fakes.ts';
import { API_ERROR_CODES } from '../../ipbx/api/index.ts';

describe('error answers', () => {
  test('a failing dependency is 500 IPBX_API_INTERNAL without internals; the log names the route, not the URL', async (ctx) => {
    const t = buildTestApi();
    ctx.after(() => t.app.close());
    t.cdrs.query = () => { throw new TypeError('Cannot read properties of undefined (reading \'prepare\') at /srv/voiplab/store.ts:42'); };
    const res = await t.app.inject({ url: '/api/v1/cdrs?extension=1001', headers: AUTH });
    assertError(res, 500, 'IPBX_API_INTERNAL');
    assert.deepEqual(Object.keys(res.json<object>()).sort(), ['code', 'error', 'message']);
    assert.ok(!/prepare|store\.ts|TypeError/.test(res.body), res.body);
    assert.equal(t.logs.length, 1);
    assert.match(t.logs[0] ?? '', /^api: GET \/api\/v1\/cdrs failed: TypeError/);
    assert.ok(!(t.logs[0] ?? '').includes('extension=1001'));
  });

  test('a ConfigService failure with a code the API does not know (disk full) is a 500, not a 4xx', async (ctx) => {
    const t = buildTestApi();
    ctx.after(() => t.app.close());
    t.config.replaceGroups = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write \'/etc/voiplab.yaml\''), { code: 'ENOSPC' }));
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/groups', headers: AUTH, payload: { groups: [] } });
    assertError(res, 500, 'IPBX_API_INTERNAL');
    assert.ok(!res.body.includes('voiplab.yaml'));
  });

  test('ConfigService errors never pass on the config file path (their message starts with it)', async (ctx) => {
    const t = buildTestApi();
    ctx.after(() => t.app.close());
    const create = () => t.app.inject({ method: 'POST', url: '/api/v1/accounts', headers: AUTH, payload: { extension: '1001', password: 'password-1', displayName: 'A' } });
    assert.equal((await create()).statusCode, 201);
    const exists = await create();
    assert.deepEqual(exists.json(), { error: 'conflict', code: 'IPBX_ACCOUNT_EXISTS', message: 'an account with extension 1001 already exists', field: 'extension' });
    const missing = await t.app.inject({ method: 'PATCH', url: '/api/v1/accounts/1009', headers: AUTH, payload: {} });
    assert.deepEqual(missing.json(), { error: 'not_found', code: 'IPBX_ACCOUNT_NOT_FOUND', message: 'no account has extension 1009', field: 'extension' });
    const invalid = await t.app.inject({ method: 'PUT', url: '/api/v1/groups', headers: AUTH, payload: { groups: [{ name: 'g', members: ['4242'] }] } });
    assert.equal(invalid.json<{ message: string }>().message, 'groups[0].members[0]: is neither an account nor a SIP URI: 4242');
    for (const res of [exists, missing, invalid]) assert.ok(!res.body.includes(CONFIG_FILE), res.body);
  });

  test('IPBX_CONFIG_INVALID without issues is still a 400 with the message', async (ctx) => {
    const t = buildTestApi();
    ctx.after(() => t.app.close());
    t.config.replaceDialplan = () => Promise.reject(new FakeConfigError('IPBX_CONFIG_INVALID'));
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/dialplan', headers: AUTH, payload: { rules: [] } });
    assertError(res, 400, 'IPBX_CONFIG_INVALID');
    assert.deepEqual(res.json(), { error: 'bad_request', code: 'IPBX_CONFIG_INVALID', message: 'the change breaks the configuration rules', issues: [] });
  });

  test('a body over the limit is 413; an over-long path parameter 414; a bad %-encoding 400 — all IPBX_API_MALFORMED_REQUEST', async (ctx) => {
    const t = buildTestApi({ limits: { bodyBytes: 1024 } });
    ctx.after(() => t.app.close());
    const big = await t.app.inject({ method: 'PUT', url: '/api/v1/dialplan', headers: AUTH, payload: { rules: [{ match: '1', action: { type: 'account' }, description: 'x'.repeat(2000) }] } });
    assertError(big, 413, 'IPBX_API_MALFORMED_REQUEST');
    assert.equal(big.json<{ error: string }>().error, 'payload_too_large');
    const long = await t.app.inject({ method: 'DELETE', url: `/api/v1/calls/${'x'.repeat(2000)}`, headers: AUTH });
    assertError(long, 414, 'IPBX_API_MALFORMED_REQUEST');
    assert.ok(long.json<{ message: string }>().message.length <= 201, 'the URL is not echoed in full');
    assertError(await t.app.inject({ url: '/api/v1/accounts/%zz', headers: AUTH }), 400, 'IPBX_API_MALFORMED_REQUEST');
  });

  test('every API error code has an HTTP status and a meaning', () => {
    for (const [code, { status, meaning }] of Object.entries(API_ERROR_CODES)) {
      assert.match(code, /^IPBX_(API|CALL|QUEUE)_[A-Z_]+$/);
      assert.ok(code === 'IPBX_API_BAD_OPTION' || (status >= 400 && status < 600), code);
      assert.ok(meaning.length > 20, code);
    }
  });
});
