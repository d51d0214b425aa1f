// The scenario runner's `baresip` and `browser` phones, end to end against the embedded target
// (a voiplab IPBX with rtpengine media): real baresip processes and real Chromiums running the
// softphone. The example scenarios pass; baresip rejects, cancels, holds (and hears silence) and
// transfers; the browser sends and receives SIP INFO digits; scenarios written to fail (a tone
// nobody sends, a reject code the kind cannot send) fail at the step, saying why.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile, parseScenarioText, runScenario, type ScenarioResult } from '../../scenarios/runner/index.ts';
import { baresipSkipReason } from '../../scenarios/runner/phones/baresip-process.ts';
import { CHROMIUM } from '../../scenarios/runner/phones/chromium.ts';

const EXAMPLES = fileURLToPath(new URL('../../scenarios/examples/', import.meta.url));
const noRtpengine = existsSync('/usr/bin/rtpengine') ? false : 'rtpengine (Debian rtpengine-daemon) is not installed';
const skipBaresip = noRtpengine || baresipSkipReason();
const skipBrowser = noRtpengine || (existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (Debian: apt-get install chromium)`);

const ACCOUNTS = `accounts:
  - { extension: "1001", password: soft-secret-1001 }
  - { extension: "1002", password: desk-secret-1002 }
`;

/** Every step's verdict and message, for an assertion that shows what happened. */
function steps(result: ScenarioResult): string {
  return result.steps.map((s) => `${s.verdict} ${s.label}${s.message === undefined ? '' : `: ${s.message}`}`).join('\n');
}

test('baresip: the example passes, with the call\'s timings measured on the baresip side', { skip: skipBaresip, timeout: 60_000 }, async () => {
  const result = await runScenario(await loadScenarioFile(`${EXAMPLES}basic-call-baresip.yaml`));
  assert.equal(result.verdict, 'passed', `${result.failure ?? ''}\n${steps(result)}`);
  const call = result.steps.find((s) => s.kind === 'call');
  assert.ok(call?.timings?.postDialDelayMs !== undefined && call.timings.setupMs !== undefined && call.timings.timeToAudioMs !== undefined, `timings: ${JSON.stringify(call?.timings)}`);
  const heard = result.steps.find((s) => s.label === 'expect soft hears 1500 Hz');
  assert.match(heard?.message ?? '', /^1500 Hz detected: tonal in \d+% of/);
});

test('baresip: rejects with 486, cancels, is rejected, holds and then hears silence', { skip: skipBaresip, timeout: 60_000 }, async () => {
  const result = await runScenario(parseScenarioText(`name: baresip call control
${ACCOUNTS}phones:
  soft: { account: "1001", kind: baresip, tone: 1000 }
  desk: { account: "1002", tone: 1500 }
steps:
  - register: soft
  - register: desk
  - call: { from: soft, to: desk }
  - reject: { phone: desk, code: 486 }
  - expect: { phone: soft, call: ended, cause: rejected, status: 486 }
  - call: { from: desk, to: soft }
  - reject: { phone: soft, code: 486 }
  - expect: { phone: desk, call: ended, cause: rejected, status: 486 }
  - call: { from: soft, to: desk }
  - expect: { phone: desk, call: ringing }
  - cancel: soft
  - expect: { phone: soft, call: ended, cause: cancelled }
  - expect: { phone: desk, call: ended, cause: cancelled }
  - call: { from: desk, to: soft }
  - answer: soft
  - expect: { phone: soft, hears: 1500 }
  - hold: soft
  - expect: { phone: soft, silence: true }
  - hangup: soft
  - expect: { phone: desk, call: ended, cause: remote-hangup }
  - expect: { phone: soft, call: ended, cause: local-hangup }
  - unregister: soft
  - expect: { phone: soft, registration: unregistered }
`, 'baresip-control.yaml'));
  assert.equal(result.verdict, 'passed', `${result.failure ?? ''}\n${steps(result)}`);
});

test('baresip: a blind transfer puts the other party through to the third phone; the transferor\'s call ends transferred', { skip: skipBaresip, timeout: 60_000 }, async () => {
  const result = await runScenario(parseScenarioText(`name: baresip transfers
${ACCOUNTS}  - { extension: "1003", password: carol-secret-1003 }
phones:
  soft: { account: "1001", kind: baresip, tone: 1000 }
  desk: { account: "1002", tone: 1500 }
  carol: { account: "1003", tone: 700 }
steps:
  - register: soft
  - register: desk
  - register: carol
  - call: { from: desk, to: soft }
  - answer: soft
  - expect: { phone: desk, hears: 1000 }
  - transfer: { phone: soft, to: carol }
  - answer: carol
  - expect: { phone: soft, call: ended, cause: transferred }
  - expect: { phone: desk, hears: 700 }
  - hangup: desk
`, 'baresip-transfer.yaml'));
  assert.equal(result.verdict, 'passed', `${result.failure ?? ''}\n${steps(result)}`);
});

test('baresip: a scenario expecting a tone nobody sends, or a reject code baresip cannot send, fails at that step', { skip: skipBaresip, timeout: 60_000 }, async () => {
  const wrongTone = await runScenario(parseScenarioText(`name: wrong tone
${ACCOUNTS}phones:
  soft: { account: "1001", kind: baresip }
  desk: { account: "1002", tone: 1500 }
steps:
  - register: soft
  - register: desk
  - call: { from: desk, to: soft }
  - answer: soft
  - expect: { phone: soft, hears: 700, within: 1500ms }
  - hangup: desk
`, 'wrong-tone.yaml'));
  assert.match(wrongTone.failure ?? '', /^step 5 \(line 13\) expect soft hears 700 Hz: not within 1500 ms: 700 Hz not detected: tonal in 0% of \d+ windows/, steps(wrongTone));
  assert.deepEqual(wrongTone.steps.map((s) => s.verdict), ['passed', 'passed', 'passed', 'passed', 'failed', 'skipped']);

  const wrongCode = await runScenario(parseScenarioText(`name: reject with 603
${ACCOUNTS}phones:
  soft: { account: "1001", kind: baresip }
  desk: { account: "1002" }
steps:
  - register: soft
  - register: desk
  - call: { from: desk, to: soft }
  - reject: { phone: soft, code: 603 }
`, 'reject-603.yaml'));
  assert.equal(wrongCode.failure, 'step 4 (line 12) reject soft with 603: soft (kind baresip) cannot reject with 603: baresip 1.0 refuses a call with 486 only (use code: 486, or a phone of kind phone)');
});

test('browser: the example passes (desk phone ↔ softphone in Chromium, each hears the other; sign-out)', { skip: skipBrowser, timeout: 90_000 }, async () => {
  const result = await runScenario(await loadScenarioFile(`${EXAMPLES}basic-call-browser.yaml`));
  assert.equal(result.verdict, 'passed', `${result.failure ?? ''}\n${steps(result)}`);
  const heard = result.steps.find((s) => s.label === 'expect web hears 1500 Hz');
  assert.match(heard?.message ?? '', /^1500 Hz heard: dominant 15\d\d Hz at -\d+\.\d dBFS over 600 ms$/);
});

test('browser: calls out, SIP INFO digits both ways; a tone it does not send fails the step naming it', { skip: skipBrowser, timeout: 90_000 }, async () => {
  const result = await runScenario(parseScenarioText(`name: browser calls out, then a tone nobody sends
defaultWithin: 10s
${ACCOUNTS}phones:
  web: { account: "1001", kind: browser, tone: 1000 }
  desk: { account: "1002", tone: 1500 }
steps:
  - register: web
  - register: desk
  - call: { from: web, to: desk }
  - expect: { phone: web, call: ringing }
  - answer: desk
  - expect: { phone: web, call: connected }
  - expect: { phone: desk, hears: 1000, within: 15s }
  - dtmf: { phone: web, digits: "5#", via: info }
  - expect: { phone: desk, dtmf: "5#" }
  - dtmf: { phone: desk, digits: "9", via: info }
  - expect: { phone: web, dtmf: "9" }
  - expect: { phone: web, hears: 700, within: 3s }
  - hangup: web
`, 'browser-wrong-tone.yaml'));
  assert.match(result.failure ?? '', /^step 12 \(line 21\) expect web hears 700 Hz: not within 3000 ms: 700 Hz not heard: dominant 15\d\d Hz at -\d+\.\d dBFS over 600 ms$/, steps(result));
  assert.deepEqual(result.steps.map((s) => s.verdict), [...Array<string>(11).fill('passed'), 'failed', 'skipped']);
  const call = result.steps.find((s) => s.kind === 'call');
  assert.ok(call?.timings?.setupMs !== undefined, `timings: ${JSON.stringify(call?.timings)}`);
});
