// The Proxmox client against the fake Proxmox over real HTTPS on 127.0.0.1: token and ticket auth,
// TLS trust (pinned fingerprint, CA file, insecure with a warning), tasks polled to completion, and
// errors that say what to do. Every request and answer is checked against the PVE schema.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { LabError } from '../../lab/lab-error.ts';
import {
  ProxmoxClient, cloneVm, changePower, execInGuest, listClusterVms, nextFreeVmid, updateVmConfig, waitForAgent, waitForIpv4, createSnapshot, rollbackSnapshot,
  listSnapshots, destroyVm, vmStatus, type ProxmoxCredentials,
} from '../../lab/proxmox/index.ts';
import type { TlsTrust } from '../../lab/http/tls-trust.ts';
import { FakeProxmox } from '../helpers/lab-fake-proxmox.ts';
import { makeSelfSignedCert, type TestCert } from '../helpers/tls-cert.ts';
import { LAB_ENV } from '../helpers/lab-harness.ts';

let cert: TestCert;
let fake: FakeProxmox;
let pin: TlsTrust;
const token: ProxmoxCredentials = { kind: 'token', tokenId: LAB_ENV.PVE_TOKEN_ID, secret: LAB_ENV.PVE_TOKEN_SECRET };
const fast = { timeoutMs: 2_000, intervalMs: 5 };
const client = (credentials: ProxmoxCredentials = token, trust: TlsTrust = pin, log?: (l: string) => void): ProxmoxClient => new ProxmoxClient({ url: fake.url, credentials, trust, ...(log === undefined ? {} : { log }) });

async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof LabError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

before(async () => {
  cert = await makeSelfSignedCert();
  fake = await FakeProxmox.start({
    tls: cert, tokens: [{ tokenId: LAB_ENV.PVE_TOKEN_ID, secret: LAB_ENV.PVE_TOKEN_SECRET }], users: [{ username: 'root@pam', password: 'secret-pass' }],
    templates: [{ vmid: 9000, node: 'pve1', name: 'xivo-template' }],
  });
  pin = { kind: 'fingerprint', sha256: new X509Certificate(cert.cert).fingerprint256 };
});

after(async () => {
  assert.deepEqual(fake.violations, [], 'every request and answer follows the PVE schema');
  await fake.close();
  await cert.cleanup();
});

test('API token: clone a template, configure it, start, agent, address, exec, snapshot, rollback, stop, destroy', async () => {
  const pve = client();
  const vmid = await nextFreeVmid(pve);
  assert.equal(vmid, 100);
  await cloneVm(pve, { node: 'pve1', templateVmid: 9000, newid: 300, name: 'lab-a', full: false }, fast);
  const ref = { node: 'pve1', vmid: 300 };
  await updateVmConfig(pve, ref, { net0: 'virtio,bridge=vmbr1,tag=7', ipconfig0: 'ip=10.7.0.5/24,gw=10.7.0.1', agent: '1', memory: '2048', cores: 2 }, fast);
  await createSnapshot(pve, ref, 'clean', 'before boot', fast);
  await changePower(pve, ref, 'start', fast);
  assert.equal((await vmStatus(pve, ref)).status, 'running');
  await waitForAgent(pve, ref, fast);
  assert.deepEqual(await waitForIpv4(pve, ref, fast), { address: '10.7.0.5', prefix: 24, interface: 'eth0' });
  assert.deepEqual(await execInGuest(pve, ref, ['xivo-service', 'status'], fast), { exitcode: 0, stdout: 'ok\n', stderr: '' });
  await rollbackSnapshot(pve, ref, 'clean', fast);
  assert.deepEqual((await listSnapshots(pve, ref)).map((s) => s.name), ['clean', 'current']);
  await changePower(pve, ref, 'start', fast);
  await changePower(pve, ref, 'stop', fast);
  await destroyVm(pve, ref, fast);
  assert.ok(!(await listClusterVms(pve)).some((v) => v.vmid === 300));
  // Tasks were polled until stopped: each UPID was read at least twice (taskPolls 2).
  assert.ok(fake.requests.filter((r) => r.includes('/tasks/')).length >= 14);
});

test('ticket auth: the client logs in, sends the cookie, and the CSRF token on writes', async () => {
  const pve = client({ kind: 'ticket', username: 'root@pam', password: 'secret-pass' });
  await cloneVm(pve, { node: 'pve1', templateVmid: 9000, newid: 301, name: 'lab-b', full: true }, fast);
  await destroyVm(pve, { node: 'pve1', vmid: 301 }, fast);
  assert.equal(fake.requests.filter((r) => r === 'POST /api2/json/access/ticket').length, 1);
  await rejects(listClusterVms(client({ kind: 'ticket', username: 'root@pam', password: 'wrong' })), 'LAB_PROXMOX_AUTH_FAILED', /root@pam.*API token/);
});

test('a wrong token is a 401 that says which environment variables to check', async () => {
  await rejects(listClusterVms(client({ kind: 'token', tokenId: LAB_ENV.PVE_TOKEN_ID, secret: 'bad' })), 'LAB_PROXMOX_AUTH_FAILED', /voiplab@pve!lab.*token id and secret environment variables/);
  assert.throws(() => client({ kind: 'token', tokenId: 'voiplab-lab', secret: 'x' }), /USER@REALM!TOKENID/);
});

