// Scenario files: YAML errors, schema errors and consistency errors come back all at once, each as
// `file:line:column: field: message`; defaults are filled; the committed JSON Schema is current.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatIssue } from '../../ipbx/config/index.ts';
import { ScenarioFileError, parseScenarioText, scenarioSchemaJson } from '../../scenarios/runner/index.ts';
import { parseDuration } from '../../scenarios/runner/duration.ts';

const FILE = 'scenarios/test.yaml';

function problems(text: string): string[] {
  try {
    parseScenarioText(text, FILE);
  } catch (err) {
    assert.ok(err instanceof ScenarioFileError, `not a ScenarioFileError: ${String(err)}`);
    assert.equal(err.code, 'SCENARIO_FILE_INVALID');
    return err.issues.map(formatIssue);
  }
  assert.fail('the scenario was accepted');
}

const GOOD = `name: basic
accounts:
  - { extension: "1001", password: a }
  - { extension: "1002", password: b }
phones:
  alice: { account: "1001", tone: 1000 }
  bob: { account: "1002" }
steps:
  - register: alice
  - call: { from: alice, to: bob }
  - answer: { phone: bob, within: 2s }
  - dtmf: { phone: alice, digits: "12#" }
  - expect: { phone: bob, hears: 1000 }
`;

test('a valid scenario loads with its defaults filled in', () => {
  const { scenario, stepLines } = parseScenarioText(GOOD, FILE);
  assert.deepEqual(scenario.target, { kind: 'embedded', domain: 'voiplab.test' });
  assert.equal(scenario.timeout, '60s');
  assert.equal(scenario.defaultWithin, '5s');
  assert.equal(scenario.phones['bob']?.kind, 'phone');
  assert.equal(scenario.phones['bob']?.transport, 'udp');
  assert.deepEqual(scenario.steps[3], { dtmf: { phone: 'alice', digits: '12#', via: 'rfc4733' } });
  assert.deepEqual(stepLines, [9, 10, 11, 12, 13]);
});

test('schema errors name the file, line, column and field, all at once', () => {
  assert.deepEqual(problems(`name: bad
accounts:
  - { extension: "1001", password: a }
  - { extension: 1002, password: b }
phones:
  alice: { account: "1001", tone: 1000 }
  bob: { account: "1002", kind: nokia }
steps:
  - register: alice
  - register: { phone: alice, statuss: 200 }
  - frobnicate: 1
  - expect: { phone: bob, call: ring }
  - wait: 2 s
  - reject: { phone: bob }
`), [
    `${FILE}:4:18: accounts[1].extension: must be a string: write "1002" in quotes (a bare 1002 is a number in YAML)`,
    `${FILE}:7:33: phones.bob.kind: must be one of "phone", "baresip", "browser" (got "nokia")`,
    `${FILE}:10:31: steps[1].register.statuss: unknown field (allowed: phone, status, within, expires, refresh)`,
    `${FILE}:11:5: steps[2].frobnicate: unknown step (allowed: register, unregister, call, answer, reject, cancel, hangup, hold, resume, transfer, dtmf, wait, drop-network, restore-network, restart-target, expect)`,
    `${FILE}:12:33: steps[3].expect.call: must be one of "ringing", "connected", "ended" (got "ring")`,
    `${FILE}:13:11: steps[4].wait: "2 s" does not have the expected form: a duration: 500ms, 2s, 1.5s (pattern ^[0-9]+(\\.[0-9]+)?(ms|s)$)`,
    `${FILE}:14:13: steps[5].reject.code: is required`,
  ]);
});

test('a step with two keys, and a missing top-level field, are refused', () => {
  assert.deepEqual(problems(`name: bad
accounts: [{ extension: "1001", password: a }]
steps:
  - register: alice
    answer: alice
`), [
    `${FILE}:1:1: phones: is required`,
    `${FILE}:4:5: steps[0]: a step has exactly one key (found register, answer), one of: register, unregister, call, answer, reject, cancel, hangup, hold, resume, transfer, dtmf, wait, drop-network, restore-network, restart-target, expect`,
  ]);
});

test('names must refer to declared accounts and phones; expectations must ask for something', () => {
  assert.deepEqual(problems(`name: bad
accounts: [{ extension: "1001", password: a }]
phones:
  alice: { account: "1009" }
steps:
  - register: carol
  - call: { from: dave, to: "1001" }
  - expect: { phone: alice }
  - expect: { hears: 440 }
  - expect: { phone: alice, call: connected, cause: rejected }
`), [
    `${FILE}:4:21: phones.alice.account: no account has extension "1009" (accounts: 1001)`,
    `${FILE}:6:15: steps[0].register: no phone is named "carol" (phones: alice)`,
    `${FILE}:7:19: steps[1].call.from: no phone is named "dave" (phones: alice)`,
    `${FILE}:8:13: steps[2].expect: an expectation needs one of call, hears, silence, dtmf, registration, cdr, queue`,
    `${FILE}:9:13: steps[3].expect.phone: is required to expect hears`,
    `${FILE}:10:46: steps[4].expect.cause: goes with call: ended`,
  ]);
});

test('YAML syntax errors and empty files are placed too', () => {
  const [syntax] = problems('name: [unclosed\n');
  assert.match(syntax ?? '', /^scenarios\/test\.yaml:\d+:\d+: /);
  assert.deepEqual(problems(''), [`${FILE}:1:1: the file is empty; a scenario needs name, accounts, phones and steps (see docs/scenarios.md)`]);
});

test('durations read as milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.throws(() => parseDuration('2 s'), RangeError);
});

test('scenarios/scenario.schema.json is current (node --import tsx scenarios/runner/write-scenario-schema.ts)', () => {
  const committed = readFileSync(fileURLToPath(new URL('../../scenarios/scenario.schema.json', import.meta.url)), 'utf8');
  assert.equal(committed, scenarioSchemaJson());
});

test('every example scenario is valid', async () => {
  const { readdirSync } = await import('node:fs');
  const dir = fileURLToPath(new URL('../../scenarios/examples/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 7);
  for (const file of files) parseScenarioText(readFileSync(dir + file, 'utf8'), file);
});
