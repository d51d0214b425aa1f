// The lab file: defaults, errors as file:line:column: field: message (schema and consistency
// rules, all at once), secrets only from the environment, and the committed JSON Schema.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { parseLabText, readLabSecrets, labSchemaJson } from '../../lab/lab-file/index.ts';
import { LabError, LabFileError } from '../../lab/lab-error.ts';
import { threeGroupLab, LAB_ENV } from '../helpers/lab-harness.ts';

const FP = 'AB:'.repeat(31) + 'CD';
const good = threeGroupLab('https://pve.example:8006', FP);

function issuesOf(text: string): string[] {
  try {
    parseLabText(text, 'lab.yaml');
  } catch (err) {
    assert.ok(err instanceof LabFileError, String(err));
    assert.equal(err.code, 'LAB_FILE_INVALID');
    return err.message.split('\n').filter((l) => l.startsWith('lab.yaml'));
  }
  assert.fail('the file was accepted');
}

test('a valid lab file loads with its defaults filled in', () => {
  const lab = parseLabText(good, 'lab.yaml');
  assert.equal(lab.groups.length, 3);
  assert.equal(lab.xivo.flavour, 'xivo-16.15');
  assert.equal(lab.xivo.context, 'default');
  assert.equal(lab.proxmox.tokenSecretEnv, 'PVE_TOKEN_SECRET');
  assert.equal(lab.source.template?.clone, 'linked');
  assert.equal(lab.xivo.users[2]?.webrtc, true);
  assert.equal(lab.xivo.users[0]?.webrtc, false);
});

test('schema errors name the file, line, column and field, all at once', () => {
  const text = good
    .replace('vlan: 102,', 'vlan: 102, colour: blue,')
    .replace('extension: "1002"', 'extension: 1002')
    .replace('  template: { vmid: 9000, node: pve1 }', '  template: { node: pve1 }')
    .replace(`xivo:\n  tls: { fingerprint: "${FP}" }`, `xivo:\n  tls: { fingerprint: "${FP}", insecure: true }`);
  const issues = issuesOf(text);
  assert.equal(issues.length, 4, issues.join('\n'));
  assert.match(issues[0] ?? '', /^lab\.yaml:8:13: source\.template\.vmid: is required$/);
  assert.match(issues[1] ?? '', /^lab\.yaml:14:54: groups\[1\]\.colour: unknown field \(allowed: name, students/);
  assert.match(issues[2] ?? '', /^lab\.yaml:17:8: xivo\.tls: give exactly one of caFile, fingerprint, insecure$/);
  assert.match(issues[3] ?? '', /^lab\.yaml:21:\d+: xivo\.users\[1\]\.extension: must be a string: write "1002" in quotes/);
});

test('a union field says which forms it accepts', () => {
  const issues = issuesOf(good.replace('ip: dhcp', 'ip: automatic'));
  assert.equal(issues.length, 1);
  assert.match(issues[0] ?? '', /groups\[2\]\.ip: "automatic" must be one of "dhcp", a value matching/);
});

test('consistency rules: shared VLANs, unknown members, numbers outside the wizard range, queues on XiVO 16.15', () => {
  const text = good
    .replace('vlan: 102', 'vlan: 101')
    .replace('members: ["1001", "1002"]', 'members: ["1001", "1009"]')
    .replace('extension: "1003"', 'extension: "2003"')
    .concat('\n')
    .replace('parallel: 2', '  queues:\n    - { name: sales, extension: "1200", members: ["1001"] }\nparallel: 2');
  const issues = issuesOf(text);
  assert.equal(issues.length, 4, issues.join('\n'));
  assert.match(issues[0] ?? '', /groups\[1\]\.vlan: VLAN \(groups on one VLAN could reach each other\) 101 is already used/);
  assert.match(issues[1] ?? '', /xivo\.users\[2\]\.extension: 2003 is outside the internal range 1000-1999/);
  assert.match(issues[2] ?? '', /xivo\.groups\[0\]\.members\[1\]: 1009 is not the extension of a user/);
  assert.match(issues[3] ?? '', /xivo\.queues: XiVO 16\.15 confd has no queue API/);
});

test('YAML syntax errors and empty files are positioned too', () => {
  assert.match(issuesOf('lab: [unclosed\n')[0] ?? '', /^lab\.yaml:\d+:\d+: /);
  assert.match(issuesOf('')[0] ?? '', /^lab\.yaml:1:1: the file is empty/);
});

test('secrets come from the environment; every missing variable is named at once', () => {
  const lab = parseLabText(good, 'lab.yaml');
  assert.throws(() => readLabSecrets(lab, { PVE_TOKEN_ID: 'voiplab@pve!lab' }), (err: unknown) => {
    assert.ok(err instanceof LabError);
    assert.equal(err.code, 'LAB_SECRET_MISSING');
    assert.match(err.message, /PVE_TOKEN_SECRET \(named by proxmox\.tokenSecretEnv\), XIVO_ADMIN_PASSWORD \(named by xivo\.adminPasswordEnv\), VOIPLAB_ACCOUNT_SEED/);
    return true;
  });
  assert.throws(() => readLabSecrets(lab, { ...LAB_ENV, VOIPLAB_ACCOUNT_SEED: 'short' }), /at least 16 characters/);
  const secrets = readLabSecrets(lab, LAB_ENV);
  assert.deepEqual(secrets.proxmox, { kind: 'token', tokenId: LAB_ENV.PVE_TOKEN_ID, secret: LAB_ENV.PVE_TOKEN_SECRET });
});

test('the committed lab/lab.schema.json is current and accepts the example (node --import tsx lab/lab-file/write-lab-schema.ts)', async () => {
  const committed = await readFile(new URL('../../lab/lab.schema.json', import.meta.url), 'utf8');
  assert.equal(committed, labSchemaJson(), 'lab/lab.schema.json is stale');
  const validate = new Ajv({ strict: false }).compile(JSON.parse(committed) as object);
  const { parse } = await import('yaml');
  assert.ok(validate(parse(good)), JSON.stringify(validate.errors));
});
