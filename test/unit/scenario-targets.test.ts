// Targets, secrets, ring groups and resilience steps in scenario files: options that belong to
// the other kind of target, accounts without a password source, group members that are not
// accounts, a restart of a target that cannot restart — each refused with file:line:column; the
// environment fills passwords in; groups become the IPBX config's groups and dialplan; capture
// filters and tool lookup.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssue } from '../../ipbx/config/index.ts';
import { ScenarioError, ScenarioFileError, parseScenarioText } from '../../scenarios/runner/index.ts';
import { captureFilter, findCaptureTool } from '../../scenarios/runner/capture/packet-capture.ts';
import { resolveScenarioSecrets } from '../../scenarios/runner/targets/account-secrets.ts';
import { embeddedGroups } from '../../scenarios/runner/targets/embedded-groups.ts';

const FILE = 'scenarios/t.yaml';

function problems(text: string): string[] {
  try {
    parseScenarioText(text, FILE);
  } catch (err) {
    assert.ok(err instanceof ScenarioFileError, `not a ScenarioFileError: ${String(err)}`);
    return err.issues.map(formatIssue);
  }
  assert.fail('the scenario was accepted');
}

const BODY = `accounts:
  - { extension: "1001", password: a }
  - { extension: "1002", passwordEnv: BOB_PW }
phones:
  alice: { account: "1001" }
  bob: { account: "1002", transport: tcp }
steps:
  - register: { phone: alice, expires: 30, refresh: false }
  - drop-network: bob
  - restore-network: { phone: bob }
  - transfer: { phone: alice, to: bob, attended: true }
`;

test('a sip target with its address, and the new steps, load', () => {
  const { scenario } = parseScenarioText(`name: s\ntarget: { kind: sip, host: pbx.example, port: 5070, transports: [udp, tcp], wss: "wss://pbx.example/ws", domain: example.org }\n${BODY}`, FILE);
  assert.deepEqual(scenario.target, { kind: 'sip', host: 'pbx.example', port: 5070, transports: ['udp', 'tcp'], wss: 'wss://pbx.example/ws', domain: 'example.org' });
  assert.deepEqual(scenario.steps[0], { register: { phone: 'alice', expires: 30, refresh: false } });
});

test('target options of the other kind, a sip target without host, a restart it cannot do, a transport it does not offer: refused with their place', () => {
  assert.deepEqual(problems(`name: s
target: { kind: sip, port: 5070, transports: [udp], noAnswerTimeout: 3s }
${BODY}  - restart-target: { down: 1s }
`), [
    `${FILE}:2:9: target: a sip target needs host: the SIP server's name or address`,
    `${FILE}:2:53: target.noAnswerTimeout: is not an option of the sip target`,
    `${FILE}:8:38: phones.bob.transport: the sip target offers udp only`,
    `${FILE}:14:5: steps[4].restart-target: only the embedded target can be restarted`,
  ]);
  assert.deepEqual(problems(`name: s\ntarget: { host: 127.0.0.1 }\n${BODY}`), [`${FILE}:2:11: target.host: is not an option of the embedded target`]);
});

test('an account needs exactly one password source; group members must be accounts, group numbers free', () => {
  assert.deepEqual(problems(`name: s
accounts:
  - { extension: "1001" }
  - { extension: "1002", password: b, passwordEnv: B }
groups:
  - { name: g, number: "1001", members: ["1002", "1009"] }
phones:
  alice: { account: "1002" }
steps:
  - register: alice
`), [
    `${FILE}:3:5: accounts[0]: an account needs password (may be "\${ENV_NAME}") or passwordEnv`,
    `${FILE}:4:39: accounts[1].passwordEnv: give password or passwordEnv, not both`,
    `${FILE}:6:24: groups[0].number: 1001 already rings an account, a group or a queue`,
    `${FILE}:6:50: groups[0].members[1]: no account has extension "1009" (accounts: 1001, 1002)`,
  ]);
});

test('passwords come from the environment: passwordEnv, ${NAME} inside a password; a missing variable is named, never a value', () => {
  const { scenario } = parseScenarioText(`name: s
accounts:
  - { extension: "1001", password: "pre-\${ALICE_PW}-post" }
  - { extension: "1002", passwordEnv: BOB_PW }
phones:
  alice: { account: "1001", password: "\${WRONG_PW}" }
  bob: { account: "1002" }
steps:
  - register: alice
`, FILE);
  const resolved = resolveScenarioSecrets(scenario, { ALICE_PW: 'a1', BOB_PW: 'b2', WRONG_PW: 'w3' });
  assert.deepEqual(resolved.accounts.map((a) => a.password), ['pre-a1-post', 'b2']);
  assert.equal(resolved.phones['alice']?.password, 'w3');
  assert.equal(scenario.accounts[0]?.password, 'pre-${ALICE_PW}-post', 'the loaded scenario is left as written');
  assert.throws(() => resolveScenarioSecrets(scenario, { ALICE_PW: 'a1', WRONG_PW: 'w3' }), (err: unknown) => err instanceof ScenarioError && err.message === 'account 1002: the environment variable BOB_PW (its password) is not set');
});

test('ring groups become config groups and a dialplan rule for each number, after the accounts\' rules', () => {
  const { scenario } = parseScenarioText(`name: s
accounts:
  - { extension: "1001", password: a }
  - { extension: "1002", password: b }
groups:
  - { name: sales, number: "2000", strategy: in-turn, memberTimeout: 2.5s, members: ["1001", "1002"], fallback: "1001" }
phones:
  alice: { account: "1001" }
steps:
  - call: { from: alice, to: "2000" }
`, FILE);
  assert.deepEqual(embeddedGroups(scenario), {
    groups: [{ name: 'sales', strategy: 'in-turn', members: ['1001', '1002'], memberTimeout: 3, fallback: '1001' }],
    queues: [],
    dialplan: [
      { match: '1001', action: { type: 'account' } },
      { match: '1002', action: { type: 'account' } },
      { match: '2000', action: { type: 'group', group: 'sales' } },
    ],
  });
});

test('capture filter and tool lookup', async () => {
  assert.equal(captureFilter([{ address: '127.0.0.1', port: 5060 }, { address: '127.0.0.1', port: 5061 }]), '(host 127.0.0.1 and port 5060) or (host 127.0.0.1 and port 5061)');
  assert.equal(await findCaptureTool(['no-such-capture-tool'], '/usr/bin:/bin'), undefined);
  assert.equal(await findCaptureTool(['no-such-capture-tool', 'sh'], '/nonexistent:/bin'), '/bin/sh');
});
