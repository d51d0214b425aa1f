// The Wazo 20.06 flavour (queues through confd, groups with labels, auth without backend) against
// a fake Wazo checked with Wazo's schemas; a XiVO that never answers, and a VM of the same name
// that this lab did not make.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabError } from '../../lab/lab-error.ts';
import { labUp } from '../../lab/commands/lab-up.ts';
import { startLabHarness, threeGroupLab } from '../helpers/lab-harness.ts';

const oneGroup = (url: string, fp: string): string => threeGroupLab(url, fp)
  .replace(/ {2}- \{ name: g0[23].*\n/g, '')
  .replace('xivo:\n', 'xivo:\n  flavour: wazo-20.06\n  queues:\n    - { name: sales, extension: "1200", members: ["1001", "1003"] }\n');

test('Wazo 20.06: accounts, call group and queue are made through confd and follow Wazo\'s schemas', async () => {
  const h = await startLabHarness({ flavour: 'wazo-20.06', labText: oneGroup });
  try {
    await labUp(await h.open());
    const wazo = h.fleet.instances.get('10.10.1.10');
    assert.equal(wazo?.state.queues[0]?.name, 'sales');
    assert.equal(wazo?.state.queues[0]?.memberUuids.length, 2);
    assert.equal(wazo?.state.groups[0]?.label, 'support');
    assert.equal(wazo?.state.wizard['entity_name'], undefined, 'Wazo\'s wizard takes no entity');
    const before = wazo?.requests.length ?? 0;
    await labUp(await h.open());
    assert.deepEqual(wazo?.requests.slice(before).filter((r) => !r.startsWith('GET ') && r !== 'POST /0.1/token'), []);
    assert.deepEqual(h.violations(), []);
  } finally {
    await h.close();
  }
});

test('a XiVO that never answers fails its group with LAB_XIVO_UNREACHABLE after the time limit', async () => {
  const h = await startLabHarness({ labText: (url, fp) => oneGroup(url, fp).replace('  flavour: wazo-20.06\n', '').replace(/ {2}queues:\n.*\n/, '').replace('xivoSeconds: 3', 'xivoSeconds: 1') });
  try {
    const ctx = await h.open();
    (await h.fleet.resolve('10.10.1.10'), h.fleet.instances.get('10.10.1.10'))!.offline = true;
    await assert.rejects(labUp(ctx), /LAB_GROUP_FAILED|1 of 1 groups failed/);
    assert.match(h.lines.join('\n'), /\[g01\] FAILED: LAB_XIVO_UNREACHABLE: XiVO 16\.15 at 127\.0\.0\.1 did not answer within 1 s/);
    assert.deepEqual(h.violations(), []);
  } finally {
    await h.close();
  }
});

test('a VM of the group\'s name that this lab did not make is never touched', async () => {
  const h = await startLabHarness({ labText: oneGroup });
  try {
    h.proxmox.vms.set(150, { vmid: 150, node: 'pve1', name: 'tp-voip-g01', template: false, status: 'running', config: { name: 'tp-voip-g01' }, snapshots: new Map(), agentPingsLeft: 0 });
    const ctx = await h.open();
    await assert.rejects(labUp(ctx), (err: unknown) => err instanceof LabError && err.code === 'LAB_GROUP_FAILED');
    assert.match(h.lines.join('\n'), /LAB_VMID_TAKEN: group g01: a VM named tp-voip-g01 \(VMID 150\) exists but was not made by lab tp-voip/);
    await ctx.proxmox.get('/version');
    assert.deepEqual(h.proxmox.writesSince(0), []);
    h.lines.length = 0;
    const { labDown } = await import('../../lab/commands/lab-down.ts');
    await labDown(ctx, { yes: true });
    assert.match(h.lines.join('\n'), /VM 150 named tp-voip-g01 was not made by this lab: left alone/);
    assert.equal(h.proxmox.vms.has(150), true);
  } finally {
    await h.close();
  }
});
