// `voiplab account add|list|remove` as a trainer runs it: the real bin/voiplab.js in a child
// process, on a temporary data folder, checked through the config file it edits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ha1For } from '../../ipbx/sip/index.ts';
import { loadConfig } from '../../ipbx/config/index.ts';

const BIN = fileURLToPath(new URL('../../bin/voiplab.js', import.meta.url));

interface CliResult { code: number; stdout: string; stderr: string }

function voiplab(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

async function withData(fn: (data: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-cli-'));
  try {
    await fn(join(dir, 'data'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('account list on a fresh data folder writes the first-run config and prints its secrets once', async () => {
  await withData(async (data) => {
    const first = await voiplab(['account', 'list', '--data', data]);
    assert.equal(first.code, 0, first.stderr);
    const secrets = [...first.stdout.matchAll(/account (\d+) {2}password (\S+)/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(secrets.map(([ext]) => ext), ['1001', '1002', '1003']);
    assert.match(first.stdout, /admin token {3}\S{32,}/);
    assert.match(first.stdout, /^1001\t"Demo 1001"\tenabled\tudp,tcp,tls,ws,wss$/m);
    const file = join(data, 'voiplab.yaml');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const { config } = await loadConfig(file);
    for (const [ext, password] of secrets) assert.equal(config.accounts.find((a) => a.extension === ext)?.ha1?.MD5, ha1For(ext ?? '', 'voiplab.local', password ?? '', 'MD5'));
    const second = await voiplab(['account', 'list', '--data', data]);
    assert.doesNotMatch(second.stdout, /password|admin token/);
  });
});

test('account add with a generated password, then with a given one; the file holds only HA1', async () => {
  await withData(async (data) => {
    const added = await voiplab(['account', 'add', '2001', '--name', 'Ann Lee', '--data', data]);
    assert.equal(added.code, 0, added.stderr);
    const password = /password (\S+) {2}\(shown once/.exec(added.stdout)?.[1] ?? '';
    assert.ok(password.length >= 12, added.stdout);
    const file = join(data, 'voiplab.yaml');
    const given = await voiplab(['account', 'add', '2002', '--password', 'given-password', '--config', file]);
    assert.equal(given.code, 0, given.stderr);
    assert.doesNotMatch(given.stdout, /given-password/);
    const { config } = await loadConfig(file);
    assert.equal(config.accounts.find((a) => a.extension === '2001')?.displayName, 'Ann Lee');
    assert.equal(config.accounts.find((a) => a.extension === '2001')?.ha1?.['SHA-256'], ha1For('2001', 'voiplab.local', password, 'SHA-256'));
    assert.equal(config.accounts.find((a) => a.extension === '2002')?.ha1?.MD5, ha1For('2002', 'voiplab.local', 'given-password', 'MD5'));
    const text = await readFile(file, 'utf8');
    assert.ok(!text.includes(password) && !text.includes('given-password'));
    assert.ok(text.includes('# Accounts. extension is the SIP user name.'), 'comments kept');
    const list = await voiplab(['account', 'list', '--config', file]);
    assert.match(list.stdout, /^2001\t"Ann Lee"\t/m);
  });
});

test('account remove removes it; removing again, or adding a duplicate, fails with exit 1', async () => {
  await withData(async (data) => {
    assert.equal((await voiplab(['account', 'add', '2001', '--data', data])).code, 0);
    const duplicate = await voiplab(['account', 'add', '2001', '--data', data]);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /extension: an account with extension 2001 already exists/);
    const removed = await voiplab(['account', 'remove', '2001', '--data', data]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch(await readFile(join(data, 'voiplab.yaml'), 'utf8'), /"2001"/);
    const again = await voiplab(['account', 'remove', '2001', '--data', data]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no account has extension 2001/);
  });
});

test('invalid input names the field and exits 1; the file is unchanged', async () => {
  await withData(async (data) => {
    await voiplab(['account', 'list', '--data', data]);
    const file = join(data, 'voiplab.yaml');
    const before = await readFile(file, 'utf8');
    const bad = await voiplab(['account', 'add', 'not valid', '--data', data]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /voiplab\.yaml: extension: "not valid" does not have the expected form: dialable number or user name \(pattern/);
    const short = await voiplab(['account', 'add', '2003', '--password', 'short', '--data', data]);
    assert.equal(short.code, 1);
    assert.match(short.stderr, /password: must NOT have fewer than 8 characters/);
    assert.equal(await readFile(file, 'utf8'), before);
  });
});

test('through bin/voiplab.js a usage mistake exits 2 with a hint on stderr, --help exits 0', async () => {
  const usage = await voiplab(['account', 'add']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /voiplab --help/);
  const help = await voiplab(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /voiplab serve \[--config FILE\] \[--data DIR\]/);
});

test('a config with errors makes account commands exit 1 with file:line:column', async () => {
  await withData(async (data) => {
    const file = join(data, '..', 'broken.yaml');
    await writeFile(file, 'domain: lab.example\nsip:\n  listeners: []\n');
    const result = await voiplab(['account', 'list', '--config', file]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim(), `${file}:3:14: sip.listeners: must NOT have fewer than 1 items`);
  });
});