test('403: the message names the privilege, the path and the pveum command to grant it', async () => {
  fake.denied.add('VM.Allocate');
  try {
    await rejects(cloneVm(client(), { node: 'pve1', templateVmid: 9000, newid: 302, name: 'lab-c', full: false }, fast), 'LAB_PROXMOX_PERMISSION',
      /lacks VM\.Allocate on \/vms\/302; grant a role with it, e\.g\. pveum acl modify \/vms\/302 --tokens 'voiplab@pve!lab'/);
  } finally {
    fake.denied.delete('VM.Allocate');
  }
});

test('a clone task that fails for lack of space is LAB_STORAGE_FULL with the task text and what to do', async () => {
  fake.failTask('qmclone', 'clone failed: lvcreate: No space left on device');
  await rejects(cloneVm(client(), { node: 'pve1', templateVmid: 9000, newid: 303, name: 'lab-d', full: true }, fast), 'LAB_STORAGE_FULL', /No space left.*free space/);
  assert.ok(!(await listClusterVms(client())).some((v) => v.vmid === 303), 'a failed task leaves nothing');
  fake.failTask('qmclone', 'some other failure');
  await rejects(cloneVm(client(), { node: 'pve1', templateVmid: 9000, newid: 303, name: 'lab-d', full: true }, fast), 'LAB_TASK_FAILED', /qmclone failed: some other failure/);
});

test('bounded waits: a task that never stops, and a guest agent that never answers', async () => {
  const slow = await FakeProxmox.start({ tls: cert, tokens: [{ tokenId: LAB_ENV.PVE_TOKEN_ID, secret: LAB_ENV.PVE_TOKEN_SECRET }], templates: [{ vmid: 9000, node: 'pve1', name: 't' }], taskPolls: 1_000_000, agentPings: 1_000_000 });
  try {
    const pve = new ProxmoxClient({ url: slow.url, credentials: token, trust: pin });
    await rejects(cloneVm(pve, { node: 'pve1', templateVmid: 9000, newid: 400, name: 'x', full: false }, { timeoutMs: 100, intervalMs: 10 }), 'LAB_TASK_TIMEOUT', /did not finish within/);
    const quick = await FakeProxmox.start({ tls: cert, tokens: [{ tokenId: LAB_ENV.PVE_TOKEN_ID, secret: LAB_ENV.PVE_TOKEN_SECRET }], templates: [{ vmid: 9000, node: 'pve1', name: 't' }], agentPings: 1_000_000 });
    try {
      const q = new ProxmoxClient({ url: quick.url, credentials: token, trust: pin });
      await cloneVm(q, { node: 'pve1', templateVmid: 9000, newid: 401, name: 'y', full: false }, fast);
      await changePower(q, { node: 'pve1', vmid: 401 }, 'start', fast);
      await rejects(waitForAgent(q, { node: 'pve1', vmid: 401 }, { timeoutMs: 100, intervalMs: 10 }), 'LAB_GUEST_AGENT_DOWN', /install qemu-guest-agent in the template/);
      assert.deepEqual(quick.violations, []);
    } finally {
      await quick.close();
    }
    assert.deepEqual(slow.violations, []);
  } finally {
    await slow.close();
  }
});

test('a missing template: Proxmox\'s message is quoted', async () => {
  await rejects(cloneVm(client(), { node: 'pve1', templateVmid: 9999, newid: 305, name: 'lab-e', full: false }, fast), 'LAB_PROXMOX_API', /9999\.conf' does not exist/);
});

test('TLS: a wrong pin fails before any request is sent; a CA file works; insecure works and warns loudly', async () => {
  const before = fake.requests.length;
  await rejects(listClusterVms(client(token, { kind: 'fingerprint', sha256: 'AB:'.repeat(31) + 'AB' })), 'LAB_TLS_UNTRUSTED', /presented a certificate with SHA-256 fingerprint .* not the pinned/);
  assert.equal(fake.requests.length, before, 'the token never reached the impostor');
  assert.ok(Array.isArray(await listClusterVms(client(token, { kind: 'ca', ca: cert.cert, source: 'test' }))));
  const other = await makeSelfSignedCert();
  try {
    await rejects(listClusterVms(client(token, { kind: 'ca', ca: other.cert, source: 'other' })), 'LAB_TLS_UNTRUSTED', /certificate not trusted/);
  } finally {
    await other.cleanup();
  }
  const warnings: string[] = [];
  assert.ok(Array.isArray(await listClusterVms(client(token, { kind: 'insecure' }, (l) => warnings.push(l)))));
  assert.match(warnings.join(), /WARNING: TLS certificate verification is OFF/);
});

test('nothing listening: LAB_UNREACHABLE says to check the address and port', async () => {
  const closed = new ProxmoxClient({ url: 'https://127.0.0.1:9', credentials: token, trust: pin, requestTimeoutMs: 1_000 });
  await rejects(listClusterVms(closed), 'LAB_UNREACHABLE', /connection refused/);
});
