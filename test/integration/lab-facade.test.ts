// `lab up` end to end with XiVOs that really register phones: the fake Proxmox clones, configures
// and starts two VMs; each VM's XiVO is a XiVO-compatible facade in front of its own real voiplab
// IPBX (every request and answer checked against XiVO 16.15's published confd and xivo-auth
// schemas). The lab runs the wizard, makes the accounts and the call group, then runs the smoke
// scenario through the scenario runner's xivo target: two desk-phone emulators get accounts made
// through confd, register to the group's IPBX, call, and each hears the other's tone; the accounts
// are removed after. A rerun changes nothing, a wrong expectation is reported failed with its step.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labUp } from '../../lab/commands/lab-up.ts';
import { labReport } from '../../lab/commands/lab-report.ts';
import { labStatus } from '../../lab/commands/lab-status.ts';
import type { LabContext } from '../../lab/commands/lab-context.ts';
import { LabError } from '../../lab/lab-error.ts';
import { sendHttp } from '../../lab/http/http-request.ts';
import { parseScenarioText, runScenario } from '../../scenarios/runner/index.ts';
import { startLabHarness, threeGroupLab, LAB_ENV, type LabHarness } from '../helpers/lab-harness.ts';

const SMOKE = (aliceHears: number): string => `# Two desk phones get accounts on the group's XiVO, call, and hear each other.
name: lab smoke call
accounts:
  - { extension: "1901", password: smoke-alice-1901, displayName: Smoke Alice }
  - { extension: "1902", password: smoke-bob-1902, displayName: Smoke Bob }
phones:
  alice: { account: "1901", tone: 1000 }
  bob: { account: "1902", tone: 1500 }
steps:
  - register: alice
  - register: bob
  - call: { from: alice, to: bob }
  - expect: { phone: bob, call: ringing }
  - answer: bob
  - expect: { phone: alice, call: connected }
  - expect: { phone: alice, hears: ${aliceHears}, within: 3s }
  - expect: { phone: bob, hears: 1000, within: 3s }
  - hangup: alice
  - expect: { phone: bob, call: ended, cause: remote-hangup }
`;

