// The file watch of ConfigFileService: an edit on disk is reloaded and announced; an invalid
// edit is reported with file:line:column and the running config stays; close() stops watching.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigFileService, type VoiplabConfig } from '../../ipbx/config/index.ts';

const text = (name: string): string => `domain: lab.example
sip:
  listeners: [{ protocol: udp, address: 127.0.0.1, port: 0 }]
accounts:
  - { extension: "1001", displayName: ${name}, password: first-password }
`;

async function setup(watchDebounceMs = 30): Promise<{ service: ConfigFileService; file: string; log: string[]; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-watch-'));
  const file = join(dir, 'voiplab.yaml');
  await writeFile(file, text('Before'));
  const log: string[] = [];
  const service = await ConfigFileService.open(file, { log: (line) => log.push(line), watchDebounceMs });
  service.watch();
  return { service, file, log, cleanup: async () => { service.close(); await rm(dir, { recursive: true, force: true }); } };
}

function nextChange(service: ConfigFileService): Promise<VoiplabConfig> {
  return once(service, 'changed').then(([config]) => config as VoiplabConfig);
}

test('an edit written in place is reloaded and emits changed', async () => {
  const { service, file, cleanup } = await setup();
  try {
    const changed = nextChange(service);
    await writeFile(file, text('After'));
    assert.equal((await changed).accounts[0]?.displayName, 'After');
    assert.equal(service.accounts.get('1001')?.displayName, 'After');
  } finally {
    await cleanup();
  }
});

test('an edit saved by rename (as editors and voiplab itself do) is reloaded too, repeatedly', async () => {
  const { service, file, cleanup } = await setup();
  try {
    for (const name of ['One', 'Two']) {
      const changed = nextChange(service);
      await writeFile(`${file}.swp`, text(name));
      await rename(`${file}.swp`, file);
      assert.equal((await changed).accounts[0]?.displayName, name);
    }
  } finally {
    await cleanup();
  }
});

test('an invalid edit is reported with file:line:column and kept out; the next good edit is taken', async () => {
  const { service, file, log, cleanup } = await setup();
  try {
    let changes = 0;
    service.on('changed', () => changes++);
    await writeFile(file, text('Broken').replace('"1001"', '1001'));
    for (let i = 0; i < 100 && !log.some((l) => l.includes('not reloaded')); i++) await sleep(20);
    assert.ok(log.includes(`${file}:5:18: accounts[0].extension: must be a string: write "1001" in quotes (a bare 1001 is a number in YAML)`), log.join('\n'));
    assert.equal(service.current.accounts[0]?.displayName, 'Before');
    assert.equal(changes, 0);
    const changed = nextChange(service);
    await writeFile(file, text('Fixed'));
    assert.equal((await changed).accounts[0]?.displayName, 'Fixed');
  } finally {
    await cleanup();
  }
});

test('a burst of writes is debounced into one reload', async () => {
  const { service, file, cleanup } = await setup(250);
  try {
    let changes = 0;
    service.on('changed', () => changes++);
    for (const name of ['A', 'B', 'C']) await writeFile(file, text(name));
    await sleep(800);
    assert.equal(changes, 1);
    assert.equal(service.current.accounts[0]?.displayName, 'C');
  } finally {
    await cleanup();
  }
});

test('close() stops the watch', async () => {
  const { service, file, cleanup } = await setup();
  try {
    service.close();
    service.close();
    let changes = 0;
    service.on('changed', () => changes++);
    await writeFile(file, text('Ignored'));
    await sleep(200);
    assert.equal(changes, 0);
    assert.equal(service.current.accounts[0]?.displayName, 'Before');
  } finally {
    await cleanup();
  }
});
