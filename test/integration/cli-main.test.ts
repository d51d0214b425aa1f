// The CLI's dispatch, usage and exit codes, run in-process through main() with a captured io.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main.ts';
import type { CliIo } from '../../cli/cli-io.ts';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env };
  return { code: await main(argv, io), out, err };
}

test('usage mistakes exit 2 with the reason and a hint on stderr', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing command/],
    [['nope'], /unknown command 'nope' \(serve, account, lab, run\)/],
    [['account'], /missing action: add, list or remove/],
    [['account', 'add'], /usage: voiplab account add EXT/],
    [['account', 'add', '1', '2'], /usage: voiplab account add EXT/],
    [['account', 'remove'], /usage: voiplab account remove EXT/],
    [['account', 'frobnicate'], /unknown account action 'frobnicate'/],
    [['account', 'list', '--bogus'], /Unknown option '--bogus'/],
    [['account', 'list', '--name', 'x'], /--name and --password belong to 'account add'/],
    [['account', 'add', '1', '--name'], /--name/],
    [['serve', 'extra'], /usage: voiplab serve/],
  ];
  for (const [argv, reason] of cases) {
    const { code, out, err } = await run(argv);
    assert.equal(code, 2, argv.join(' '));
    assert.deepEqual(out, []);
    assert.match(err.join('\n'), reason, argv.join(' '));
    assert.equal(err.at(-1), "Run 'voiplab --help' for usage.");
  }
});

test('--help, help and per-command --help print usage and exit 0', async () => {
  for (const argv of [['--help'], ['-h'], ['help']]) {
    const { code, out } = await run(argv);
    assert.equal(code, 0);
    assert.match(out.join('\n'), /VOIPLAB_ADMIN_TOKEN/);
  }
  assert.deepEqual((await run(['serve', '--help'])).out, ['usage: voiplab serve [--config FILE] [--data DIR]']);
  assert.equal((await run(['account', '--help'])).out.length, 3);
});

test('--version prints the package version', async () => {
  const { code, out } = await run(['--version']);
  assert.equal(code, 0);
  assert.match(out[0] ?? '', /^\d+\.\d+\.\d+/);
});

test('account commands in-process: add prints the generated password once, list shows it, remove removes it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-main-'));
  try {
    const data = join(dir, 'data');
    const added = await run(['account', 'add', '3001', '--name', 'Lab PC', '--data', data]);
    assert.equal(added.code, 0, added.err.join('\n'));
    assert.ok(added.out.some((l) => l.startsWith('First run: wrote')));
    assert.ok(added.out.some((l) => /^ {2}password \S{12,} {2}\(shown once/.test(l)));
    const listed = await run(['account', 'list', '--data', data]);
    assert.deepEqual(listed.out.map((l) => l.split('\t')[0]), ['1001', '1002', '1003', '3001']);
    assert.equal((await run(['account', 'remove', '3001', '--data', data])).code, 0);
    const missing = await run(['account', 'remove', '3001', '--data', data]);
    assert.equal(missing.code, 1);
    assert.match(missing.err[0] ?? '', /no account has extension 3001/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