const twoGroupLab = (url: string, fp: string): string => threeGroupLab(url, fp, 'smoke: { scenario: smoke.yaml }\n').replace(/^ {2}- \{ name: g03.*\n/m, '');

let h: LabHarness;
let ctx: LabContext;

before(async () => {
  h = await startLabHarness({ xivo: 'facade', labText: twoGroupLab });
  await writeFile(join(h.dir, 'smoke.yaml'), SMOKE(1500));
  ctx = await h.open();
});

after(async () => {
  assert.deepEqual(h.violations(), [], 'every request to and answer of the facades follows the published schemas');
  await h.close();
});

/** The IPBX accounts behind a group's XiVO facade. */
async function ipbxAccounts(vmid: number): Promise<string[]> {
  const vm = h.facades?.vms.get(vmid);
  assert.ok(vm !== undefined, `VM ${vmid} has a facade`);
  const body = await (await vm.ipbx.api('/api/v1/accounts')).json() as { items: Array<{ extension: string }> };
  return body.items.map((a) => a.extension).sort();
}

test('up converges both groups on facades, and the smoke call passes against each group\'s IPBX', async () => {
  const results = await labUp(ctx);
  const log = h.lines.join('\n');
  assert.ok(results.every((r) => r.ok), log);
  for (const r of results) {
    assert.ok(r.ok);
    assert.equal(r.value.smoke.check, 'passed');
    assert.equal(r.value.smoke.scenario.verdict, 'passed', r.value.smoke.scenario.detail);
  }
  assert.match(log, /\[g01\] smoke scenario passed: lab smoke call: 10 steps passed/);
  assert.match(log, /\[g02\] smoke scenario passed: lab smoke call: 10 steps passed/);
  // The lab's accounts became IPBX accounts; the smoke scenario's were made and removed again.
  for (const vmid of [201, 202]) {
    assert.deepEqual(await ipbxAccounts(vmid), ['1001', '1002', '1003']);
    const facade = h.facades?.vms.get(vmid)?.facade;
    assert.deepEqual(facade?.model.users.map((u) => u.userfield).sort(), ['voiplab:1001', 'voiplab:1002', 'voiplab:1003']);
    assert.deepEqual(facade?.model.extensions.map((e) => e.exten).sort(), ['1001', '1002', '1003', '1100']);
  }
  const calls = h.facades?.calls ?? [];
  for (const removed of ['users', 'lines', 'endpoints/sip', 'extensions']) {
    assert.ok(calls.some((c) => new RegExp(`^DELETE /1\\.1/${removed}/\\d+ → 204$`).test(c)), `the xivo target removed the ${removed} it made`);
  }
  // The call group became an IPBX ring group with its number.
  const dialplan = await (await h.facades?.vms.get(201)?.ipbx.api('/api/v1/dialplan'))?.json() as { rules: Array<{ match: string; action: { type: string } }> };
  assert.deepEqual(dialplan.rules.map((r) => `${r.match}:${r.action.type}`), ['1001:account', '1002:account', '1003:account', '1100:group']);
});

test('a second up changes nothing (Proxmox and confd), and runs the smoke call again', async () => {
  const from = h.proxmox.requests.length;
  const idsBefore = h.facades?.vms.get(201)?.facade.model.users.map((u) => u.id);
  h.lines.length = 0;
  const results = await labUp(ctx);
  assert.ok(results.every((r) => r.ok && r.value.changes.length === 0 && r.value.smoke.scenario.verdict === 'passed'), h.lines.join('\n'));
  assert.match(h.lines.join('\n'), /\[g01\] already up to date; VM 201 at 10\.10\.1\.10; check passed; smoke scenario passed/);
  assert.deepEqual(h.proxmox.writesSince(from), []);
  assert.deepEqual(h.facades?.vms.get(201)?.facade.model.users.map((u) => u.id), idsBefore);
});

test('report and status show the smoke verdict per group', async () => {
  const out = join(h.dir, 'report');
  await labReport(ctx, { out });
  const md = await readFile(join(out, 'README.md'), 'utf8');
  assert.match(md, /\| g01 \|.*\| passed \| passed: lab smoke call: 10 steps passed/);
  assert.match(md, /\| g02 \|.*\| passed \| passed: lab smoke call: 10 steps passed/);
  const html = await readFile(join(out, 'group-g01.html'), 'utf8');
  assert.match(html, /Smoke scenario: <strong>passed<\/strong>/);
  h.lines.length = 0;
  await labStatus(ctx);
  assert.match(h.lines.join('\n'), /\[g02\] VM 202 .*check passed: .*smoke scenario passed/);
});

test('a smoke scenario with a wrong expectation fails up with LAB_SMOKE_FAILED, and the report names the step', async () => {
  await writeFile(join(h.dir, 'smoke.yaml'), SMOKE(2500));
  h.lines.length = 0;
  try {
    await assert.rejects(labUp(ctx, ['g01']), (err: unknown) => err instanceof LabError && err.code === 'LAB_SMOKE_FAILED' && /smoke scenario failed in g01/.test(err.message));
    assert.match(h.lines.join('\n'), /\[g01\] smoke scenario failed: lab smoke call: step 7 \(line 16\) expect alice hears 2500 Hz: /);
    const out = join(h.dir, 'report-failed');
    await labReport(ctx, { out });
    const md = await readFile(join(out, 'README.md'), 'utf8');
    assert.match(md, /- Smoke scenario: failed: lab smoke call: step 7 \(line 16\) /);
    // g02 was not run this time: its last verdict stands.
    assert.match(md, /\| g02 \|.*\| passed: lab smoke call/);
    // The failed run removed its accounts too.
    assert.deepEqual(await ipbxAccounts(201), ['1001', '1002', '1003']);
  } finally {
    await writeFile(join(h.dir, 'smoke.yaml'), SMOKE(1500));
  }
});

test('a scenario file with target kind xivo makes its accounts through confd, calls, and removes them', async () => {
  const vm = h.facades?.vms.get(202);
  assert.ok(vm !== undefined);
  const text = SMOKE(1500).replace('steps:', `target:
  kind: xivo
  host: 127.0.0.1
  port: ${vm.ipbx.port('udp')}
  domain: 127.0.0.1
  xivo: { confdPort: ${vm.facade.port}, authPort: ${vm.facade.port}, passwordEnv: LAB_TEST_XIVO_PASSWORD, tls: { fingerprint: "${h.fingerprint}" } }
steps:`);
  process.env['LAB_TEST_XIVO_PASSWORD'] = LAB_ENV.XIVO_ADMIN_PASSWORD;
  try {
    const result = await runScenario(parseScenarioText(text, 'xivo-smoke.yaml'));
    assert.equal(result.verdict, 'passed', result.failure);
    assert.deepEqual(await ipbxAccounts(202), ['1001', '1002', '1003']);
    delete process.env['LAB_TEST_XIVO_PASSWORD'];
    const refused = await runScenario(parseScenarioText(text, 'xivo-smoke.yaml'));
    assert.equal(refused.verdict, 'failed');
    assert.match(refused.failure ?? '', /could not start: xivo target: the environment variable LAB_TEST_XIVO_PASSWORD .* is not set/);
  } finally {
    delete process.env['LAB_TEST_XIVO_PASSWORD'];
  }
});

test('a scenario account that clashes with a student\'s extension is refused, and the student\'s account is untouched', async () => {
  const vm = h.facades?.vms.get(202);
  assert.ok(vm !== undefined);
  const text = SMOKE(1500).replaceAll('1901', '1001').replace('steps:', `target:
  kind: xivo
  host: 127.0.0.1
  port: ${vm.ipbx.port('udp')}
  xivo: { confdPort: ${vm.facade.port}, authPort: ${vm.facade.port}, passwordEnv: LAB_TEST_XIVO_PASSWORD, tls: { fingerprint: "${h.fingerprint}" } }
steps:`);
  process.env['LAB_TEST_XIVO_PASSWORD'] = LAB_ENV.XIVO_ADMIN_PASSWORD;
  try {
    const secretBefore = vm.facade.model.endpoints.find((e) => e.username === '1001')?.secret;
    const result = await runScenario(parseScenarioText(text, 'clash.yaml'));
    assert.equal(result.verdict, 'failed');
    assert.match(result.failure ?? '', /SIP user 1001 and extension 1001@default already exist and were not made by a scenario/);
    assert.equal(vm.facade.model.endpoints.find((e) => e.username === '1001')?.secret, secretBefore);
    assert.deepEqual(await ipbxAccounts(202), ['1001', '1002', '1003']);
  } finally {
    delete process.env['LAB_TEST_XIVO_PASSWORD'];
  }
});

test('the facade answers a bad token with 401 and a bad field with 400 naming it, as the schemas say', async () => {
  const vm = h.facades?.vms.get(201);
  assert.ok(vm !== undefined);
  const endpoint = { baseUrl: `https://127.0.0.1:${vm.facade.port}`, trust: { kind: 'fingerprint' as const, sha256: h.fingerprint }, timeoutMs: 5000 };
  const badToken = await sendHttp(endpoint, { method: 'GET', path: '/1.1/users', headers: { 'x-auth-token': 'not-a-token' } });
  assert.equal(badToken.status, 401);
  const wrongPassword = await sendHttp(endpoint, { method: 'POST', path: '/0.1/token', json: { backend: 'xivo_admin' }, headers: { authorization: `Basic ${Buffer.from('root:wrong').toString('base64')}` } });
  assert.equal(wrongPassword.status, 401);
  const login = await sendHttp(endpoint, { method: 'POST', path: '/0.1/token', json: { backend: 'xivo_admin', expiration: 60 }, headers: { authorization: `Basic ${Buffer.from(`root:${LAB_ENV.XIVO_ADMIN_PASSWORD}`).toString('base64')}` } });
  assert.equal(login.status, 200);
  const token = (login.body as { data: { token: string } }).data.token;
  const shortSecret = await sendHttp(endpoint, { method: 'POST', path: '/1.1/endpoints/sip', json: { username: '1950', secret: 'short' }, headers: { 'x-auth-token': token } });
  assert.equal(shortSecret.status, 400);
  assert.match(String((shortSecret.body as string[])[0]), /^Input Error - field 'secret': at least 8 characters/);
  // A body breaking confd's schema: the audit flags the request, the answer itself follows the schema.
  const before = h.facades?.violations.length ?? 0;
  const noName = await sendHttp(endpoint, { method: 'POST', path: '/1.1/users', json: { lastname: 'Nobody' }, headers: { 'x-auth-token': token } });
  assert.equal(noName.status, 400);
  assert.match(String((noName.body as string[])[0]), /^Input Error - field 'firstname': firstname is required/);
  const flagged = h.facades?.violations.splice(before) ?? [];
  assert.ok(flagged.length > 0 && flagged.every((v) => v.startsWith('request: confd POST /users') && v.includes('firstname')), flagged.join('\n'));
  assert.equal(vm.facade.model.users.some((u) => u.lastname === 'Nobody'), false);
});
