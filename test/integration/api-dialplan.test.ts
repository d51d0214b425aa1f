// /api/v1/dialplan: read and replace the ordered rules. Schema errors name the field down to the
// action (the branch of the union the client meant); the ConfigService's own checks (a group that
// does not exist) come back as IPBX_CONFIG_INVALID with the field; a refused PUT writes nothing.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, assertBadField, buildTestApi } from '../helpers/api-fakes.ts';

describe('dialplan API', () => {
  const t = buildTestApi();
  after(() => t.app.close());
  const put = (payload: unknown) => t.app.inject({ method: 'PUT', url: '/api/v1/dialplan', headers: AUTH, payload: payload as object });
  const rules = [
    { match: '_1XXX', action: { type: 'account' } },
    { match: '112', action: { type: 'reject', code: 403, reason: 'no trunk' }, allowUnauthenticated: true, description: 'emergency' },
    { match: '_0.', action: { type: 'redirect', target: 'sip:trunk@lab.test' } },
  ];

  test('GET starts empty', async () => {
    const res = await t.app.inject({ url: '/api/v1/dialplan', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { rules: [] });
  });

  test('PUT replaces the rules and answers them as stored (defaults applied)', async () => {
    const res = await put({ rules });
    assert.equal(res.statusCode, 200, res.body);
    const stored = res.json<{ rules: Array<{ allowUnauthenticated: boolean }> }>().rules;
    assert.equal(stored.length, 3);
    assert.equal(stored[0]?.allowUnauthenticated, false);
    assert.equal(stored[1]?.allowUnauthenticated, true);
    assert.deepEqual((await t.app.inject({ url: '/api/v1/dialplan', headers: AUTH })).json(), res.json());
  });

  const bad: Array<[string, unknown, string]> = [
    ['no rules', {}, 'rules'],
    ['rules not an array', { rules: { match: '1' } }, 'rules'],
    ['a body that is an array', rules, 'body'],
    ['match missing', { rules: [{ action: { type: 'account' } }] }, 'rules[0].match'],
    ['match empty', { rules: [{ match: '', action: { type: 'account' } }] }, 'rules[0].match'],
    ['match too long', { rules: [{ match: '1'.repeat(65), action: { type: 'account' } }] }, 'rules[0].match'],
    ['action missing', { rules: [{ match: '1' }] }, 'rules[0].action'],
    ['an unknown action type', { rules: [{ match: '1', action: { type: 'voicemail' } }] }, 'rules[0].action.type'],
    ['reject without its code', { rules: [{ match: '1', action: { type: 'reject' } }] }, 'rules[0].action.code'],
    ['reject with a 2xx code', { rules: [rules[0], { match: '1', action: { type: 'reject', code: 200 } }] }, 'rules[1].action.code'],
    ['group without its name', { rules: [{ match: '1', action: { type: 'group' } }] }, 'rules[0].action.group'],
    ['account with a bad extension', { rules: [{ match: '1', action: { type: 'account', extension: 'a b' } }] }, 'rules[0].action.extension'],
    ['account with a zero timeout', { rules: [{ match: '1', action: { type: 'account', timeout: 0 } }] }, 'rules[0].action.timeout'],
    ['announcement with an empty next number', { rules: [{ match: '1', action: { type: 'announcement', prompt: 'closed', next: '' } }] }, 'rules[0].action.next'],
    ['an unknown field in an action', { rules: [{ match: '1', action: { type: 'redirect', target: 'sip:x@y', code: 302 } }] }, 'rules[0].action.code'],
    ['allowUnauthenticated not a boolean', { rules: [{ match: '1', action: { type: 'account' }, allowUnauthenticated: 'yes' }] }, 'rules[0].allowUnauthenticated'],
    ['an unknown field in a rule', { rules: [{ match: '1', action: { type: 'account' }, priority: 1 }] }, 'rules[0].priority'],
    ['an unknown top-level field', { rules: [], version: 2 }, 'version'],
  ];
  for (const [name, body, field] of bad) {
    test(`${name}: 400 naming ${field}, nothing written`, async () => {
      const writes = t.config.writes;
      assertBadField(await put(body), field);
      assert.equal(t.config.writes, writes);
      assert.equal(t.config.current.dialplan.length, 3);
    });
  }

  test('a rule calling a group that does not exist: 400 IPBX_CONFIG_INVALID from the ConfigService, with the field; nothing written', async () => {
    const res = await put({ rules: [...rules, { match: '2000', action: { type: 'group', group: 'sales' } }] });
    assertBadField(res, 'dialplan[3].action.group', 'IPBX_CONFIG_INVALID');
    const body = res.json<{ issues: Array<Record<string, unknown>> }>();
    assert.deepEqual(body.issues, [{ field: 'dialplan[3].action.group', message: 'names no group: sales' }], 'no file line/column in API answers');
    assert.equal((await t.app.inject({ url: '/api/v1/dialplan', headers: AUTH })).json<{ rules: unknown[] }>().rules.length, 3);
  });
});
