// The softphone end to end, driven through its own screens: two Chromiums open /phone/ on a real
// IPBX (rtpengine media, a WSS listener), find the server and domain pre-filled, sign in with the
// form; alice checks her microphone's level meter and dials bob on the keypad. Bob's incoming
// screen names alice; he answers; each hears the other's fake microphone (1000 / 1500 Hz)
// through rtpengine. Then hold and resume with the hold button, DTMF from the in-call keypad
// (alice picked SIP INFO in the advanced settings, so bob's page can tell which digits arrived),
// hang-up, and a rejected call. Steps build on each other: a broken step skips the rest.
// Screenshots of the main screens go to tmp/screenshots/ (docs/screenshots/ with VOIPLAB_UPDATE_SCREENSHOTS=1).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { IpbxHarness } from '../helpers/ipbx-harness.ts';
import { softphoneUrl, startSoftphoneIpbx } from '../helpers/softphone-ipbx.ts';
import { SCREENSHOTS, SoftphonePage } from '../helpers/softphone-page.ts';
import { dependentSteps } from '../helpers/softphone-steps.ts';

const ALICE = { user: '1001', password: 'alice-secret-1001', displayName: 'Alice', toneHz: 1000 };
const BOB = { user: '1002', password: 'bob-secret-1002', displayName: 'Bob', toneHz: 1500 };
/** Chromium, getUserMedia, ICE and DTLS on a loaded 2-core machine: generous, but bounded. */
const CALL_SETUP_MS = 20_000;

