// The planners as pure functions: desired state vs what Proxmox and XiVO report, and the small
// formats they rely on (net0/ipconfig0, UPIDs, derived passwords, fingerprints, netmasks).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabText } from '../../lab/lab-file/index.ts';
import { desiredGroups, CLEAN_SNAPSHOT, type DesiredGroup } from '../../lab/plan/desired-state.ts';
import { planVm, desiredVmConfig, changedKeys, type VmObservation } from '../../lab/plan/plan-vm.ts';
import { planXivo } from '../../lab/plan/plan-xivo.ts';
import { emptyInventory, type XivoInventory } from '../../lab/plan/xivo-inventory.ts';
import { derivePassword } from '../../lab/plan/account-passwords.ts';
import { parseNetDevice, formatNetDevice, parseIpConfig, parseUpid } from '../../lab/proxmox/index.ts';
import { normalizeFingerprint } from '../../lab/http/tls-trust.ts';
import { prefixToNetmask } from '../../lab/commands/converge-group.ts';
import { XIVO_FLAVOURS, memberUuids } from '../../lab/xivo/index.ts';
import { threeGroupLab } from '../helpers/lab-harness.ts';

const lab = parseLabText(threeGroupLab('https://pve.example:8006', 'AB:'.repeat(31) + 'CD'), 'lab.yaml');
const groups = desiredGroups(lab, 'seed-seed-seed-seed-seed');
const g01 = groups[0] as DesiredGroup;
const template = { vmid: 9000, node: 'pve1', full: false };
const templateVm = { id: 'qemu/9000', type: 'qemu', vmid: 9000, node: 'pve1', name: 'xivo', template: 1 };
const nameOf = XIVO_FLAVOURS['xivo-16.15'].nameOf;

test('desired state: VMIDs from the range in group order, nodes, names, tags, passwords per group', () => {
  assert.deepEqual(groups.map((g) => [g.vmName, g.vmid, g.node, g.vlan]), [['tp-voip-g01', 201, 'pve1', 101], ['tp-voip-g02', 202, 'pve1', 102], ['tp-voip-g03', 203, 'pve1', 103]]);
  assert.equal(g01.tag, 'voiplab-tp-voip');
  assert.notEqual(g01.accounts[0]?.password, groups[1]?.accounts[0]?.password);
  assert.equal(g01.accounts[0]?.password, derivePassword('seed-seed-seed-seed-seed', 'tp-voip', 'g01', '1001'));
  assert.match(g01.accounts[0]?.password ?? '', /^[a-zA-Z2-9]{4}(-[a-zA-Z2-9]{4}){3}$/);
  assert.ok(g01.accounts[2]?.options.some(([k, v]) => k === 'transport' && v === 'ws,wss'), 'the WebRTC account carries WebSocket options');
});

test('plan VM: nothing exists → clone, configure, clean snapshot, start', () => {
  const plan = planVm(g01, template, { template: templateVm, vm: undefined, vmidHolder: undefined });
  assert.deepEqual(plan.actions.map((a) => a.kind), ['clone', 'configure', 'snapshot', 'start']);
  assert.deepEqual(plan.blockers, []);
});

test('plan VM: a missing template, or a VMID held by a VM this lab did not make, blocks with what to do', () => {
  const missing = planVm(g01, template, { template: undefined, vm: undefined, vmidHolder: undefined });
  assert.equal(missing.blockers[0]?.code, 'LAB_TEMPLATE_MISSING');
  assert.match(missing.blockers[0]?.message ?? '', /qm template 9000/);
  const notTemplate = planVm(g01, template, { template: { ...templateVm, template: 0 }, vm: undefined, vmidHolder: undefined });
  assert.match(notTemplate.blockers[0]?.message ?? '', /it is a VM, not a template/);
  const taken = planVm(g01, template, { template: templateVm, vm: undefined, vmidHolder: { id: 'qemu/201', type: 'qemu', vmid: 201, name: 'someone-else', node: 'pve1' } });
  assert.equal(taken.blockers[0]?.code, 'LAB_VMID_TAKEN');
  const foreign = planVm(g01, template, { template: templateVm, vm: { vmid: 150, node: 'pve1', name: 'tp-voip-g01', status: 'running', owned: false }, vmidHolder: undefined });
  assert.equal(foreign.blockers[0]?.code, 'LAB_VMID_TAKEN');
  assert.deepEqual(foreign.actions, []);
});

function existing(status: 'running' | 'stopped', changes: Record<string, string> = {}, snapshots = [CLEAN_SNAPSHOT]): VmObservation {
  const config = { ...desiredVmConfig(g01, { net0: 'virtio=BC:24:11:AA:BB:CC,bridge=vmbr0' }), ...changes };
  return { template: templateVm, vm: { vmid: 201, node: 'pve1', name: g01.vmName, status, owned: true, config, snapshots }, vmidHolder: undefined };
}

test('plan VM: an up-to-date running VM needs nothing; a stopped one only a start', () => {
  assert.deepEqual(planVm(g01, template, existing('running')).actions, []);
  assert.deepEqual(planVm(g01, template, existing('stopped')).actions.map((a) => a.kind), ['start']);
});

test('plan VM: a changed VLAN reconfigures only net0, keeping the MAC; a note says when it applies', () => {
  const plan = planVm(g01, template, existing('running', { net0: 'virtio=BC:24:11:AA:BB:CC,bridge=vmbr1,tag=999' }));
  assert.equal(plan.actions.length, 1);
  const action = plan.actions[0];
  assert.ok(action?.kind === 'configure');
  assert.deepEqual(action.changed, ['net0']);
  assert.equal(action.params['net0'], 'virtio=BC:24:11:AA:BB:CC,bridge=vmbr1,tag=101');
  assert.match(plan.notes[0] ?? '', /next restart/);
});

