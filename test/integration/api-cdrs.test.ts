// /api/v1/cdrs: paged (limit 1..500, default 50; offset), filtered by extension and by start time
// given as ISO 8601 or epoch ms; `{ total, items }`; every bad query value is a 400 naming it.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, assertBadField, buildTestApi, makeCdr } from '../helpers/api-fakes.ts';

const T0 = Date.parse('2024-05-01T08:00:00Z');

describe('CDRs API', () => {
  const t = buildTestApi();
  after(() => t.app.close());
  for (let i = 0; i < 120; i += 1) {
    t.cdrs.insert(makeCdr(`cdr-${i}`, { startedAt: T0 + i * 60_000, caller: i % 2 === 0 ? '1001' : '1003', callee: i % 3 === 0 ? '1002' : '2000' }));
  }
  const get = (query: string) => t.app.inject({ url: `/api/v1/cdrs${query}`, headers: AUTH });

  test('defaults: limit 50, offset 0, total of all', async () => {
    const res = await get('');
    assert.equal(res.statusCode, 200);
    const body = res.json<{ total: number; items: Array<{ id: string }> }>();
    assert.equal(body.total, 120);
    assert.equal(body.items.length, 50);
    assert.deepEqual(t.cdrs.queries.at(-1), { limit: 50, offset: 0, extension: undefined, since: undefined, until: undefined });
  });

  test('limit and offset page through', async () => {
    const body = (await get('?limit=500&offset=110')).json<{ total: number; items: unknown[] }>();
    assert.equal(body.total, 120);
    assert.equal(body.items.length, 10);
    assert.equal((await get('?limit=1')).json<{ items: unknown[] }>().items.length, 1);
  });

  test('extension matches caller or callee', async () => {
    const body = (await get('?extension=1002&limit=500')).json<{ total: number; items: Array<{ caller: string; callee: string }> }>();
    assert.equal(body.total, 40);
    assert.ok(body.items.every((c) => c.caller === '1002' || c.callee === '1002'));
  });

  test('since/until as ISO dates and as epoch ms give the same window', async () => {
    const iso = (await get('?since=2024-05-01T09:00:00Z&until=2024-05-01T09:09:00.000Z')).json<{ total: number }>();
    const ms = (await get(`?since=${T0 + 3_600_000}&until=${T0 + 3_600_000 + 9 * 60_000}`)).json<{ total: number }>();
    assert.equal(iso.total, 10);
    assert.equal(ms.total, 10);
    assert.deepEqual(t.cdrs.queries.at(-1), { limit: 50, offset: 0, extension: undefined, since: T0 + 3_600_000, until: T0 + 3_600_000 + 540_000 });
    const day = (await get('?since=2024-05-01&until=2024-05-02')).json<{ total: number }>();
    assert.equal(day.total, 120);
    const offset = (await get('?since=2024-05-01T10:00:00%2B02:00')).json<{ total: number }>();
    assert.equal(offset.total, 120, '10:00+02:00 is 08:00Z');
  });

  const bad: Array<[string, string]> = [
    ['?limit=0', 'limit'], ['?limit=501', 'limit'], ['?limit=ten', 'limit'], ['?limit=1.5', 'limit'], ['?limit=', 'limit'],
    ['?offset=-1', 'offset'], ['?offset=x', 'offset'],
    ['?extension=a%20b', 'extension'],
    ['?since=yesterday', 'since'], ['?since=2024-13-45', 'since'], ['?since=May%201%202024', 'since'], ['?since=', 'since'],
    ['?until=2024-05-01T25:00:00Z', 'until'], ['?until=-5', 'until'],
    ['?page=2', 'page'],
  ];
  for (const [query, field] of bad) {
    test(`${query} is a 400 naming ${field}`, async () => {
      assertBadField(await get(query), field);
    });
  }
});
