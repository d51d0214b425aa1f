// Loading voiplab.yaml: defaults applied, and every problem reported at once as
// `file:line:column: field: message` with the place of the offending YAML node.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatIssue, loadConfig, parseConfigText, type ConfigIssue } from '../../ipbx/config/index.ts';

const MINIMAL = `domain: lab.example
sip:
  listeners:
    - { protocol: udp, address: 127.0.0.1, port: 5060 }
`;

function issuesOf(text: string): Array<Pick<ConfigIssue, 'line' | 'column' | 'field'> & { message: string }> {
  try {
    parseConfigText(text, 'lab.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'IPBX_CONFIG_INVALID');
    return err.issues.map(({ line, column, field, message }) => ({ line, column, field, message }));
  }
  assert.fail('expected a ConfigError');
}

test('a minimal file loads with every default applied', () => {
  const { config } = parseConfigText(MINIMAL, 'lab.yaml');
  assert.equal(config.domain, 'lab.example');
  assert.equal(config.sip.userAgent, 'voiplab');
  assert.deepEqual(config.http, { listeners: [], corsOrigins: [] });
  assert.deepEqual(config.accounts, []);
  assert.deepEqual(config.security.digestAlgorithms, ['MD5']);
  assert.deepEqual(config.security.ban, { maxFailures: 10, windowSeconds: 300, banSeconds: 900 });
  assert.deepEqual(config.security.registration, { minExpires: 60, maxExpires: 3600, defaultExpires: 600 });
  assert.equal(config.media.mode, 'passthrough');
  assert.equal(config.calls.noAnswerTimeout, 30);
});

test('account, group and dialplan defaults are filled per item', () => {
  const { config } = parseConfigText(`${MINIMAL}accounts:
  - { extension: "1001", password: secret-secret }
groups:
  - { name: sales, members: ["1001", "sip:bob@example.org"] }
dialplan:
  - { match: "100", action: { type: group, group: sales } }
`, 'lab.yaml');
  const [account] = config.accounts;
  assert.equal(account?.displayName, '');
  assert.equal(account?.enabled, true);
  assert.deepEqual(account?.transports, ['udp', 'tcp', 'tls', 'ws', 'wss']);
  assert.equal(account?.maxContacts, 5);
  assert.equal(config.groups[0]?.strategy, 'simultaneous');
  assert.equal(config.groups[0]?.memberTimeout, 20);
  assert.equal(config.dialplan[0]?.allowUnauthenticated, false);
});

test('schema errors: unknown field at its key, wrong value at the value, missing field at its parent', () => {
  const text = `domain: lab.example
sip:
  listeners:
    - { protocol: sctp, address: 127.0.0.1, port: 70000 }
    - protocol: tcp
      address: 127.0.0.1
      port: 5060
      colour: blue
accounts:
  - extension: 1001
    password: secret-secret
  - displayName: Nobody
    password: secret-secret
`;
  assert.deepEqual(issuesOf(text), [
    { line: 4, column: 19, field: 'sip.listeners[0].protocol', message: 'must be one of "udp", "tcp", "tls", "ws", "wss" (got "sctp")' },
    { line: 4, column: 51, field: 'sip.listeners[0].port', message: 'must be <= 65535' },
    { line: 8, column: 7, field: 'sip.listeners[1].colour', message: 'unknown field (allowed: protocol, address, port, advertisedAddress)' },
    { line: 10, column: 16, field: 'accounts[0].extension', message: 'must be a string: write "1001" in quotes (a bare 1001 is a number in YAML)' },
    { line: 12, column: 5, field: 'accounts[1].extension', message: 'is required' },
  ]);
});

test('dialplan actions: the branch the `type` names is the one reported', () => {
  const text = `${MINIMAL}dialplan:
  - match: "1"
    action: { type: group }
  - match: "2"
    action: { type: dance }
  - match: "3"
    action: { type: announcement, prompt: hello, next: "" }
  - match: "4"
    action: { type: reject, code: 200 }
`;
  assert.deepEqual(issuesOf(text), [
    { line: 7, column: 13, field: 'dialplan[0].action.group', message: 'is required' },
    { line: 9, column: 21, field: 'dialplan[1].action.type', message: 'must be one of "account", "group", "queue", "queue-agent", "announcement", "reject", "redirect" (got "dance")' },
    { line: 11, column: 56, field: 'dialplan[2].action.next', message: 'must NOT have fewer than 1 characters' },
    { line: 13, column: 35, field: 'dialplan[3].action.code', message: 'must be >= 400' },
  ]);
});

test('semantic errors: duplicates, credentials, unknown references, clashing listeners', () => {
  const text = `domain: lab.example
sip:
  listeners:
    - { protocol: udp, address: 0.0.0.0, port: 5060 }
    - { protocol: tcp, address: 0.0.0.0, port: 5060 }
    - { protocol: ws, address: 127.0.0.1, port: 5060 }
http:
  listeners:
    - { protocol: http, address: 127.0.0.1, port: 8080 }
    - { protocol: https, address: 127.0.0.1, port: 8080 }
accounts:
  - { extension: "1001", password: secret-secret }
  - { extension: "1001", password: secret-secret }
  - extension: "1002"
  - extension: "1003"
    password: secret-secret
    ha1: { MD5: 0123456789abcdef0123456789abcdef }
  - extension: "1004"
    ha1: { SHA-256: ${'a'.repeat(64)} }
groups:
  - { name: sales, members: ["1001", "9999"] }
  - { name: sales, members: ["sip:x@example.org"] }
dialplan:
  - { match: "1", action: { type: group, group: support } }
  - { match: "2", action: { type: account, extension: "2000" } }
`;
  assert.deepEqual(issuesOf(text), [
    { line: 6, column: 49, field: 'sip.listeners[2].port', message: 'ws 127.0.0.1:5060 needs the TCP port 5060 that sip.listeners[1] (tcp 0.0.0.0:5060) already uses' },
    { line: 10, column: 52, field: 'http.listeners[1].port', message: 'https 127.0.0.1:8080 needs the TCP port 8080 that http.listeners[0] (http 127.0.0.1:8080) already uses' },
    { line: 13, column: 18, field: 'accounts[1].extension', message: 'duplicate extension 1001 (also accounts[0])' },
    { line: 14, column: 5, field: 'accounts[2].password', message: 'is required (or ha1 hashes)' },
    { line: 17, column: 5, field: 'accounts[3].ha1', message: 'give either password or ha1, not both' },
    { line: 19, column: 10, field: 'accounts[4].ha1.MD5', message: 'is required: security.digestAlgorithms challenges with MD5' },
    { line: 21, column: 38, field: 'groups[0].members[1]', message: "9999 is neither an account's extension nor a SIP URI (sip:user@host)" },
    { line: 22, column: 13, field: 'groups[1].name', message: 'duplicate group name sales' },
    { line: 24, column: 49, field: 'dialplan[0].action.group', message: 'no group is named support' },
    { line: 25, column: 55, field: 'dialplan[1].action.extension', message: 'no account has extension 2000' },
  ]);
});

test('tls certFile without keyFile, and inverted registration bounds', () => {
  const text = `${MINIMAL}tls:
  certFile: cert.pem
security:
  registration: { minExpires: 600, defaultExpires: 60 }
`;
  assert.deepEqual(issuesOf(text), [
    { line: 6, column: 3, field: 'tls.keyFile', message: 'is required when the other of certFile/keyFile is set' },
    { line: 8, column: 17, field: 'security.registration', message: 'needs minExpires (600) ≤ defaultExpires (60) ≤ maxExpires (3600)' },
  ]);
});

test('YAML syntax errors carry their line and column', () => {
  assert.deepEqual(issuesOf('domain: a\ndomain: b\n'), [{ line: 2, column: 1, field: '', message: 'Map keys must be unique' }]);
  const [tab] = issuesOf('domain: x\n\tsip: 1\n');
  assert.deepEqual([tab?.line, tab?.column], [2, 1]);
  assert.match(tab?.message ?? '', /tab/i);
  assert.deepEqual(issuesOf(''), [{ line: 1, column: 1, field: '', message: 'the file is empty; a config needs at least domain and sip.listeners' }]);
});

test('formatIssue reads file:line:column: field: message', () => {
  assert.equal(formatIssue({ file: 'a.yaml', line: 3, column: 7, field: 'domain', message: 'is required' }), 'a.yaml:3:7: domain: is required');
  assert.equal(formatIssue({ file: 'a.yaml', line: 0, column: 0, field: 'password', message: 'too short' }), 'a.yaml: password: too short');
});

test('loadConfig names the file in issues, and an unreadable file is IPBX_CONFIG_UNREADABLE', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-config-'));
  try {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, `${MINIMAL}calls: { noAnswerTimeout: 0 }\n`);
    await assert.rejects(loadConfig(file), (err: unknown) => err instanceof ConfigError && err.message === `${file}:5:27: calls.noAnswerTimeout: must be >= 1`);
    await assert.rejects(loadConfig(join(dir, 'missing.yaml')), { code: 'IPBX_CONFIG_UNREADABLE' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
