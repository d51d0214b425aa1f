// The admin token: VOIPLAB_ADMIN_TOKEN overrides the file; with neither, one is generated and stored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileService, resolveAdminToken } from '../../ipbx/config/index.ts';

const BASE = `domain: lab.example
sip:
  listeners: [{ protocol: udp, address: 127.0.0.1, port: 0 }]
`;

async function withFile(text: string, fn: (service: ConfigFileService, file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-token-'));
  const file = join(dir, 'voiplab.yaml');
  await writeFile(file, text);
  try {
    await fn(await ConfigFileService.open(file, { log: () => {} }), file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const FILE_TOKEN = 'f'.repeat(32);
const ENV_TOKEN = 'e'.repeat(32);

test('VOIPLAB_ADMIN_TOKEN overrides security.adminToken and leaves the file alone', async () => {
  await withFile(`${BASE}security: { adminToken: ${FILE_TOKEN} }\n`, async (service, file) => {
    const before = await readFile(file, 'utf8');
    assert.deepEqual(await resolveAdminToken(service, { VOIPLAB_ADMIN_TOKEN: ENV_TOKEN }), { token: ENV_TOKEN, from: 'env' });
    assert.equal(await readFile(file, 'utf8'), before);
  });
});

test('the file token is used when the environment has none', async () => {
  await withFile(`${BASE}security: { adminToken: ${FILE_TOKEN} }\n`, async (service) => {
    assert.deepEqual(await resolveAdminToken(service, {}), { token: FILE_TOKEN, from: 'file' });
    assert.deepEqual(await resolveAdminToken(service, { VOIPLAB_ADMIN_TOKEN: '' }), { token: FILE_TOKEN, from: 'file' });
  });
});

test('with neither, a token is generated and stored in the file', async () => {
  await withFile(BASE, async (service, file) => {
    const resolved = await resolveAdminToken(service, {});
    assert.equal(resolved.from, 'generated');
    assert.ok(resolved.token.length >= 32);
    assert.equal(service.current.security.adminToken, resolved.token);
    assert.ok((await readFile(file, 'utf8')).includes(resolved.token));
    assert.deepEqual(await resolveAdminToken(service, {}), { token: resolved.token, from: 'file' });
  });
});

test('a short VOIPLAB_ADMIN_TOKEN is refused', async () => {
  await withFile(BASE, async (service) => {
    await assert.rejects(resolveAdminToken(service, { VOIPLAB_ADMIN_TOKEN: 'short' }), { code: 'IPBX_ADMIN_TOKEN_INVALID' });
  });
});
