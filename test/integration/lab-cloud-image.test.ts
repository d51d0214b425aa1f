// The cloud-image source end to end on the fake Proxmox: each group's VM is created from a Debian
// cloud image (disk imported, cloud-init drive, user and SSH keys, VLAN), booted, XiVO's installer
// run in it through the guest agent (exec, then exec-status polled by pid), and the clean snapshot
// taken with the VM stopped, as the template path does. A failed install is reported with the tail
// of its output and run again by the next `up`; a guest slower than the installer's limit fails
// clearly and resumes; an image without qemu-guest-agent gets an error that says to install it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LabError, LabFileError } from '../../lab/lab-error.ts';
import { parseLabText } from '../../lab/lab-file/index.ts';
import { labDown } from '../../lab/commands/lab-down.ts';
import { labPlan } from '../../lab/commands/lab-plan.ts';
import { labReset } from '../../lab/commands/lab-reset.ts';
import { labUp } from '../../lab/commands/lab-up.ts';
import type { LabContext } from '../../lab/commands/lab-context.ts';
import { INSTALL_MARKER, INSTALLER_NAME } from '../../lab/commands/install-xivo.ts';
import { cloudImageLab, startLabHarness, type LabHarness } from '../helpers/lab-harness.ts';

const IMAGE = 'local:import/debian-12-genericcloud-amd64.qcow2';
const BARE_IMAGE = 'local:import/debian-12-without-agent.qcow2';
const images = [{ volid: IMAGE }, { volid: BARE_IMAGE, agent: false }];

let h: LabHarness;
let ctx: LabContext;

before(async () => {
  h = await startLabHarness({ labText: cloudImageLab, proxmox: { images } });
  ctx = await h.open();
});

after(async () => {
  assert.deepEqual(h.violations(), [], 'every request and answer follows the published schemas');
  await h.close();
});

function failureOf(group: string): string {
  return h.lines.find((l) => l.startsWith(`[${group}] FAILED: `)) ?? '';
}

test('the lab file: a cloud image needs one installer (url or script) and a storage; template and cloudImage exclude each other', () => {
  const good = cloudImageLab('https://pve.example:8006', 'AB:'.repeat(31) + 'CD');
  assert.equal(parseLabText(good, 'lab.yaml').source.cloudImage?.diskGiB, 32);
  const issues = (text: string): string[] => {
    try {
      parseLabText(text, 'lab.yaml');
      return [];
    } catch (err) {
      assert.ok(err instanceof LabFileError);
      return err.issues.map((i) => `${i.line}: ${i.field}: ${i.message}`);
    }
  };
  assert.deepEqual(issues(good.replace('version: "2024.10-latest"', 'script: "apt-get install -y xivo", version: "2024.10-latest"')), ['13: source.installer: give exactly one of url (XiVO\'s xivo_install.sh) or script']);
  assert.deepEqual(issues(good.replace('    storage: local-lvm\n', '')), ['8: source.cloudImage: needs a storage for the VM disks: set source.cloudImage.storage or proxmox.storage']);
  assert.match(issues(good.replace('source:\n', 'source:\n  template: { vmid: 9000, node: pve1 }\n')).join('\n'), /source\.cloudImage: give either template or cloudImage, not both/);
  assert.match(issues(good.replace(/ {2}installer: .*\n/, '')).join('\n'), /source: cloudImage needs installer/);
});

test('plan: each group is created from the image, its disk grown, XiVO installed, then the clean snapshot taken stopped', async () => {
  const plans = await labPlan(ctx);
  assert.deepEqual(plans[0]?.vm, [
    `create tp-voip-g01, VMID 201 on pve1, VLAN 101, from cloud image ${IMAGE} (disk on local-lvm)`,
    'grow disk scsi0 to 32G',
    'start the VM',
    'install XiVO 2024.10-latest through the guest agent (http://mirror.xivo.solutions/xivo_install.sh)',
    'shut the VM down for its clean snapshot',
    'take snapshot voiplab-clean (XiVO installed, before its wizard, for lab reset)',
    'start the VM',
  ]);
  assert.deepEqual(h.proxmox.writesSince(0), []);
});

