// The scenario runner end to end, against the embedded target (a voiplab IPBX in-process with
// rtpengine media): the example library passes; a scenario written to fail says which step failed
// and why; `voiplab run` prints progress and the summary, exits 1 on a failure, refuses bad files
// with file:line:column, and writes reports that parse.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.ts';
import type { CliIo } from '../../cli/cli-io.ts';
import { findScenarioFiles, junitReport, loadScenarioFile, parseScenarioText, runScenario, runScenarios, type RunSummary } from '../../scenarios/runner/index.ts';

const EXAMPLES = fileURLToPath(new URL('../../scenarios/examples/', import.meta.url));
const skip = existsSync('/usr/bin/rtpengine') ? false : 'rtpengine (Debian rtpengine-daemon) is not installed';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'voiplab-scenario-test-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {} };
  return { code: await main(argv, io), out, err };
}

const TWO_PHONES = `accounts:
  - { extension: "1001", password: alice-secret-1001 }
  - { extension: "1002", password: bob-secret-1002 }
phones:
  alice: { account: "1001", tone: 1000 }
  bob: { account: "1002" }
`;

/** Expects a tone nobody sends: Alice plays 1000 Hz, Bob listens for 700 Hz. */
const WRONG_TONE = `name: expects a tone nobody sends
${TWO_PHONES}steps:
  - register: alice
  - register: bob
  - call: { from: alice, to: bob }
  - answer: bob
  - expect: { phone: bob, hears: 700, within: 1500ms }
  - hangup: alice
`;

test('the example library passes against the embedded target', { skip, timeout: 240_000 }, async () => {
  const files = await findScenarioFiles([EXAMPLES]);
  const loaded = await Promise.all(files.map((f) => loadScenarioFile(f)));
  const summary = await runScenarios(loaded, { parallel: 2 });
  const failures = summary.scenarios.filter((s) => s.verdict === 'failed').map((s) => `${s.id}: ${s.failure ?? ''}`);
  assert.deepEqual(failures, []);
  assert.equal(summary.passed, files.length);
  const basic = summary.scenarios.find((s) => s.file.endsWith('basic-call.yaml'));
  const call = basic?.steps.find((s) => s.kind === 'call');
  assert.ok(call?.timings?.postDialDelayMs !== undefined && call.timings.setupMs !== undefined && call.timings.timeToAudioMs !== undefined, `call timings: ${JSON.stringify(call?.timings)}`);
  assert.ok((basic?.sip.length ?? 0) > 10, 'the phones\' SIP messages are traced');
});

test('a scenario expecting a tone nobody sends fails at that step, saying what was heard', { skip, timeout: 30_000 }, async () => {
  const result = await runScenario(parseScenarioText(WRONG_TONE, 'wrong-tone.yaml'));
  assert.equal(result.verdict, 'failed');
  assert.match(result.failure ?? '', /^step 5 \(line 13\) expect bob hears 700 Hz: not within 1500 ms: 700 Hz not detected: tonal in 0% of \d+ windows/);
  assert.deepEqual(result.steps.map((s) => s.verdict), ['passed', 'passed', 'passed', 'passed', 'failed', 'skipped']);
});

test('a scenario expecting the wrong code fails at once with the status seen', { skip, timeout: 30_000 }, async () => {
  const result = await runScenario(parseScenarioText(`name: wrong code
${TWO_PHONES}steps:
  - register: alice
  - register: bob
  - call: { from: alice, to: bob }
  - reject: { phone: bob, code: 486 }
  - expect: { phone: alice, call: ended, status: 404, within: 10s }
`, 'wrong-code.yaml'));
  assert.equal(result.failure, "step 5 (line 13) expect alice call ended, status 404: alice's call is ended (rejected, status 486)");
  assert.ok((result.steps[4]?.durationMs ?? Infinity) < 5000, 'a final state fails without waiting out its bound');
});

test('voiplab run: progress, summary, exit 1 on a failure, reports that parse', { skip, timeout: 60_000 }, async () => {
  const failing = join(dir, 'wrong-tone.yaml');
  await writeFile(failing, WRONG_TONE);
  const junit = join(dir, 'out', 'junit.xml');
  const json = join(dir, 'out', 'report.json');
  const html = join(dir, 'out', 'report.html');
  const { code, out } = await run(['run', failing, join(EXAMPLES, 'unknown-number.yaml'), '--parallel', '2', '--report', `junit=${junit},json=${json},html=${html}`]);
  assert.equal(code, 1, out.join('\n'));
  assert.equal(out[0], 'running 2 scenarios, 2 at a time');
  assert.ok(out.some((l) => /^ {2}ok {3}unknown number is answered 404 › step 2\/3 call alice → 9999 \(\d+ ms, at \d+\.\d s\)$/.test(l)), out.join('\n'));
  assert.ok(out.some((l) => l.startsWith(`FAIL expects a tone nobody sends (${failing}, `) && l.includes('step 5 (line 13) expect bob hears 700 Hz')), out.join('\n'));
  assert.ok(out.some((l) => l.startsWith('PASS unknown number is answered 404')));
  assert.match(out.at(-1) ?? '', /^1 passed, 1 failed \(\d+\.\d s\)$/);
  const summary = JSON.parse(await readFile(json, 'utf8')) as RunSummary;
  // Files under the working folder are named relative to it (stable ids); others as given.
  assert.deepEqual(summary.scenarios.map((s) => s.id), [`${failing}#expects a tone nobody sends`, `${relative(process.cwd(), join(EXAMPLES, 'unknown-number.yaml'))}#unknown number is answered 404`]);
  // The JUnit file is the (unit-tested, well-formed) rendering of the same run.
  assert.equal(await readFile(junit, 'utf8'), junitReport(summary));
  assert.match(await readFile(html, 'utf8'), /<svg /);
});

test('voiplab run --only runs the named scenario; passing runs exit 0', { skip, timeout: 60_000 }, async () => {
  const { code, out } = await run(['run', EXAMPLES, '--only', 'wrong password is refused']);
  assert.equal(code, 0, out.join('\n'));
  assert.equal(out.at(-1)?.replace(/\(.*\)/, ''), '1 passed, 0 failed ');
});

test('voiplab run refuses bad files with file:line:column before running anything', async () => {
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, 'name: bad\naccounts: []\nphones: {}\nsteps:\n  - ring: alice\n');
  const { code, out, err } = await run(['run', bad]);
  assert.equal(code, 1);
  assert.deepEqual(out, []);
  assert.deepEqual(err, [
    `${bad}:2:11: accounts: must NOT have fewer than 1 items`,
    `${bad}:5:5: steps[0].ring: unknown step (allowed: register, unregister, call, answer, reject, cancel, hangup, hold, resume, transfer, dtmf, wait, drop-network, restore-network, restart-target, expect)`,
  ]);
  const usage = await run(['run']);
  assert.equal(usage.code, 2);
  const missing = await run(['run', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 1);
  assert.match(missing.err[0] ?? '', /nope\.yaml: cannot read: ENOENT/);
});
