// ConfigFileService: changes validated as a whole, written back atomically with comments and order
// kept and passwords as HA1 only; API input errors name the field and write nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ha1For } from '../../ipbx/sip/index.ts';
import { ConfigError, ConfigFileService } from '../../ipbx/config/index.ts';

const TEXT = `# voiplab test config
domain: lab.example   # the realm

# listeners comment
sip:
  listeners:
    - { protocol: udp, address: 127.0.0.1, port: 0 }

accounts:
  # the trainer
  - extension: "1001"
    displayName: Trainer # keep me
    password: first-password

groups:
  - { name: all, members: ["1001"] }

dialplan:
  # rule comment
  - { match: "100", action: { type: group, group: all } }
  # pattern comment
  - { match: _1XXX, action: { type: account } } # any extension
`;

async function withService(fn: (service: ConfigFileService, file: string, dir: string) => Promise<void>, text = TEXT): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-cfs-'));
  const file = join(dir, 'voiplab.yaml');
  await writeFile(file, text, { mode: 0o644 });
  const service = await ConfigFileService.open(file, { log: () => {} });
  try {
    await fn(service, file, dir);
  } finally {
    service.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const failsWith = (code: string, field: string) => (err: unknown): boolean => {
  assert.ok(err instanceof ConfigError, String(err));
  assert.equal(err.code, code);
  assert.equal(err.field, field);
  return true;
};

test('createAccount writes ha1 (never the password), keeps comments and order, mode 0600, emits changed', async () => {
  await withService(async (service, file) => {
    const changed: string[][] = [];
    service.on('changed', (c) => changed.push(c.accounts.map((a) => a.extension)));
    const account = await service.createAccount({ extension: '1002', password: 'second-password', displayName: 'Student' });
    assert.equal(account.ha1.MD5, ha1For('1002', 'lab.example', 'second-password', 'MD5'));
    assert.equal(service.accounts.get('1002')?.displayName, 'Student');
    assert.deepEqual(changed, [['1001', '1002']]);
    const text = await readFile(file, 'utf8');
    for (const kept of ['# voiplab test config', 'domain: lab.example # the realm', '# listeners comment', '# the trainer', 'displayName: Trainer # keep me', '# rule comment']) {
      assert.ok(text.includes(kept), `lost: ${kept}\n${text}`);
    }
    assert.ok(text.indexOf('domain:') < text.indexOf('sip:') && text.indexOf('sip:') < text.indexOf('accounts:') && text.indexOf('groups:') < text.indexOf('dialplan:'));
    // The hand-written password of 1001 is replaced too: a file voiplab writes holds no password.
    assert.doesNotMatch(text, /password|first-password|second-password/);
    assert.ok(text.includes(ha1For('1001', 'lab.example', 'first-password', 'SHA-256')));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });
});

test('updateAccount changes fields and the password; removeAccount removes it', async () => {
  await withService(async (service, file) => {
    const updated = await service.updateAccount('1001', { password: 'new-password', enabled: false, maxContacts: 2 });
    assert.equal(updated.ha1['SHA-512-256'], ha1For('1001', 'lab.example', 'new-password', 'SHA-512-256'));
    assert.equal(updated.enabled, false);
    assert.equal(updated.displayName, 'Trainer');
    assert.ok((await readFile(file, 'utf8')).includes('displayName: Trainer # keep me'));
    await service.createAccount({ extension: '1002', password: 'second-password' });
    assert.equal(await service.removeAccount('1002'), true);
    assert.equal(await service.removeAccount('1002'), false);
    assert.equal(service.accounts.get('1002'), undefined);
    assert.doesNotMatch(await readFile(file, 'utf8'), /1002/);
  });
});

test('API input errors carry the code and the field, and nothing is written', async () => {
  await withService(async (service, file) => {
    await service.createAccount({ extension: '1002', password: 'second-password' });
    const before = await readFile(file, 'utf8');
    await assert.rejects(service.createAccount({ extension: '1001', password: 'whatever-pw' }), failsWith('IPBX_ACCOUNT_EXISTS', 'extension'));
    await assert.rejects(service.createAccount({ extension: '10 01', password: 'whatever-pw' }), failsWith('IPBX_CONFIG_INVALID', 'extension'));
    await assert.rejects(service.createAccount({ extension: '1003', password: 'short' }), failsWith('IPBX_CONFIG_INVALID', 'password'));
    await assert.rejects(service.createAccount({ extension: '1003' }), failsWith('IPBX_CONFIG_INVALID', 'password'));
    await assert.rejects(service.updateAccount('9999', { displayName: 'x' }), failsWith('IPBX_ACCOUNT_NOT_FOUND', 'extension'));
    await assert.rejects(service.updateAccount('1002', { maxContacts: 0 }), failsWith('IPBX_CONFIG_INVALID', 'maxContacts'));
    // 1001 is a member of group "all": removing it would leave a dangling reference.
    await assert.rejects(service.removeAccount('1001'), failsWith('IPBX_CONFIG_INVALID', 'groups[0].members[0]'));
    await assert.rejects(service.replaceGroups([]), failsWith('IPBX_CONFIG_INVALID', 'dialplan[0].action.group'));
    await assert.rejects(service.replaceDialplan([{ match: '2', action: { type: 'group', group: 'nope' }, allowUnauthenticated: false }]), failsWith('IPBX_CONFIG_INVALID', 'dialplan[0].action.group'));
    assert.equal(await readFile(file, 'utf8'), before);
    assert.deepEqual(service.accounts.list().map((a) => a.extension), ['1001', '1002']);
  });
});

test('replaceDialplan and replaceGroups keep the comments of unchanged items', async () => {
  await withService(async (service, file) => {
    await service.replaceDialplan([...service.current.dialplan, { match: '0', action: { type: 'reject', code: 403 }, allowUnauthenticated: false }]);
    assert.equal(service.current.dialplan.length, 3);
    assert.deepEqual(service.current.dialplan[2]?.action, { type: 'reject', code: 403 });
    await service.replaceGroups([{ name: 'all', members: ['1001', 'sip:guest@example.org'], strategy: 'in-turn', memberTimeout: 15 }]);
    assert.equal(service.current.groups[0]?.strategy, 'in-turn');
    const text = await readFile(file, 'utf8');
    for (const kept of ['# rule comment', '# pattern comment', '# any extension']) assert.ok(text.includes(kept), `lost: ${kept}\n${text}`);
  });
});

test('writes are atomic: a temp file renamed over the config, no leftovers', async () => {
  await withService(async (service, file, dir) => {
    const inodeBefore = (await stat(file)).ino;
    await service.createAccount({ extension: '1002', password: 'second-password' });
    assert.notEqual((await stat(file)).ino, inodeBefore, 'the file was replaced by rename, not rewritten in place');
    assert.deepEqual(await readdir(dir), ['voiplab.yaml']);
  });
});

test('concurrent changes are serialized: none is lost', async () => {
  await withService(async (service) => {
    await Promise.all(['2001', '2002', '2003', '2004'].map((extension) => service.createAccount({ extension, password: 'parallel-pw' })));
    assert.deepEqual(service.accounts.list().map((a) => a.extension).sort(), ['1001', '2001', '2002', '2003', '2004']);
  });
});

test('a change picks up an edit made to the file since the last read', async () => {
  await withService(async (service, file) => {
    await writeFile(file, TEXT.replace('Trainer # keep me', 'Edited by hand'));
    await service.createAccount({ extension: '1002', password: 'second-password' });
    assert.equal(service.accounts.get('1001')?.displayName, 'Edited by hand');
    assert.ok((await readFile(file, 'utf8')).includes('Edited by hand'));
  });
});

test('a change is refused, and the file left alone, while the file on disk is invalid', async () => {
  await withService(async (service, file) => {
    const broken = TEXT.replace('domain: lab.example', 'domain: "lab example"');
    await writeFile(file, broken);
    await assert.rejects(service.createAccount({ extension: '1002', password: 'second-password' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.issues[0]?.line, 2);
      assert.equal(err.issues[0]?.field, 'domain');
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), broken);
  });
});

test('setAdminToken stores the token under security', async () => {
  await withService(async (service, file) => {
    await service.setAdminToken('t'.repeat(40));
    assert.equal(service.current.security.adminToken, 't'.repeat(40));
    assert.match(await readFile(file, 'utf8'), /security:\n {2}adminToken: t{40}\n/);
  });
});
