// /api/v1/calls: calls in progress; DELETE hangs one up, unknown ids are 404.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, assertBadField, assertError, buildTestApi } from '../helpers/api-fakes.ts';

describe('calls API', () => {
  const t = buildTestApi();
  after(() => t.app.close());
  t.calls.calls.push(
    { id: 'call-1', caller: '1001', callerName: 'Alice', callee: '1002', state: 'answered', startedAt: 1_700_000_000_000, answeredAt: 1_700_000_003_000 },
    { id: 'call-2', caller: '1003', callerName: 'Carol', callee: '2000', state: 'ringing', startedAt: 1_700_000_010_000, answeredAt: null },
  );

  test('GET lists active calls', async () => {
    const res = await t.app.inject({ url: '/api/v1/calls', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { items: t.calls.calls });
  });

  test('DELETE hangs up (204); the call is gone; again is 404 IPBX_CALL_NOT_FOUND', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/calls/call-2', headers: AUTH });
    assert.equal(res.statusCode, 204);
    assert.deepEqual(t.calls.list().map((c) => c.id), ['call-1']);
    const again = await t.app.inject({ method: 'DELETE', url: '/api/v1/calls/call-2', headers: AUTH });
    assertError(again, 404, 'IPBX_CALL_NOT_FOUND');
    assert.equal(again.json<{ error: string }>().error, 'not_found');
  });

  test('an id longer than 256 characters is a 400 naming it', async () => {
    assertBadField(await t.app.inject({ method: 'DELETE', url: `/api/v1/calls/${'x'.repeat(257)}`, headers: AUTH }), 'id');
  });
});