test('a failed install is reported with the tail of its output; the next up runs the installer again and converges', async () => {
  h.proxmox.installOutcomes.push({
    exitcode: 100,
    out: 'Reading package lists...\nGet:1 http://mirror.xivo.solutions/debian xivo-2024.10-latest InRelease\nSetting up xivo-config ...\n',
    err: 'E: Unable to locate package xivo-fai-2024.10-latest\n',
  });
  await assert.rejects(labUp(ctx, ['g01']), (err: unknown) => err instanceof LabError && err.code === 'LAB_GROUP_FAILED');
  assert.equal(failureOf('g01'), '[g01] FAILED: LAB_INSTALL_FAILED: VM 201: the XiVO installer 2024.10-latest exited with code 100: stdout ends: Reading package lists... | Get:1 http://mirror.xivo.solutions/debian xivo-2024.10-latest InRelease | Setting up xivo-config ...; stderr ends: E: Unable to locate package xivo-fai-2024.10-latest; fix the cause (mirror, version, disk space) and rerun up: the installer runs again');
  const vm = h.proxmox.vms.get(201);
  assert.equal(vm?.status, 'running');
  assert.equal(vm?.snapshots.size, 0, 'no clean snapshot of a failed install');
  assert.deepEqual(h.proxmox.execLog, [`201: test -e ${INSTALL_MARKER}`, `201: /bin/bash -c ${h.proxmox.execLog[1]?.split(' -c ')[1]?.split(` ${INSTALLER_NAME} `)[0] ?? ''} ${INSTALLER_NAME} url http://mirror.xivo.solutions/xivo_install.sh 2024.10-latest`]);

  // The VM was made as the lab asked: disk imported and grown, cloud-init drive and user, the group's VLAN.
  const config = vm?.config ?? {};
  assert.equal(config['scsi0'], 'local-lvm:vm-201-disk-0,size=32G');
  assert.equal(config['ide2'], 'local-lvm:vm-201-cloudinit,media=cdrom');
  assert.equal(config['ciuser'], 'debian');
  assert.equal(config['sshkeys'], 'ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5%20trainer%40lab');
  assert.equal(config['ipconfig0'], 'ip=10.10.1.10/24,gw=10.10.1.1');
  assert.match(String(config['net0']), /^virtio=BC:24:11:00:00:C9,bridge=vmbr1,tag=101$/);
  assert.equal(config['agent'], '1');

  h.lines.length = 0;
  const from = h.proxmox.execLog.length;
  const results = await labUp(ctx);
  assert.ok(results.every((r) => r.ok), h.lines.join('\n'));
  const g01 = h.lines.filter((l) => l.startsWith('[g01] '));
  assert.ok(!g01.some((l) => /create tp-voip|grow disk/.test(l)), 'the VM is kept: no second create, the disk is already grown');
  assert.ok(g01.includes('[g01] install XiVO 2024.10-latest through the guest agent (http://mirror.xivo.solutions/xivo_install.sh)'));
  assert.equal(h.proxmox.execLog.slice(from).filter((l) => l.startsWith('201: /bin/bash')).length, 1, 'the installer ran again in VM 201');
  for (const vmid of [201, 202, 203]) {
    const made = h.proxmox.vms.get(vmid);
    assert.equal(made?.status, 'running');
    assert.equal(made?.installed, true);
    assert.deepEqual([...(made?.snapshots.keys() ?? [])], ['voiplab-clean']);
    assert.equal(made?.snapshots.get('voiplab-clean')?.config['scsi0'], `local-lvm:vm-${vmid}-disk-0,size=32G`);
  }
  // The clean snapshot is taken between a shutdown and a start, after the install.
  const writes201 = h.proxmox.requests.filter((r) => r.includes('/qemu/201/') && !r.startsWith('GET') && !r.includes('/agent/ping'));
  const tail = writes201.slice(-4);
  assert.deepEqual(tail, ['POST /api2/json/nodes/pve1/qemu/201/agent/exec', 'POST /api2/json/nodes/pve1/qemu/201/status/shutdown', 'POST /api2/json/nodes/pve1/qemu/201/snapshot', 'POST /api2/json/nodes/pve1/qemu/201/status/start']);
  assert.match(h.lines.join('\n'), /\[g01\] \d+ changes; VM 201 at 10\.10\.1\.10; check passed/);
  assert.equal(h.fleet.instances.get('10.10.1.10')?.state.configured, true);
});

