// `lab up` and friends end to end on one machine: a fake Proxmox and fake XiVOs over real HTTPS on
// 127.0.0.1, every request and answer checked against the published schemas. A class of three
// groups converges, a rerun changes nothing, a failure in one group leaves the others done and a
// rerun resumes, reset rebuilds from the clean snapshot, down needs --yes, report writes the files.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../../lab/lab-error.ts';
import { labUp } from '../../lab/commands/lab-up.ts';
import { labPlan } from '../../lab/commands/lab-plan.ts';
import { labStatus } from '../../lab/commands/lab-status.ts';
import { labReset } from '../../lab/commands/lab-reset.ts';
import { labDown } from '../../lab/commands/lab-down.ts';
import { labReport } from '../../lab/commands/lab-report.ts';
import type { LabContext } from '../../lab/commands/lab-context.ts';
import { startLabHarness, LAB_ENV, type LabHarness } from '../helpers/lab-harness.ts';

let h: LabHarness;
let ctx: LabContext;

before(async () => {
  h = await startLabHarness();
  ctx = await h.open();
});

after(async () => {
  assert.deepEqual(h.violations(), [], 'every request and answer follows the published schemas');
  await h.close();
});

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof LabError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

test('plan on an empty cluster lists every step of every group, and changes nothing', async () => {
  const plans = await labPlan(ctx);
  assert.deepEqual(plans.map((p) => [p.group, p.vm.length, p.xivo.length]), [['g01', 4, 5], ['g02', 4, 5], ['g03', 4, 5]]);
  assert.deepEqual(h.proxmox.writesSince(0), []);
});

test('up: a storage failure in one group leaves the others converged; a rerun resumes and finishes it', async () => {
  h.proxmox.failTask('qmclone', 'clone failed: lvcreate: No space left on device');
  await rejectsWith(labUp(ctx), 'LAB_GROUP_FAILED', /1 of 3 groups failed \(g01\).*rerun up/);
  assert.match(h.lines.join('\n'), /\[g01\] FAILED: LAB_STORAGE_FULL: .*No space left on device.*free space/);
  assert.match(h.lines.join('\n'), /\[g02\] 9 changes; VM 202 at 10\.10\.2\.10; check passed/);
  assert.equal(h.proxmox.vms.has(201), false);
  h.lines.length = 0;
  const results = await labUp(ctx);
  assert.ok(results.every((r) => r.ok));
  assert.match(h.lines.join('\n'), /\[g01\] 9 changes; VM 201 at 10\.10\.1\.10/);
  assert.match(h.lines.join('\n'), /\[g02\] already up to date/);
  // Each VM got its VLAN, a clean snapshot before boot, and runs.
  for (const [vmid, tag] of [[201, 101], [202, 102], [203, 103]] as const) {
    const vm = h.proxmox.vms.get(vmid);
    assert.match(String(vm?.config['net0']), new RegExp(`^virtio=BC:24:11:00:00:01,bridge=vmbr1,tag=${tag}$`), 'the MAC from the template is kept');
    assert.equal(vm?.status, 'running');
    assert.deepEqual([...(vm?.snapshots.keys() ?? [])], ['voiplab-clean']);
    assert.equal(vm?.snapshots.get('voiplab-clean')?.config['tags'], 'voiplab-tp-voip');
  }
  // Each XiVO went through the wizard and holds the accounts, lines, extensions and the call group.
  const xivo = h.fleet.instances.get('10.10.1.10');
  assert.equal(xivo?.state.configured, true);
  assert.equal(xivo?.state.adminPassword, LAB_ENV.XIVO_ADMIN_PASSWORD);
  assert.deepEqual((xivo?.state.wizard['network'] as Record<string, unknown>)['ip_address'], '10.10.1.10');
  assert.deepEqual((xivo?.state.wizard['network'] as Record<string, unknown>)['netmask'], '255.255.255.0');
  assert.deepEqual(xivo?.state.users.map((u) => u.userfield), ['voiplab:1001', 'voiplab:1002', 'voiplab:1003']);
  assert.deepEqual(xivo?.state.extensions.map((e) => e.exten), ['1001', '1002', '1003', '1100']);
  assert.equal(xivo?.state.lines.every((l) => l.sipId !== undefined && l.extensionIds.length === 1 && l.userUuids.length === 1), true);
  assert.deepEqual(xivo?.state.endpoints.find((e) => e.username === '1003')?.options.find(([k]) => k === 'transport'), ['transport', 'ws,wss']);
  assert.equal(xivo?.state.groups[0]?.memberUuids.length, 2);
  assert.notEqual(xivo?.state.endpoints[0]?.secret, h.fleet.instances.get('10.10.2.10')?.state.endpoints[0]?.secret, 'groups get different passwords');
  assert.equal(h.fleet.instances.size, 3);
});

test('up again is a no-op: no write reaches Proxmox or any XiVO', async () => {
  const proxmoxBefore = h.proxmox.requests.length;
  const xivoBefore = [...h.fleet.instances.values()].map((x) => x.requests.length);
  h.lines.length = 0;
  await labUp(ctx);
  assert.deepEqual(h.proxmox.writesSince(proxmoxBefore), []);
  [...h.fleet.instances.values()].forEach((x, i) => {
    assert.deepEqual(x.requests.slice(xivoBefore[i]).filter((r) => !r.startsWith('GET ') && r !== 'POST /0.1/token'), []);
  });
  assert.equal(h.lines.filter((l) => l.endsWith('check passed; smoke scenario not run') && l.includes('already up to date')).length, 3);
  const plans = await labPlan(ctx);
  assert.ok(plans.every((p) => p.vm.length === 0 && p.xivo.length === 0 && p.blockers.length === 0));
});

