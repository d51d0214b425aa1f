// `voiplab lab …` through the CLI's main(), in-process: usage errors exit 2, lab file and secret
// errors exit 1 with positioned or named messages, down without --yes touches nothing, and plan
// runs against the fake Proxmox.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../cli/main.ts';
import type { CliIo } from '../../cli/cli-io.ts';
import { startLabHarness, LAB_ENV, type LabHarness } from '../helpers/lab-harness.ts';

let h: LabHarness;
before(async () => { h = await startLabHarness(); });
after(async () => {
  assert.deepEqual(h.violations(), []);
  await h.close();
});

async function run(argv: string[], env: NodeJS.ProcessEnv = LAB_ENV): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env };
  return { code: await main(argv, io), out, err };
}

test('usage mistakes exit 2', async () => {
  for (const [argv, reason] of [
    [['lab'], /missing action: plan, up, status, reset, down, report/],
    [['lab', 'frob', 'x.yaml'], /unknown lab action 'frob'/],
    [['lab', 'up'], /usage: voiplab lab up FILE/],
    [['lab', 'up', 'x.yaml', '--yes'], /--yes belongs to lab down/],
    [['lab', 'plan', 'x.yaml', '--out', 'd'], /--out belongs to lab report/],
  ] as Array<[string[], RegExp]>) {
    const { code, err } = await run(argv);
    assert.equal(code, 2, argv.join(' '));
    assert.match(err.join('\n'), reason);
  }
  assert.equal((await run(['lab', '--help'])).out.length, 6);
});

test('a broken lab file prints file:line:column: field: message and exits 1', async () => {
  const file = join(h.dir, 'broken.yaml');
  await writeFile(file, 'lab: Bad Name\n');
  const { code, err } = await run(['lab', 'plan', file]);
  assert.equal(code, 1);
  assert.match(err[0] ?? '', /broken\.yaml:1:1: proxmox: is required/);
  assert.match(err.join('\n'), /broken\.yaml:1:6: lab: "Bad Name" does not have the expected form/);
});

test('missing secrets are named; down without --yes refuses before any call', async () => {
  const missing = await run(['lab', 'status', h.file], {});
  assert.equal(missing.code, 1);
  assert.match(missing.err[0] ?? '', /LAB_SECRET_MISSING: set these environment variables .*PVE_TOKEN_ID/);
  const before = h.proxmox.requests.length;
  const down = await run(['lab', 'down', h.file]);
  assert.equal(down.code, 1);
  assert.match(down.err[0] ?? '', /LAB_NOT_CONFIRMED: down destroys the VMs of 3 groups/);
  assert.equal(h.proxmox.requests.length, before);
});

test('plan through the CLI reads the fake Proxmox and prints the steps per group', async () => {
  const { code, out } = await run(['lab', 'plan', h.file, '--group', 'g02']);
  assert.equal(code, 0);
  assert.equal(out[0], '[g02] tp-voip-g02 (to create):');
  assert.match(out.join('\n'), /clone template 9000 \(linked\) → tp-voip-g02, VMID 202 on pve1/);
  const unknown = await run(['lab', 'plan', h.file, '--group', 'g09']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err[0] ?? '', /--group g09: no such group/);
});
