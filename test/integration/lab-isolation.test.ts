// Group isolation on the fake Proxmox: with vm.poolPerGroup each group gets its own pool (created by
// up when missing, with the group's marker in its comment) and its own VLAN tag on net0; plan shows
// both; a rerun writes nothing; drift (a VM moved out of its pool, a VLAN changed by hand) is put
// back; down removes the VMs and only the pools this lab made, once empty; a token without
// Pool.Allocate gets an error naming the privilege and the path.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LabError, LabFileError } from '../../lab/lab-error.ts';
import { parseLabText } from '../../lab/lab-file/index.ts';
import { labDown } from '../../lab/commands/lab-down.ts';
import { labPlan } from '../../lab/commands/lab-plan.ts';
import { labUp } from '../../lab/commands/lab-up.ts';
import type { LabContext } from '../../lab/commands/lab-context.ts';
import { startLabHarness, threeGroupLab, type LabHarness } from '../helpers/lab-harness.ts';

const isolatedLab = (url: string, fingerprint: string): string => threeGroupLab(url, fingerprint).replace('vm:\n', 'vm:\n  poolPerGroup: true\n');

let h: LabHarness;
let ctx: LabContext;

before(async () => {
  h = await startLabHarness({
    labText: isolatedLab,
    // g03's pool was made by hand before the class; another pool has nothing to do with the lab.
    proxmox: { pools: [{ poolid: 'tp-voip-g03', comment: 'made by the trainer' }, { poolid: 'accounting' }] },
  });
  ctx = await h.open();
});

after(async () => {
  assert.deepEqual(h.violations(), [], 'every request and answer follows the published schemas');
  await h.close();
});

test('the lab file: two groups in one pool are refused (each group gets its own)', () => {
  const text = threeGroupLab('https://pve.example:8006', 'AB:'.repeat(31) + 'CD').replace('vlan: 102,', 'vlan: 102, pool: shared,').replace('vlan: 103,', 'vlan: 103, pool: shared,');
  assert.throws(() => parseLabText(text, 'lab.yaml'), (err: unknown) => {
    assert.ok(err instanceof LabFileError);
    assert.deepEqual(err.issues.map((i) => `${i.line}: ${i.field}: ${i.message}`), ['15: groups[2].pool: pool shared is already group g02\'s: each group gets its own pool, so students cannot reach another group\'s VM']);
    return true;
  });
});

test('plan shows each group\'s pool and VLAN, and changes nothing', async () => {
  const plans = await labPlan(ctx);
  assert.deepEqual(plans.map((p) => p.vm.slice(0, 2)), [
    ['create pool tp-voip-g01 (the group\'s own)', 'clone template 9000 (linked) → tp-voip-g01, VMID 201 on pve1 in pool tp-voip-g01, VLAN 101'],
    ['create pool tp-voip-g02 (the group\'s own)', 'clone template 9000 (linked) → tp-voip-g02, VMID 202 on pve1 in pool tp-voip-g02, VLAN 102'],
    ['clone template 9000 (linked) → tp-voip-g03, VMID 203 on pve1 in pool tp-voip-g03, VLAN 103', plans[2]?.vm[1] ?? ''],
  ]);
  assert.match(plans[0]?.vm[2] ?? '', /^configure net0=virtio,bridge=vmbr1,tag=101 ipconfig0=.* \(VLAN 101\)$/);
  assert.deepEqual(h.proxmox.writesSince(0), []);
});