test('up repairs drift: a password changed and an association removed by hand are put back', async () => {
  const xivo = h.fleet.instances.get('10.10.2.10');
  assert.ok(xivo !== undefined);
  const endpoint = xivo.state.endpoints[0];
  const wanted = endpoint?.secret;
  if (endpoint !== undefined) endpoint.secret = 'changed-by-a-student';
  const line = xivo.state.lines[1];
  if (line !== undefined) line.userUuids = [];
  await labUp(ctx, ['g02']);
  assert.equal(xivo.state.endpoints[0]?.secret, wanted);
  assert.equal(xivo.state.lines[1]?.userUuids.length, 1);
});

test('status reads each group: VM, snapshot, address, XiVO and check', async () => {
  h.lines.length = 0;
  const states = await labStatus(ctx);
  assert.equal(states.length, 3);
  assert.match(h.lines[0] ?? '', /^\[g01\] VM 201 on pve1 running, clean snapshot, at 10\.10\.1\.10, XiVO configured, check passed: confd lists all 3 accounts complete/);
});

test('report writes Markdown and HTML per group and a credentials sheet per student', async () => {
  const out = join(h.dir, 'report');
  const { files, reports } = await labReport(ctx, { out, now: new Date('2025-01-01T00:00:00Z') });
  assert.deepEqual(files.sort(), ['README.md', 'credentials.html', 'group-g01.html', 'group-g01.md', 'group-g02.html', 'group-g02.md', 'group-g03.html', 'group-g03.md', 'index.html']);
  const password = ctx.groups[0]?.accounts[0]?.password ?? '';
  const md = await readFile(join(out, 'group-g01.md'), 'utf8');
  assert.match(md, /VM: tp-voip-g01 \(VMID 201 on pve1, running\)/);
  assert.match(md, new RegExp(`\\| 1001 \\| Alice \\| SIP \\| 1001 \\| \`${password}\` \\| sip:1001@10\\.10\\.1\\.10 \\(UDP 5060\\)`));
  assert.match(md, /\| 1003 \| Web Phone \| WebRTC \| 1003 .* wss:\/\/10\.10\.1\.10\/api\/asterisk\/ws \| \[open\]\(https:\/\/softphone\.example\/#server=wss/);
  assert.match(md, /Smoke scenario: not run: no smoke scenario in the lab file/);
  const sheet = await readFile(join(out, 'credentials.html'), 'utf8');
  assert.equal(sheet.match(/<section class="sheet">/g)?.length, 5, 'one page per student');
  assert.match(sheet, /<h1>Chloé Petit<\/h1>/);
  assert.match(sheet, /page-break-after:always/);
  assert.ok(sheet.includes(password));
  assert.equal(reports[2]?.address.startsWith('10.254.'), true, 'the DHCP group reports the address its guest agent gave');
  const index = await readFile(join(out, 'index.html'), 'utf8');
  assert.match(index, /<a href="group-g02\.html">g02<\/a>/);
});

test('reset rolls a group back to its clean snapshot and provisions it again', async () => {
  const xivo = h.fleet.instances.get('10.10.1.10');
  assert.ok(xivo !== undefined);
  xivo.state.users.push({ id: 999, uuid: 'student-made', firstname: 'Extra', lastname: '', userfield: '', lineIds: [] });
  const before = h.proxmox.requests.length;
  h.lines.length = 0;
  await labReset(ctx, ['g01']);
  const writes = h.proxmox.writesSince(before);
  assert.ok(writes.includes('POST /api2/json/nodes/pve1/qemu/201/status/stop'));
  assert.ok(writes.includes('POST /api2/json/nodes/pve1/qemu/201/snapshot/voiplab-clean/rollback'));
  assert.ok(writes.includes('POST /api2/json/nodes/pve1/qemu/201/status/start'));
  assert.equal(xivo.state.configured, true);
  assert.deepEqual(xivo.state.users.map((u) => u.userfield), ['voiplab:1001', 'voiplab:1002', 'voiplab:1003'], 'the student-made user is gone, the lab accounts are back');
  assert.match(h.lines.join('\n'), /\[g01\] run the setup wizard/);
});

test('down refuses without --yes, then destroys only this lab\'s VMs', async () => {
  const before = h.proxmox.requests.length;
  await rejectsWith(labDown(ctx, { yes: false }), 'LAB_NOT_CONFIRMED', /destroys the VMs of 3 groups \(tp-voip-g01, tp-voip-g02, tp-voip-g03\).*--yes/);
  assert.equal(h.proxmox.requests.length, before, 'nothing was even read');
  await labDown(ctx, { yes: true });
  assert.deepEqual([...h.proxmox.vms.keys()], [9000], 'only the template is left');
  h.lines.length = 0;
  await labDown(ctx, { yes: true });
  assert.equal(h.lines.filter((l) => l.endsWith('no VM: nothing to destroy')).length, 3);
});