void describe('softphone: two users sign in, call, talk, hold, send DTMF (IPBX with rtpengine, WSS)', () => {
  let harness: IpbxHarness | undefined;
  let alice: SoftphonePage | undefined;
  let bob: SoftphonePage | undefined;
  let wssPort = 0;

  const step = dependentSteps(() => (alice !== undefined && bob !== undefined ? [alice, bob] as [SoftphonePage, SoftphonePage] : undefined));

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // A fixed port, so that /phone/config.json (built from the configured listeners) names it.
    const started = await startSoftphoneIpbx([ALICE, BOB]);
    harness = started;
    wssPort = started.wssPort;
    const url = softphoneUrl(harness, { audioProcessing: '0' });
    const launched = await Promise.allSettled([
      SoftphonePage.launch({ name: 'alice', url, toneHz: ALICE.toneHz, trustCertificate: harness.certificate }),
      SoftphonePage.launch({ name: 'bob', url, toneHz: BOB.toneHz, trustCertificate: harness.certificate }),
    ]);
    [alice, bob] = launched.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
    for (const result of launched) if (result.status === 'rejected') throw result.reason;
  });

  after(async () => {
    await Promise.allSettled([alice?.close(), bob?.close()]);
    await harness?.close();
  });

  void it('the sign-in form comes pre-filled with the IPBX\'s WSS URL and SIP domain', (t) => step(t, async (a) => {
    assert.equal(await a.control('server').inputValue(), `wss://127.0.0.1:${wssPort}`);
    assert.equal(await a.control('domain').inputValue(), harness!.domain);
    assert.equal(await a.control('registration-state').getAttribute('data-state'), 'signed-out');
    await a.control('user').fill(ALICE.user);
    await a.control('display-name').fill(ALICE.displayName);
    await a.screenshot(`${SCREENSHOTS}sign-in.png`);
    // DTMF in SIP INFO: the far page sees those digits (RFC 4733 events never reach page scripts).
    await a.page.locator('summary').click();
    await a.control('dtmf-method').selectOption('info');
  }));

  void it('both sign in through the form and show "Registered"', (t) => step(t, async (a, b) => {
    await Promise.all([a.signIn(ALICE), b.signIn(BOB)]);
    const [sa] = await Promise.all([a.waitForRegistered(), b.waitForRegistered()]);
    assert.equal(sa.registration.aor, `${ALICE.user}@${harness!.domain}`);
    assert.equal(await a.control('registration-state').getAttribute('data-state'), 'registered');
    assert.match(await a.control('registration-state').innerText(), /Registered/);
    await a.screenshot(`${SCREENSHOTS}dial-pad.png`);
  }));

  void it('the audio section lists the microphone and its level meter moves with the fake tone', (t) => step(t, async (a) => {
    await a.page.locator('[data-testid="audio-devices"] > summary').click();
    // A string: it runs in the page, whose DOM types this Node-side file does not have.
    await a.page.waitForFunction('(document.querySelector(\'[data-testid="microphone-level"]\')?.value ?? 0) > 0.05', undefined, { timeout: 10_000 });
    assert.ok(await a.control('microphone-select').locator('option').count() >= 1);
    await a.page.locator('[data-testid="audio-devices"] > summary').click();
  }));

  void it('alice dials bob on the keypad; bob\'s incoming screen names her; he answers and each hears the other', (t) => step(t, async (a, b) => {
    await a.dial(BOB.user);
    const incoming = await b.waitForCall('incoming', CALL_SETUP_MS);
    assert.equal(incoming.remoteNumber, ALICE.user);
    assert.equal(incoming.remoteName, ALICE.displayName);
    assert.equal(await b.control('caller-name', incoming.id).innerText(), ALICE.displayName);
    assert.equal(await b.control('caller-number', incoming.id).innerText(), ALICE.user);
    await a.waitForCall('ringing', CALL_SETUP_MS);
    await b.screenshot(`${SCREENSHOTS}incoming-call.png`);
    await b.click('answer-button', incoming.id);
    await Promise.all([a.waitForCall('connected', CALL_SETUP_MS), b.waitForCall('connected', CALL_SETUP_MS)]);
    const [aHears, bHears] = await Promise.all([a.hears(BOB.toneHz), b.hears(ALICE.toneHz)]);
    t.diagnostic(`alice hears ${aHears.frequencyHz.toFixed(0)} Hz at ${aHears.levelDb.toFixed(1)} dBFS; bob hears ${bHears.frequencyHz.toFixed(0)} Hz at ${bHears.levelDb.toFixed(1)} dBFS`);
    assert.match(await a.control('call-timer').innerText(), /^\d\d:\d\d$/);
  }));

  void it('alice holds with the hold button: neither hears the other; resume brings both tones back', (t) => step(t, async (a, b) => {
    await a.click('hold-button');
    await a.waitFor('call on hold', (s) => s.calls.some((c) => c.state === 'connected' && c.onHold));
    assert.equal(await a.control('hold-button').getAttribute('aria-pressed'), 'true');
    await Promise.all([b.stopsHearing(ALICE.toneHz), a.stopsHearing(BOB.toneHz)]);
    await a.click('hold-button');
    await a.waitFor('call resumed', (s) => s.calls.some((c) => c.state === 'connected' && !c.onHold));
    await Promise.all([a.hears(BOB.toneHz), b.hears(ALICE.toneHz)]);
  }));

  void it('DTMF from alice\'s in-call keypad, in SIP INFO, reaches bob in order', (t) => step(t, async (a, b) => {
    await a.click('keypad-button');
    for (const digit of '19#') await a.click(`dtmf-key-${digit}`);
    const state = await b.waitFor('digits 19# received', (s) => s.calls.some((c) => c.receivedDtmf === '19#'));
    assert.equal(state.calls.find((c) => c.state === 'connected')?.receivedDtmf, '19#');
    await a.screenshot(`${SCREENSHOTS}in-call.png`);
  }));

  void it('alice hangs up: both calls end, and the call is in both histories', (t) => step(t, async (a, b) => {
    await a.click('hangup-button');
    const ended = await b.waitForCall('ended');
    assert.equal(ended.endCause, 'remote-hangup');
    assert.equal((await a.waitForCall('ended')).endCause, 'local-hangup');
    await b.control('history-call-0').waitFor();
    assert.match(await b.control('history-call-0').innerText(), /Alice \(1001\)/);
  }));

  void it('bob rejects a call: alice\'s call ends as rejected with 486 Busy Here', (t) => step(t, async (a, b) => {
    await a.control('dial-input').fill(BOB.user);
    await a.control('dial-input').press('Enter');
    const incoming = await b.waitForCall('incoming', CALL_SETUP_MS);
    await b.click('reject-button', incoming.id);
    const ended = await a.waitForCall('ended', CALL_SETUP_MS);
    assert.equal(ended.endCause, 'rejected');
    assert.equal(ended.statusCode, 486);
    assert.equal((await b.waitForCall('ended')).endCause, 'declined');
  }));
});
