// First run: <data>/voiplab.yaml is written with random secrets (no fixed password anywhere),
// mode 0600 in a 0700 folder, loads as a valid config, and is left alone on later runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ha1For } from '../../ipbx/sip/index.ts';
import { ensureDefaultConfig, loadConfig } from '../../ipbx/config/index.ts';

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-default-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('first run writes a valid config with every listener, demo accounts and a dialplan', async () => {
  await withTemp(async (dir) => {
    const { file, created } = await ensureDefaultConfig(join(dir, 'data'));
    assert.ok(created);
    const { config } = await loadConfig(file);
    assert.equal(config.domain, 'voiplab.local');
    assert.deepEqual(config.sip.listeners.map((l) => `${l.protocol} ${l.address}:${l.port}`), [
      'udp 0.0.0.0:5060', 'tcp 0.0.0.0:5060', 'tls 0.0.0.0:5061', 'wss 0.0.0.0:8089', 'ws 127.0.0.1:8088',
    ]);
    assert.deepEqual(config.http.listeners.map((l) => `${l.protocol} ${l.address}:${l.port}`), ['https 0.0.0.0:8443', 'http 127.0.0.1:8080']);
    assert.deepEqual(config.accounts.map((a) => a.extension), ['1001', '1002', '1003']);
    assert.deepEqual(config.dialplan.map((r) => [r.match, r.action.type]), [['_1XXX', 'account'], ['3000', 'queue'], ['*31', 'queue-agent'], ['*32', 'queue-agent'], ['*33', 'queue-agent']]);
    assert.deepEqual(config.queues.map((q) => [q.name, q.strategy]), [['support', 'rrmemory']]);
    assert.equal(config.security.adminToken, created.adminToken);
  });
});

test('the printed passwords match the stored HA1 hashes, and no password is in the file', async () => {
  await withTemp(async (dir) => {
    const { file, created } = await ensureDefaultConfig(dir);
    assert.ok(created);
    const text = await readFile(file, 'utf8');
    const { config } = await loadConfig(file);
    for (const { extension, password } of created.accounts) {
      assert.ok(password.length >= 12);
      assert.ok(!text.includes(password), 'a demo password is in the file');
      const account = config.accounts.find((a) => a.extension === extension);
      for (const algorithm of ['MD5', 'SHA-256', 'SHA-512-256'] as const) assert.equal(account?.ha1?.[algorithm], ha1For(extension, 'voiplab.local', password, algorithm));
    }
    assert.doesNotMatch(text, /^[ -]*password:/m);
    assert.ok(created.adminToken.length >= 32);
  });
});

test('the file is 0600, the data folder 0700, and every section is explained by a comment', async () => {
  await withTemp(async (dir) => {
    const data = join(dir, 'nested', 'data');
    const { file } = await ensureDefaultConfig(data);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(data)).mode & 0o777, 0o700);
    const lines = (await readFile(file, 'utf8')).split('\n');
    for (const section of ['domain:', 'sip:', 'http:', 'accounts:', 'dialplan:', 'security:', 'media:']) {
      const at = lines.indexOf(lines.find((l) => l.startsWith(section)) ?? '');
      assert.ok(at > 0 && lines[at - 1]?.startsWith('#'), `${section} has no comment above it`);
    }
  });
});

test('two first runs get different passwords and tokens', async () => {
  await withTemp(async (dir) => {
    const a = await ensureDefaultConfig(join(dir, 'a'));
    const b = await ensureDefaultConfig(join(dir, 'b'));
    assert.ok(a.created && b.created);
    assert.notEqual(a.created.adminToken, b.created.adminToken);
    const passwords = [...a.created.accounts, ...b.created.accounts].map((x) => x.password);
    assert.equal(new Set(passwords).size, 6);
    assert.notEqual(await readFile(a.file, 'utf8'), await readFile(b.file, 'utf8'));
  });
});

test('a later run keeps the existing file and prints no secrets', async () => {
  await withTemp(async (dir) => {
    const first = await ensureDefaultConfig(dir);
    const before = await readFile(first.file, 'utf8');
    const second = await ensureDefaultConfig(dir);
    assert.equal(second.file, first.file);
    assert.equal(second.created, undefined);
    assert.equal(await readFile(second.file, 'utf8'), before);
  });
});

test('no fixed password or token in the sources of the config area', async () => {
  const { readdir } = await import('node:fs/promises');
  const root = new URL('../../ipbx/config/', import.meta.url);
  for (const name of await readdir(root)) {
    const source = await readFile(new URL(name, root), 'utf8');
    assert.doesNotMatch(source, /password:\s*['"][^'"$]{4,}['"]/, `${name} holds a literal password`);
    assert.doesNotMatch(source, /adminToken:\s*['"][^'"$]{4,}['"]/, `${name} holds a literal admin token`);
  }
});
