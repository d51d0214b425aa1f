// /api/v1/directory: the accounts as a phone book, readable with the admin token or with a SIP
// account's own credentials over HTTP Digest (RFC 7616, against the account's HA1), so the
// softphone can list contacts without the admin token. Wrong credentials, a digest made for
// another URL, a disabled account or too many failures are refused.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { DigestClient } from '../../ipbx/sip/index.ts';
import { ha1For } from '../../ipbx/sip/index.ts';
import { AUTH, assertBadField, assertError, buildTestApi, makeBinding } from '../helpers/api-fakes.ts';

const DOMAIN = 'lab.test';
const ALICE = { extension: '1001', password: 'alice-password', displayName: 'Alice Martin' };

/** The WWW-Authenticate values of a 401, as a list. */
function challenges(response: LightMyRequestResponse): string[] {
  const header = response.headers['www-authenticate'];
  return header === undefined ? [] : [header].flat().map(String);
}

describe('directory API', () => {
  const t = buildTestApi();
  after(() => t.app.close());

  /** GET url with a digest answered from a fresh challenge (MD5: the fake config keeps MD5 HA1s only). */
  async function withDigest(url: string, password: string, extension = ALICE.extension, signedUrl = url) {
    const challenge = await t.app.inject({ url });
    assert.equal(challenge.statusCode, 401);
    const client = new DigestClient({ username: extension, ha1ByAlgorithm: { MD5: ha1For(extension, DOMAIN, password, 'MD5') } });
    const authorization = client.authorize({ method: 'GET', uri: signedUrl, challengeValues: challenges(challenge) });
    return t.app.inject({ url, headers: { authorization } });
  }

  before(async () => {
    await t.config.createAccount(ALICE);
    await t.config.createAccount({ extension: '1002', password: 'bob-password', displayName: 'Bob' });
    await t.config.createAccount({ extension: '1010', password: 'zoe-password', displayName: 'Zoé' });
    await t.config.createAccount({ extension: '1099', password: 'gone-password', displayName: 'Gone', enabled: false });
    t.bindings.push(makeBinding('1002'));
  });

  test('without credentials: 401 with Digest challenges for the SIP domain, SHA-256 first', async () => {
    const res = await t.app.inject({ url: '/api/v1/directory' });
    assertError(res, 401, 'IPBX_API_UNAUTHORIZED');
    const values = challenges(res);
    assert.equal(values.length, 2);
    assert.match(values[0] ?? '', /^Digest realm="lab\.test", qop="auth", algorithm=SHA-256, nonce="[^"]+"$/);
    assert.match(values[1] ?? '', /algorithm=MD5/);
  });

  test('an account\'s own digest lists the enabled accounts, sorted, with who is registered; no secrets', async () => {
    const res = await withDigest('/api/v1/directory', ALICE.password);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      items: [
        { extension: '1001', displayName: 'Alice Martin', registered: false },
        { extension: '1002', displayName: 'Bob', registered: true },
        { extension: '1010', displayName: 'Zoé', registered: false },
      ],
    });
    assert.doesNotMatch(res.body, /ha1|password/i);
  });

  test('the admin token reads it too; a wrong token is refused', async () => {
    const res = await t.app.inject({ url: '/api/v1/directory', headers: AUTH });
    assert.equal(res.json<{ items: unknown[] }>().items.length, 3);
    assertError(await t.app.inject({ url: '/api/v1/directory', headers: { authorization: 'Bearer not-the-admin-token-at-all' } }), 401, 'IPBX_API_UNAUTHORIZED');
  });

  test('?q= matches the extension or the name, case-insensitively; too long a q is a 400 naming it', async () => {
    const byName = await t.app.inject({ url: '/api/v1/directory?q=zo', headers: AUTH });
    assert.deepEqual(byName.json<{ items: Array<{ extension: string }> }>().items.map((c) => c.extension), ['1010']);
    const byNumber = await withDigest('/api/v1/directory?q=100', ALICE.password);
    assert.deepEqual(byNumber.json<{ items: Array<{ extension: string }> }>().items.map((c) => c.extension), ['1001', '1002']);
    assertBadField(await t.app.inject({ url: `/api/v1/directory?q=${'x'.repeat(65)}`, headers: AUTH }), 'q');
  });

  test('a wrong password, a disabled account and a digest signed for another URL are refused', async () => {
    assertError(await withDigest('/api/v1/directory', 'not-the-password'), 401, 'IPBX_API_UNAUTHORIZED');
    assertError(await withDigest('/api/v1/directory', 'gone-password', '1099'), 401, 'IPBX_API_UNAUTHORIZED');
    assertError(await withDigest('/api/v1/directory?q=1', ALICE.password, ALICE.extension, '/api/v1/directory'), 401, 'IPBX_API_UNAUTHORIZED');
  });

  test('after ten failures in a minute, the address gets 429, even with the right password', async () => {
    const fresh = buildTestApi();
    try {
      await fresh.config.createAccount(ALICE);
      const challenge = await fresh.app.inject({ url: '/api/v1/directory' });
      const attempt = async (password: string) => {
        const client = new DigestClient({ username: ALICE.extension, ha1ByAlgorithm: { MD5: ha1For(ALICE.extension, DOMAIN, password, 'MD5') } });
        return fresh.app.inject({ url: '/api/v1/directory', headers: { authorization: client.authorize({ method: 'GET', uri: '/api/v1/directory', challengeValues: challenges(challenge) }) } });
      };
      for (let i = 0; i < 10; i++) assert.equal((await attempt('wrong-password')).statusCode, 401);
      const blocked = await attempt(ALICE.password);
      assertError(blocked, 429, 'IPBX_API_TOO_MANY_FAILURES');
      assert.equal(blocked.headers['retry-after'], '60');
      assertError(await fresh.app.inject({ url: '/api/v1/directory' }), 429, 'IPBX_API_TOO_MANY_FAILURES');
    } finally {
      await fresh.app.close();
    }
  });
});