test('up again reinstalls nothing and writes nothing; reset rolls back to the installed XiVO', async () => {
  const before = h.proxmox.requests.length;
  const execs = h.proxmox.execLog.length;
  h.lines.length = 0;
  await labUp(ctx);
  assert.deepEqual(h.proxmox.writesSince(before), []);
  assert.equal(h.proxmox.execLog.length, execs, 'no agent exec: the clean snapshot says XiVO is installed');
  assert.equal(h.lines.filter((l) => l.includes('already up to date')).length, 3);
  await labReset(ctx, ['g02']);
  assert.equal(h.proxmox.execLog.length, execs, 'reset does not reinstall');
  assert.ok(h.proxmox.writesSince(before).includes('POST /api2/json/nodes/pve1/qemu/202/snapshot/voiplab-clean/rollback'));
});

test('a guest slower than the installer time limit fails clearly; the next up resumes; a slow guest within it succeeds', async () => {
  await labDown(ctx, { yes: true, only: ['g03'] });
  assert.equal(h.proxmox.vms.has(203), false);
  h.proxmox.installOutcomes.push({ exitcode: 0, polls: 1_000_000 });
  h.lines.length = 0;
  await assert.rejects(labUp(ctx, ['g03']), (err: unknown) => err instanceof LabError && err.code === 'LAB_GROUP_FAILED');
  assert.match(failureOf('g03'), /^\[g03\] FAILED: LAB_INSTALL_FAILED: VM 203: the XiVO installer was still running after 2 s \(source\.installer\.timeoutSeconds\); look at the VM console/);
  h.proxmox.installOutcomes.push({ exitcode: 0, polls: 20 });
  h.lines.length = 0;
  const [result] = await labUp(ctx, ['g03']);
  assert.ok(result?.ok, h.lines.join('\n'));
  assert.deepEqual([...(h.proxmox.vms.get(203)?.snapshots.keys() ?? [])], ['voiplab-clean']);
});

test('an install that finished before a cut is not run again: the guest\'s marker is checked first', async () => {
  const vm = h.proxmox.vms.get(203);
  assert.ok(vm !== undefined);
  vm.snapshots.clear(); // as if the run stopped between the install and the snapshot
  const from = h.proxmox.execLog.length;
  h.lines.length = 0;
  await labUp(ctx, ['g03']);
  assert.deepEqual(h.proxmox.execLog.slice(from), [`203: test -e ${INSTALL_MARKER}`]);
  assert.ok(h.lines.includes('[g03] XiVO is already installed in the guest (its marker is there): installer skipped'));
  assert.deepEqual([...vm.snapshots.keys()], ['voiplab-clean']);
});

test('an image without qemu-guest-agent: "guest agent not running: install qemu-guest-agent in the image", and the VM is kept', async () => {
  const bare = await startLabHarness({
    proxmox: { images },
    labText: (url, fp) => cloudImageLab(url, fp).replace(IMAGE, BARE_IMAGE).replace('agentSeconds: 5', 'agentSeconds: 1'),
  });
  try {
    const bareCtx = await bare.open();
    await assert.rejects(labUp(bareCtx, ['g02']), (err: unknown) => err instanceof LabError && err.code === 'LAB_GROUP_FAILED');
    const line = bare.lines.find((l) => l.startsWith('[g02] FAILED: ')) ?? '';
    assert.match(line, new RegExp(`^\\[g02\\] FAILED: LAB_GUEST_AGENT_DOWN: VM 202: guest agent not running: install qemu-guest-agent in the image ${BARE_IMAGE} \\(virt-customize .*no answer within 1 s\\. Rerun up once fixed`));
    assert.equal(bare.proxmox.vms.get(202)?.status, 'running');
    assert.deepEqual(bare.proxmox.execLog, [], 'nothing was run in the guest');
    assert.deepEqual(bare.violations(), []);
  } finally {
    await bare.close();
  }
});
