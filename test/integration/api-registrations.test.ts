// /api/v1/registrations: the registrar's live bindings, optionally for one extension.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, assertBadField, buildTestApi, makeBinding } from '../helpers/api-fakes.ts';

describe('registrations API', () => {
  const t = buildTestApi();
  after(() => t.app.close());
  t.bindings.push(
    makeBinding('1001', { userAgent: 'baresip', instanceId: '<urn:uuid:00000000-0000-0000-0000-000000000001>', regId: 1 }),
    makeBinding('1001', { contact: 'sip:1001@192.0.2.11:5060', protocol: 'udp', q: 0.5 }),
    makeBinding('1002'),
  );

  test('lists every binding with where it came from; internal flow ids stay inside', async () => {
    const res = await t.app.inject({ url: '/api/v1/registrations', headers: AUTH });
    assert.equal(res.statusCode, 200);
    const { items } = res.json<{ items: Array<Record<string, unknown>> }>();
    assert.equal(items.length, 3);
    assert.deepEqual(items[0], {
      extension: '1001', contact: 'sip:1001@192.0.2.10:5062;transport=tcp', protocol: 'tcp', source: { address: '192.0.2.10', port: 5062 },
      expiresAt: 1_700_000_600_000, registeredAt: 1_700_000_000_000, q: 1, userAgent: 'baresip',
      instanceId: '<urn:uuid:00000000-0000-0000-0000-000000000001>', regId: 1,
    });
    assert.ok(!res.body.includes('flow-1001'));
  });

  test('?extension= filters; an extension without bindings gives an empty list', async () => {
    const one = await t.app.inject({ url: '/api/v1/registrations?extension=1001', headers: AUTH });
    assert.deepEqual(one.json<{ items: Array<{ contact: string }> }>().items.map((b) => b.contact), ['sip:1001@192.0.2.10:5062;transport=tcp', 'sip:1001@192.0.2.11:5060']);
    const none = await t.app.inject({ url: '/api/v1/registrations?extension=4242', headers: AUTH });
    assert.deepEqual(none.json(), { items: [] });
  });

  test('a bad extension or an unknown query parameter is a 400 naming it', async () => {
    assertBadField(await t.app.inject({ url: '/api/v1/registrations?extension=a%20b', headers: AUTH }), 'extension');
    assertBadField(await t.app.inject({ url: '/api/v1/registrations?user=1001', headers: AUTH }), 'user');
  });
});