test('plan VM: a running VM without the clean snapshot is noted (reset impossible), a stopped one gets it', () => {
  assert.match(planVm(g01, template, existing('running', {}, [])).notes.join(), /lab reset is not possible/);
  assert.deepEqual(planVm(g01, template, existing('stopped', {}, [])).actions.map((a) => a.kind), ['snapshot', 'start']);
});

test('config comparison ignores spelling: memory as current=, agent as enabled=1, extra tags, other description lines', () => {
  const want = desiredVmConfig(g01, undefined);
  const have = { ...want, memory: 'current=2048', agent: 'enabled=1,fstrim_cloned_disks=1', tags: 'teacher;voiplab-tp-voip', description: `keep me\n${String(want['description'])}` };
  assert.deepEqual(changedKeys(want, have), []);
  assert.deepEqual(changedKeys(want, { ...have, cores: 4 }), ['cores']);
});

test('plan XiVO: a fresh XiVO needs the wizard and every piece of every account, then the call group', () => {
  const actions = planXivo(g01, emptyInventory(false), nameOf);
  assert.deepEqual(actions.map((a) => a.kind), ['wizard', 'account', 'account', 'account', 'group']);
  const first = actions[1];
  assert.ok(first?.kind === 'account');
  assert.deepEqual(first.steps, ['user', 'endpoint', 'line', 'line-endpoint', 'extension', 'line-extension', 'user-line']);
});

function complete(): XivoInventory {
  const inv = emptyInventory(true);
  g01.accounts.forEach((a, i) => {
    const uuid = `u-${i}`;
    inv.users.push({ id: i + 1, uuid, firstname: a.firstname, userfield: a.userfield });
    inv.endpoints.push({ id: 10 + i, username: a.username, secret: a.password, options: [...a.options].reverse() });
    inv.extensions.push({ id: 20 + i, exten: a.extension, context: 'default' });
    inv.lines.push({ id: 30 + i, context: 'default', endpoint_sip: { id: 10 + i }, extensions: [{ id: 20 + i }], users: [{ uuid }] });
  });
  inv.extensions.push({ id: 99, exten: '1100', context: 'default' });
  inv.groups.push({ id: 1, name: 'support', extensions: [{ id: 99 }], members: [{ users: [{ uuid: 'u-0' }, { uuid: 'u-1' }] }] });
  return inv;
}

test('plan XiVO: a complete XiVO needs nothing (option order does not matter); drift is found step by step', () => {
  assert.deepEqual(planXivo(g01, complete(), nameOf), []);
  const drift = complete();
  (drift.endpoints[0] as { secret: string }).secret = 'changed';
  (drift.lines[1] as { users: unknown[] }).users = [];
  drift.groups[0] = { id: 1, name: 'support', extensions: [{ id: 99 }], members: [{ users: [{ uuid: 'u-0' }] }] };
  const actions = planXivo(g01, drift, nameOf);
  assert.deepEqual(actions.map((a) => (a.kind === 'account' ? `${a.account.extension}:${a.steps.join('+')}` : a.kind === 'group' ? `group:${a.steps.join('+')}` : a.kind)), ['1001:secret', '1002:user-line', 'group:members']);
});

test('group members are read in both flavours\' shapes', () => {
  assert.deepEqual(memberUuids([{ users: [{ uuid: 'a' }] }]), ['a']);
  assert.deepEqual(memberUuids({ users: [{ uuid: 'b' }] }), ['b']);
  assert.deepEqual(memberUuids(undefined), []);
});

test('net0 and ipconfig0 round-trip; UPIDs parse; fingerprints normalise; prefixes become netmasks', () => {
  const net = parseNetDevice('virtio=BC:24:11:00:00:01,bridge=vmbr1,tag=101,firewall=1');
  assert.deepEqual(net, { model: 'virtio', mac: 'BC:24:11:00:00:01', bridge: 'vmbr1', tag: 101, firewall: true });
  assert.equal(formatNetDevice(net), 'virtio=BC:24:11:00:00:01,bridge=vmbr1,tag=101,firewall=1');
  assert.deepEqual(parseIpConfig('gw=10.0.0.1,ip=10.0.0.2/24'), { dhcp: false, cidr: '10.0.0.2/24', gateway: '10.0.0.1' });
  assert.deepEqual(parseIpConfig('ip=dhcp'), { dhcp: true });
  assert.deepEqual(parseUpid('UPID:pve1:00001234:0001E240:6553F1A0:qmclone:9000:voiplab@pve!lab:'), { upid: 'UPID:pve1:00001234:0001E240:6553F1A0:qmclone:9000:voiplab@pve!lab:', node: 'pve1', type: 'qmclone', id: '9000', user: 'voiplab@pve!lab' });
  assert.throws(() => parseUpid('nope'), /not a Proxmox task id/);
  assert.equal(normalizeFingerprint('ab'.repeat(32), 'tls'), 'AB:'.repeat(31) + 'AB');
  assert.throws(() => normalizeFingerprint('AB:CD', 'proxmox.tls.fingerprint'), /proxmox\.tls\.fingerprint: "AB:CD" is not a SHA-256 fingerprint/);
  assert.equal(prefixToNetmask(24), '255.255.255.0');
  assert.equal(prefixToNetmask(20), '255.255.240.0');
  assert.equal(prefixToNetmask(32), '255.255.255.255');
});
