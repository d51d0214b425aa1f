// /api/v1/groups: read and replace the ring groups; schema errors and the ConfigService's checks
// (unknown members, repeated names, a group the dialplan still calls) are 400s naming the field.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, assertBadField, buildTestApi } from '../helpers/api-fakes.ts';

describe('groups API', () => {
  const t = buildTestApi();
  after(() => t.app.close());
  const put = (payload: unknown) => t.app.inject({ method: 'PUT', url: '/api/v1/groups', headers: AUTH, payload: payload as object });
  const sales = { name: 'sales', members: ['1001', '1002', 'sip:desk@192.0.2.20'] };

  before(async () => {
    await t.config.createAccount({ extension: '1001', password: 'password-1', displayName: 'A' });
    await t.config.createAccount({ extension: '1002', password: 'password-2', displayName: 'B' });
  });

  test('GET starts empty; PUT stores groups with defaults applied', async () => {
    assert.deepEqual((await t.app.inject({ url: '/api/v1/groups', headers: AUTH })).json(), { groups: [] });
    const res = await put({ groups: [sales, { name: 'support', strategy: 'in-turn', memberTimeout: 15, members: ['1002'], fallback: '1001' }] });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json<{ groups: unknown[] }>().groups[0], { ...sales, strategy: 'simultaneous', memberTimeout: 20 });
    assert.deepEqual((await t.app.inject({ url: '/api/v1/groups', headers: AUTH })).json(), res.json());
  });

  const bad: Array<[string, unknown, string, string?]> = [
    ['no groups', {}, 'groups'],
    ['name with a space', { groups: [{ ...sales, name: 'the sales' }] }, 'groups[0].name'],
    ['name missing', { groups: [{ members: ['1001'] }] }, 'groups[0].name'],
    ['an unknown strategy', { groups: [{ ...sales, strategy: 'random' }] }, 'groups[0].strategy'],
    ['memberTimeout 0', { groups: [{ ...sales, memberTimeout: 0 }] }, 'groups[0].memberTimeout'],
    ['memberTimeout 601', { groups: [{ ...sales, memberTimeout: 601 }] }, 'groups[0].memberTimeout'],
    ['no members', { groups: [{ ...sales, members: [] }] }, 'groups[0].members'],
    ['an empty member', { groups: [{ ...sales, members: ['1001', ''] }] }, 'groups[0].members[1]'],
    ['an empty fallback', { groups: [{ ...sales, fallback: '' }] }, 'groups[0].fallback'],
    ['an unknown field', { groups: [{ ...sales, music: 'jazz' }] }, 'groups[0].music'],
    ['a member that is no account (ConfigService)', { groups: [{ ...sales, members: ['1001', '4242'] }] }, 'groups[0].members[1]', 'IPBX_CONFIG_INVALID'],
    ['a repeated name (ConfigService)', { groups: [sales, sales] }, 'groups[1].name', 'IPBX_CONFIG_INVALID'],
  ];
  for (const [name, body, field, code] of bad) {
    test(`${name}: 400 naming ${field}, nothing written`, async () => {
      const writes = t.config.writes;
      assertBadField(await put(body), field, code);
      assert.equal(t.config.writes, writes);
      assert.equal(t.config.current.groups.length, 2);
    });
  }

  test('removing a group the dialplan calls is refused by the ConfigService (400), groups kept', async () => {
    await t.config.replaceDialplan([{ match: '2000', action: { type: 'group', group: 'sales' }, allowUnauthenticated: false }]);
    assertBadField(await put({ groups: [] }), 'dialplan[0].action.group', 'IPBX_CONFIG_INVALID');
    assert.equal(t.config.current.groups.length, 2);
  });
});