test('up creates the missing pools, places each VM in its pool with its VLAN tag; a rerun writes nothing', async () => {
  await labUp(ctx);
  assert.deepEqual([...h.proxmox.pools.keys()].sort(), ['accounting', 'tp-voip-g01', 'tp-voip-g02', 'tp-voip-g03']);
  assert.match(h.proxmox.pools.get('tp-voip-g01')?.comment ?? '', /^voiplab:tp-voip\/g01 \(made by voiplab lab/);
  assert.equal(h.proxmox.pools.get('tp-voip-g03')?.comment, 'made by the trainer', 'a pool that existed is used as it is');
  for (const [vmid, vlan] of [[201, 101], [202, 102], [203, 103]] as const) {
    const vm = h.proxmox.vms.get(vmid);
    assert.equal(vm?.pool, `tp-voip-g0${vmid - 200}`);
    assert.match(String(vm?.config['net0']), new RegExp(`,bridge=vmbr1,tag=${vlan}$`));
  }
  const log = h.proxmox.requests;
  assert.ok(log.indexOf('POST /api2/json/pools') < log.indexOf('POST /api2/json/nodes/pve1/qemu/9000/clone'), 'the pool exists before the clone is placed in it');
  const before = h.proxmox.requests.length;
  h.lines.length = 0;
  await labUp(ctx);
  assert.deepEqual(h.proxmox.writesSince(before), []);
  assert.equal(h.lines.filter((l) => l.includes('already up to date')).length, 3);
});

test('drift: a VM moved out of its pool and a VLAN changed by hand are shown by plan and put back by up', async () => {
  const vm = h.proxmox.vms.get(202);
  assert.ok(vm !== undefined);
  vm.pool = 'accounting';
  vm.config['net0'] = String(vm.config['net0']).replace('tag=102', 'tag=101');
  const plans = await labPlan(ctx, ['g02']);
  assert.deepEqual(plans[0]?.vm, ['move the VM into pool tp-voip-g02', 'configure net0=virtio=BC:24:11:00:00:01,bridge=vmbr1,tag=102 (VLAN 102)']);
  await labUp(ctx, ['g02']);
  assert.equal(vm.pool, 'tp-voip-g02');
  assert.match(String(vm.config['net0']), /tag=102$/);
});

test('down removes the VMs and the now-empty pools the lab made, never a pool it did not make or one still in use', async () => {
  // A VM the lab does not know sits in g02's pool.
  h.proxmox.vms.set(300, { vmid: 300, node: 'pve1', name: 'someone-else', template: false, status: 'stopped', pool: 'tp-voip-g02', config: { name: 'someone-else' }, snapshots: new Map(), agentPingsLeft: 0 });
  h.lines.length = 0;
  await labDown(ctx, { yes: true });
  assert.deepEqual([...h.proxmox.vms.keys()].sort(), [300, 9000]);
  assert.deepEqual([...h.proxmox.pools.keys()].sort(), ['accounting', 'tp-voip-g02', 'tp-voip-g03']);
  assert.ok(h.lines.includes('[g01] remove pool tp-voip-g01'));
  assert.ok(h.lines.includes('[g02] pool tp-voip-g02 still holds qemu/300: kept'));
  assert.ok(h.lines.includes('[g03] pool tp-voip-g03 was not made by this lab: left alone'));
  h.proxmox.vms.delete(300);
  h.lines.length = 0;
  await labDown(ctx, { yes: true, only: ['g02'] });
  assert.ok(h.lines.includes('[g02] remove pool tp-voip-g02'));
  assert.equal(h.proxmox.pools.has('tp-voip-g02'), false);
});

test('a token without Pool.Allocate: the error names the privilege and the pool path, and nothing is cloned', async () => {
  h.proxmox.denied.add('Pool.Allocate');
  try {
    h.lines.length = 0;
    await assert.rejects(labUp(ctx, ['g01']), (err: unknown) => err instanceof LabError && err.code === 'LAB_GROUP_FAILED');
    const line = h.lines.find((l) => l.startsWith('[g01] FAILED: ')) ?? '';
    assert.match(line, /^\[g01\] FAILED: LAB_PROXMOX_PERMISSION: POST \/pools: permission denied \(Permission check failed \(\/pool\/tp-voip-g01, Pool\.Allocate\)\): the API token voiplab@pve!lab lacks Pool\.Allocate on \/pool\/tp-voip-g01; grant a role with it, e\.g\. pveum acl modify \/pool\/tp-voip-g01 --tokens 'voiplab@pve!lab' --roles <role>/);
    assert.equal(h.proxmox.vms.has(201), false);
  } finally {
    h.proxmox.denied.delete('Pool.Allocate');
  }
});
