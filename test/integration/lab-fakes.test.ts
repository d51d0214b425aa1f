// The fakes are honest: a request that breaks the published schema is refused (400) and recorded
// as a violation, so a client bug fails its test loudly instead of passing against a lenient fake.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { sendHttp } from '../../lab/http/http-request.ts';
import type { TlsTrust } from '../../lab/http/tls-trust.ts';
import { FakeProxmox } from '../helpers/lab-fake-proxmox.ts';
import { FakeXivo } from '../helpers/lab-fake-xivo.ts';
import { makeSelfSignedCert, type TestCert } from '../helpers/tls-cert.ts';
import { LAB_ENV } from '../helpers/lab-harness.ts';

let cert: TestCert;
let trust: TlsTrust;

before(async () => {
  cert = await makeSelfSignedCert();
  trust = { kind: 'fingerprint', sha256: new X509Certificate(cert.cert).fingerprint256 };
});
after(() => cert.cleanup());

test('fake Proxmox: an unknown parameter, a bad type or an unknown path is refused and recorded', async () => {
  const fake = await FakeProxmox.start({ tls: cert, tokens: [{ tokenId: LAB_ENV.PVE_TOKEN_ID, secret: LAB_ENV.PVE_TOKEN_SECRET }], templates: [{ vmid: 9000, node: 'pve1', name: 't' }] });
  try {
    const endpoint = { baseUrl: `${fake.url}/api2/json`, trust, timeoutMs: 5_000 };
    const headers = { authorization: `PVEAPIToken=${LAB_ENV.PVE_TOKEN_ID}=${LAB_ENV.PVE_TOKEN_SECRET}` };
    const bogus = await sendHttp(endpoint, { method: 'POST', path: '/nodes/pve1/qemu/9000/clone', headers, json: { newid: 201, name: 'x', colour: 'blue' } });
    assert.equal(bogus.status, 400);
    const badType = await sendHttp(endpoint, { method: 'POST', path: '/nodes/pve1/qemu/9000/clone', headers, json: { newid: 'two hundred' } });
    assert.equal(badType.status, 400);
    const unknown = await sendHttp(endpoint, { method: 'GET', path: '/nodes/pve1/frobnicate', headers });
    assert.equal(unknown.status, 400);
    assert.equal(fake.violations.length, 3, fake.violations.join('\n'));
    assert.match(fake.violations[0] ?? '', /must NOT have additional properties.*colour/);
    assert.match(fake.violations[1] ?? '', /newid.*must be integer/);
    assert.match(fake.violations[2] ?? '', /not a method of the PVE API schema/);
  } finally {
    await fake.close();
  }
});

test('fake XiVO: a body missing a required field, an undeclared query parameter or a bad path id is refused and recorded', async () => {
  const fake = await FakeXivo.start(cert, 'xivo-16.15');
  try {
    const endpoint = { baseUrl: `https://127.0.0.1:${fake.port}/1.1`, trust, timeoutMs: 5_000 };
    const wizard = await sendHttp(endpoint, { method: 'POST', path: '/wizard', json: { admin_password: 'x', license: true } });
    assert.equal(wizard.status, 400);
    assert.deepEqual(fake.state.configured, false, 'a refused wizard changed nothing');
    const query = await sendHttp(endpoint, { method: 'GET', path: '/users', query: { frobnicate: 1 } });
    assert.equal(query.status, 400);
    const id = await sendHttp(endpoint, { method: 'PUT', path: '/lines/abc/extensions/1' });
    assert.equal(id.status, 400);
    const all = fake.violations.join('\n');
    for (const field of ['timezone', 'entity_name', 'network', 'context_internal']) assert.match(all, new RegExp(`body must have required property '${field}'`));
    assert.match(all, /query parameter frobnicate is not declared/);
    assert.match(all, /path parameter line_id="abc" is not a integer/);
    assert.equal(fake.violations.length, 6, all);
    assert.ok(Array.isArray(wizard.body), 'confd errors are a JSON list of messages');
  } finally {
    await fake.close();
  }
});
