// The Wazo 26 flavour (confd 26.08: PJSIP endpoints keyed by uuid with tenant templates and
// transports, groups by uuid with a label, tenant header; wazo-auth 26.05) against a fake Wazo 26
// whose every request and answer is checked with those schemas: convergence, idempotence, drift
// repair, and the errors a trainer meets (refused password or token, a field confd rejects).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labPlan } from '../../lab/commands/lab-plan.ts';
import { labUp } from '../../lab/commands/lab-up.ts';
import { startLabHarness, threeGroupLab, type LabHarness } from '../helpers/lab-harness.ts';
import type { FakeXivo } from '../helpers/lab-fake-xivo.ts';

const wazo26Lab = (url: string, fp: string): string => threeGroupLab(url, fp)
  .replace(/ {2}- \{ name: g0[23].*\n/g, '')
  .replace('xivo:\n', 'xivo:\n  flavour: wazo-26\n  queues:\n    - { name: sales, extension: "1200", members: ["1001", "1003"] }\n');

async function upOnce(): Promise<{ h: LabHarness; wazo: FakeXivo }> {
  const h = await startLabHarness({ flavour: 'wazo-26', labText: wazo26Lab });
  await labUp(await h.open());
  const wazo = h.fleet.instances.get('10.10.1.10');
  assert.ok(wazo !== undefined);
  return { h, wazo };
}

const templatesOf = (wazo: FakeXivo, username: string): string[] => {
  const endpoint = wazo.state.endpoints.find((e) => e.username === username);
  return (endpoint?.templates ?? []).map((uuid) => wazo.state.templates.find((t) => t.uuid === uuid)?.name ?? uuid);
};
const transportOf = (wazo: FakeXivo, username: string): string | undefined => {
  const uuid = wazo.state.endpoints.find((e) => e.username === username)?.transport;
  return wazo.state.transports.find((t) => t.uuid === uuid)?.name;
};

test('Wazo 26: users, PJSIP lines (WebRTC by template), extensions, group and queue are made in the token\'s tenant', async () => {
  const { h, wazo } = await upOnce();
  try {
    assert.equal(wazo.state.configured, true);
    assert.equal(wazo.state.wizard['entity_name'], undefined, 'Wazo\'s wizard takes no entity');
    assert.deepEqual(wazo.state.users.map((u) => u.userfield), ['voiplab:1001', 'voiplab:1002', 'voiplab:1003']);
    assert.deepEqual(wazo.state.extensions.map((e) => e.exten), ['1001', '1002', '1003', '1100', '1200']);
    // Credentials in the auth section; a browser line inherits the tenant's webrtc template over WSS.
    assert.deepEqual(templatesOf(wazo, '1001'), ['global']);
    assert.equal(transportOf(wazo, '1001'), 'transport-udp');
    assert.deepEqual(templatesOf(wazo, '1003'), ['global', 'webrtc']);
    assert.equal(transportOf(wazo, '1003'), 'transport-wss');
    assert.deepEqual(wazo.state.endpoints.filter((e) => wazo.isWebrtc(e)).map((e) => e.username), ['1003']);
    assert.match(wazo.state.endpoints[0]?.secret ?? '', /^.{8,}$/);
    assert.equal(wazo.state.lines.every((l) => l.sipId !== undefined && l.extensionIds.length === 1 && l.userUuids.length === 1), true);
    // The group was addressed by uuid (the fake answers 404 to an integer id) and named by its label.
    assert.equal(wazo.state.groups[0]?.label, 'support');
    assert.match(wazo.state.groups[0]?.name ?? '', /^grp-/);
    assert.equal(wazo.state.groups[0]?.memberUuids.length, 2);
    assert.deepEqual(wazo.requests.filter((r) => r.startsWith('PUT /1.1/groups/')).map((r) => r.split('/')[3]), [wazo.state.groups[0]?.uuid, wazo.state.groups[0]?.uuid]);
    assert.equal(wazo.state.queues[0]?.label, 'sales');
    assert.equal(wazo.state.queues[0]?.memberUuids.length, 2);
    assert.equal(wazo.state.callsWithoutTenant, 0, 'every confd call names the tenant');
    assert.deepEqual(h.violations(), []);
  } finally {
    await h.close();
  }
});

test('Wazo 26: up again writes nothing, plan is empty; a password changed by hand is put back by uuid', async () => {
  const { h, wazo } = await upOnce();
  try {
    const ctx = await h.open();
    const before = wazo.requests.length;
    await labUp(ctx);
    assert.deepEqual(wazo.requests.slice(before).filter((r) => !r.startsWith('GET ') && r !== 'POST /0.1/token'), []);
    assert.ok((await labPlan(ctx)).every((p) => p.xivo.length === 0 && p.blockers.length === 0));

    const endpoint = wazo.state.endpoints.find((e) => e.username === '1003');
    assert.ok(endpoint !== undefined);
    const wanted = endpoint.secret;
    endpoint.secret = 'changed-by-a-student';
    endpoint.templates = endpoint.templates.slice(0, 1);
    const [plan] = await labPlan(ctx);
    assert.match(plan?.xivo.join('\n') ?? '', /account 1003 \(Web Phone, WebRTC\): secret/);
    await labUp(ctx);
    assert.equal(endpoint.secret, wanted);
    assert.deepEqual(templatesOf(wazo, '1003'), ['global', 'webrtc']);
    assert.ok(wazo.requests.includes(`PUT /1.1/endpoints/sip/${endpoint.uuid}`));
    assert.deepEqual(h.violations(), []);
  } finally {
    await h.close();
  }
});

test('Wazo 26: a password that is not the Wazo\'s, a token confd refuses and a 400 naming a field are reported as such', async () => {
  const { h, wazo } = await upOnce();
  try {
    const ctx = await h.open();
    wazo.state.adminPassword = 'set-by-hand';
    h.lines.length = 0;
    await assert.rejects(labUp(ctx), /1 of 1 groups failed/);
    assert.match(h.lines.join('\n'), /\[g01\] FAILED: LAB_XIVO_AUTH_FAILED: xivo-auth on 127\.0\.0\.1 refused root: the admin password in the environment variable is not this XiVO's/);

    wazo.state.adminPassword = 'Trainer-Pass-2025';
    wazo.failHttp('GET', /^\/1\.1\/users$/, 401, ['Unauthorized'], 2);
    h.lines.length = 0;
    await assert.rejects(labUp(await h.open()), /1 of 1 groups failed/);
    assert.match(h.lines.join('\n'), /LAB_XIVO_AUTH_FAILED: GET \/users: confd refused a fresh token of root; check the ACLs of that account/);

    wazo.reset();
    wazo.failHttp('POST', /^\/1\.1\/endpoints\/sip$/, 400, ['Input Error - field "auth_section_options": password is too short']);
    h.lines.length = 0;
    await assert.rejects(labUp(await h.open()), /1 of 1 groups failed/);
    assert.match(h.lines.join('\n'), /\[g01\] FAILED: LAB_XIVO_API: POST \/endpoints\/sip: Wazo 26\.08 answered 400: Input Error - field "auth_section_options": password is too short/);
    // Resumable: the next run makes what the failed one left out.
    await labUp(await h.open());
    assert.equal(wazo.state.endpoints.length, 3);
    assert.deepEqual(h.violations(), []);
  } finally {
    await h.close();
  }
});
