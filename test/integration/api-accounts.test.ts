// /api/v1/accounts over the HTTP layer: CRUD, 404/409, a 400 naming the field for every bad body
// and path value, and no password or HA1 in any answer.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, assertBadField, assertError, buildTestApi } from '../helpers/api-fakes.ts';

const valid = { extension: '1001', password: 'correct-horse', displayName: 'Alice' };

describe('accounts API', () => {
  const t = buildTestApi();
  after(() => t.app.close());
  const post = (payload: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/accounts', headers: AUTH, payload: payload as object });
  const patch = (extension: string, payload: unknown) => t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${extension}`, headers: AUTH, payload: payload as object });

  test('POST creates an account: 201, Location, defaults applied by the ConfigService, no secrets', async () => {
    const res = await post(valid);
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers.location, '/api/v1/accounts/1001');
    assert.deepEqual(res.json(), { extension: '1001', displayName: 'Alice', enabled: true, transports: ['udp', 'tcp', 'tls', 'ws', 'wss'], maxContacts: 5 });
    assert.ok(!/ha1|password|correct-horse/i.test(res.body), res.body);
    assert.ok(t.config.accounts.get('1001')?.ha1.MD5, 'the service keeps the HA1');
  });

  test('POST with every optional field', async () => {
    const res = await post({ extension: '1002', password: 'password-1002', displayName: 'Bob', enabled: false, transports: ['ws', 'wss'], maxContacts: 2 });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json(), { extension: '1002', displayName: 'Bob', enabled: false, transports: ['ws', 'wss'], maxContacts: 2 });
  });

  test('POST with an extension that needs escaping gets an escaped Location that reads it back', async () => {
    const res = await post({ extension: '#42', password: 'password-42', displayName: 'Hash' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers.location, '/api/v1/accounts/%2342');
    const read = await t.app.inject({ url: String(res.headers.location), headers: AUTH });
    assert.equal(read.json<{ extension: string }>().extension, '#42');
  });

  test('POST of an existing extension is 409 IPBX_ACCOUNT_EXISTS and changes nothing', async () => {
    const writes = t.config.writes;
    const res = await post({ ...valid, displayName: 'Impostor' });
    assertError(res, 409, 'IPBX_ACCOUNT_EXISTS');
    assert.equal(res.json<{ error: string }>().error, 'conflict');
    assert.equal(t.config.accounts.get('1001')?.displayName, 'Alice');
    assert.equal(t.config.writes, writes);
  });

  test('GET lists accounts without secrets', async () => {
    const res = await t.app.inject({ url: '/api/v1/accounts', headers: AUTH });
    assert.equal(res.statusCode, 200);
    const { items } = res.json<{ items: Array<{ extension: string }> }>();
    assert.deepEqual(items.map((a) => a.extension), ['1001', '1002', '#42']);
    assert.ok(!/ha1|password/i.test(res.body));
  });

  test('GET /accounts/:extension reads one; unknown is 404 IPBX_ACCOUNT_NOT_FOUND', async () => {
    const res = await t.app.inject({ url: '/api/v1/accounts/1001', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ displayName: string }>().displayName, 'Alice');
    assert.ok(!/ha1|password/i.test(res.body));
    const missing = await t.app.inject({ url: '/api/v1/accounts/9999', headers: AUTH });
    assertError(missing, 404, 'IPBX_ACCOUNT_NOT_FOUND');
    assert.equal(missing.json<{ error: string }>().error, 'not_found');
  });

  test('PATCH changes only the given fields; a new password changes the HA1 and is not echoed', async () => {
    const before = t.config.accounts.get('1001')?.ha1.MD5;
    const res = await patch('1001', { displayName: 'Alice L.', password: 'new-password-1' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { extension: '1001', displayName: 'Alice L.', enabled: true, transports: ['udp', 'tcp', 'tls', 'ws', 'wss'], maxContacts: 5 });
    assert.ok(!/password|ha1/i.test(res.body));
    assert.notEqual(t.config.accounts.get('1001')?.ha1.MD5, before);
    const disable = await patch('1001', { enabled: false });
    assert.equal(disable.json<{ enabled: boolean; displayName: string }>().enabled, false);
    assert.equal(disable.json<{ displayName: string }>().displayName, 'Alice L.', 'no default re-applied by a patch');
  });

  test('PATCH of an unknown account is 404', async () => {
    assertError(await patch('9999', { displayName: 'x' }), 404, 'IPBX_ACCOUNT_NOT_FOUND');
  });

  test('DELETE removes (204), then 404', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/accounts/1002', headers: AUTH });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assert.equal(t.config.accounts.get('1002'), undefined);
    assertError(await t.app.inject({ method: 'DELETE', url: '/api/v1/accounts/1002', headers: AUTH }), 404, 'IPBX_ACCOUNT_NOT_FOUND');
  });

  test('DELETE with a JSON content type and no body is no body, not a syntax error', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/accounts/1001', headers: { ...AUTH, 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 204, res.body);
    const broken = await t.app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{bad json' });
    assertError(broken, 400, 'IPBX_API_MALFORMED_REQUEST');
  });

  describe('POST: every bad field is a 400 naming it, and writes nothing', () => {
    const cases: Array<[string, unknown, string]> = [
      ['extension missing', { password: 'password-1', displayName: 'x' }, 'extension'],
      ['extension with a space', { ...valid, extension: '10 01' }, 'extension'],
      ['extension too long', { ...valid, extension: '1'.repeat(33) }, 'extension'],
      ['extension a number', { ...valid, extension: 1001 }, 'extension'],
      ['password missing', { extension: '2001', displayName: 'x' }, 'password'],
      ['password of 7 characters', { ...valid, extension: '2001', password: '1234567' }, 'password'],
      ['password of 129 characters', { ...valid, extension: '2001', password: 'p'.repeat(129) }, 'password'],
      ['password a number', { ...valid, extension: '2001', password: 12345678 }, 'password'],
      ['displayName missing', { extension: '2001', password: 'password-1' }, 'displayName'],
      ['displayName too long', { ...valid, extension: '2001', displayName: 'd'.repeat(65) }, 'displayName'],
      ['displayName null', { ...valid, extension: '2001', displayName: null }, 'displayName'],
      ['enabled as a string (bodies are not coerced)', { ...valid, extension: '2001', enabled: 'true' }, 'enabled'],
      ['transports with an unknown protocol', { ...valid, extension: '2001', transports: ['udp', 'sctp'] }, 'transports[1]'],
      ['transports empty', { ...valid, extension: '2001', transports: [] }, 'transports'],
      ['transports repeated', { ...valid, extension: '2001', transports: ['udp', 'udp'] }, 'transports'],
      ['transports not an array', { ...valid, extension: '2001', transports: 'udp' }, 'transports'],
      ['maxContacts 0', { ...valid, extension: '2001', maxContacts: 0 }, 'maxContacts'],
      ['maxContacts 101', { ...valid, extension: '2001', maxContacts: 101 }, 'maxContacts'],
      ['maxContacts 1.5', { ...valid, extension: '2001', maxContacts: 1.5 }, 'maxContacts'],
      ['maxContacts as a string', { ...valid, extension: '2001', maxContacts: '5' }, 'maxContacts'],
      ['an unknown field', { ...valid, extension: '2001', ha1: { MD5: '0'.repeat(32) } }, 'ha1'],
      ['an array instead of an object', [valid], 'body'],
    ];
    for (const [name, body, field] of cases) {
      test(name, async () => {
        const writes = t.config.writes;
        assertBadField(await post(body), field);
        assert.equal(t.config.writes, writes);
        assert.equal(t.config.accounts.get('2001'), undefined);
      });
    }
  });

  describe('PATCH: every bad field is a 400 naming it', () => {
    const cases: Array<[string, unknown, string]> = [
      ['password of 7 characters', { password: '1234567' }, 'password'],
      ['displayName too long', { displayName: 'd'.repeat(65) }, 'displayName'],
      ['enabled not a boolean', { enabled: 1 }, 'enabled'],
      ['transports with an unknown protocol', { transports: ['tcp', 'x'] }, 'transports[1]'],
      ['maxContacts 0', { maxContacts: 0 }, 'maxContacts'],
      ['extension cannot be changed', { extension: '1003' }, 'extension'],
      ['an unknown field', { ha1: {} }, 'ha1'],
    ];
    for (const [name, body, field] of cases) {
      test(name, async () => {
        const before = t.config.accounts.get('1001');
        assertBadField(await patch('1001', body), field);
        assert.deepEqual(t.config.accounts.get('1001'), before);
      });
    }
  });

  test('a path extension that is not an extension is a 400 naming it', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await t.app.inject({ method, url: '/api/v1/accounts/a%20b', headers: AUTH, ...(method === 'PATCH' ? { payload: {} } : {}) });
      assertBadField(res, 'extension');
    }
  });

  test('a body that is not JSON is 400 IPBX_API_MALFORMED_REQUEST; another content type is 415', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"extension":' });
    assertError(bad, 400, 'IPBX_API_MALFORMED_REQUEST');
    const xml = await t.app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { ...AUTH, 'content-type': 'application/xml' }, payload: '<account/>' });
    assertError(xml, 415, 'IPBX_API_MALFORMED_REQUEST');
    assert.equal(xml.json<{ error: string }>().error, 'unsupported_media_type');
  });
});
