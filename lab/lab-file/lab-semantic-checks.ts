// Rules a schema cannot say: unique names, VMIDs and VLANs (two groups on one VLAN could reach each
// other's lab), members that exist, numbers inside the wizard's internal range, nodes that are
// declared, and what the chosen XiVO flavour cannot do. Pools are one per group too (a group's pool
// is its isolation), and a cloud image needs a storage and one installer.

import type { PathIssue } from '../../ipbx/config/path-issue.ts';
import type { LabFile } from './lab-schema.ts';

export function checkLabSemantics(lab: LabFile): PathIssue[] {
  const issues: PathIssue[] = [];
  const firstSeen = <T>(values: T[], path: (i: number) => Array<string | number>, what: string): void => {
    const seen = new Map<T, number>();
    values.forEach((v, i) => {
      const before = seen.get(v);
      if (before !== undefined) issues.push({ path: path(i), message: `${what} ${String(v)} is already used by item ${before}` });
      else seen.set(v, i);
    });
  };
  firstSeen(lab.groups.map((g) => g.name), (i) => ['groups', i, 'name'], 'group name');
  firstSeen(lab.groups.map((g) => g.vlan), (i) => ['groups', i, 'vlan'], 'VLAN (groups on one VLAN could reach each other)');
  const explicit = lab.groups.flatMap((g, i) => (g.vmid === undefined ? [] : [{ vmid: g.vmid, i }]));
  firstSeen(explicit.map((e) => e.vmid), (k) => ['groups', explicit[k]?.i ?? 0, 'vmid'], 'VMID');
  const range = lab.vm?.vmidRange;
  if (range !== undefined) {
    if (range.to < range.from) issues.push({ path: ['vm', 'vmidRange', 'to'], message: `must not be below from (${range.from})` });
    const needed = lab.groups.filter((g) => g.vmid === undefined).length;
    if (range.to - range.from + 1 < needed) issues.push({ path: ['vm', 'vmidRange'], message: `holds ${range.to - range.from + 1} VMIDs but ${needed} groups need one` });
  }
  const pools = lab.groups.flatMap((g, i) => {
    const pool = g.pool ?? (lab.vm?.poolPerGroup === true ? `${lab.lab}-${g.name}` : undefined);
    return pool === undefined ? [] : [{ pool, i }];
  });
  const poolOwner = new Map<string, string>();
  for (const { pool, i } of pools) {
    const owner = poolOwner.get(pool);
    if (owner !== undefined) issues.push({ path: ['groups', i, 'pool'], message: `pool ${pool} is already group ${owner}'s: each group gets its own pool, so students cannot reach another group's VM` });
    else poolOwner.set(pool, lab.groups[i]?.name ?? '');
  }
  const { template, cloudImage, installer } = lab.source;
  if (template !== undefined && cloudImage !== undefined) issues.push({ path: ['source', 'cloudImage'], pointAt: 'key', message: 'give either template or cloudImage, not both' });
  if (template === undefined && cloudImage === undefined) issues.push({ path: ['source'], pointAt: 'key', message: 'give template (a XiVO template to clone) or cloudImage with installer' });
  if (cloudImage !== undefined && installer === undefined) issues.push({ path: ['source'], pointAt: 'key', message: 'cloudImage needs installer: { url or script, version }' });
  if (cloudImage === undefined && installer !== undefined) issues.push({ path: ['source', 'installer'], pointAt: 'key', message: 'installer goes with cloudImage (a template has XiVO installed already)' });
  if (cloudImage !== undefined && cloudImage.storage === undefined && lab.proxmox.storage === undefined) issues.push({ path: ['source', 'cloudImage'], pointAt: 'key', message: 'needs a storage for the VM disks: set source.cloudImage.storage or proxmox.storage' });
  if (installer !== undefined && (installer.url === undefined) === (installer.script === undefined)) issues.push({ path: ['source', 'installer'], pointAt: 'key', message: 'give exactly one of url (XiVO\'s xivo_install.sh) or script' });
  lab.groups.forEach((g, i) => {
    if (g.node !== undefined && !lab.proxmox.nodes.includes(g.node)) issues.push({ path: ['groups', i, 'node'], message: `${g.node} is not in proxmox.nodes (${lab.proxmox.nodes.join(', ')})` });
    if (g.ip !== 'dhcp' && g.gateway === undefined) issues.push({ path: ['groups', i, 'gateway'], at: ['groups', i], message: 'is required with a static ip (the XiVO wizard needs a gateway)' });
  });
  const x = lab.xivo;
  const numbers = [...x.users.map((u) => u.extension), ...(x.groups ?? []).map((g) => g.extension), ...(x.queues ?? []).map((q) => q.extension)];
  const where = (k: number): Array<string | number> => {
    const users = x.users.length;
    const groups = (x.groups ?? []).length;
    return k < users ? ['xivo', 'users', k, 'extension'] : k < users + groups ? ['xivo', 'groups', k - users, 'extension'] : ['xivo', 'queues', k - users - groups, 'extension'];
  };
  firstSeen(numbers, where, 'extension');
  const start = Number(x.wizard.internal.start);
  const end = Number(x.wizard.internal.end);
  if (end < start) issues.push({ path: ['xivo', 'wizard', 'internal', 'end'], message: `must not be below start (${x.wizard.internal.start})` });
  x.users.forEach((u, i) => {
    const n = Number(u.extension);
    if (n < start || n > end) issues.push({ path: ['xivo', 'users', i, 'extension'], message: `${u.extension} is outside the internal range ${x.wizard.internal.start}-${x.wizard.internal.end} of the wizard` });
  });
  const userNumbers = new Set(x.users.map((u) => u.extension));
  for (const kind of ['groups', 'queues'] as const) {
    (x[kind] ?? []).forEach((item, i) => item.members.forEach((member, j) => {
      if (!userNumbers.has(member)) issues.push({ path: ['xivo', kind, i, 'members', j], message: `${member} is not the extension of a user in xivo.users` });
    }));
  }
  firstSeen((x.groups ?? []).map((g) => g.name), (i) => ['xivo', 'groups', i, 'name'], 'group name');
  firstSeen((x.queues ?? []).map((q) => q.name), (i) => ['xivo', 'queues', i, 'name'], 'queue name');
  if ((x.flavour ?? 'xivo-16.15') === 'xivo-16.15' && (x.queues ?? []).length > 0) {
    issues.push({ path: ['xivo', 'queues'], pointAt: 'key', message: 'XiVO 16.15 confd has no queue API (queues were made through its PHP web services): remove them, or use flavour wazo-20.06 or wazo-26' });
  }
  return issues;
}
