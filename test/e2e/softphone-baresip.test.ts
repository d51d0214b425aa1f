// The real softphone (/phone/, not the e2e test page) and a desk phone: the app in Debian's
// Chromium (fake microphone at 1000 Hz) signs in over WSS through its form, a baresip desk phone
// (RTP over UDP, playing 1500 Hz) registers over UDP, and the IPBX bridges the two through
// rtpengine (WebRTC ICE/DTLS-SRTP on one side, plain RTP/AVP on the other). The softphone dials
// the desk phone on its keypad; then the desk phone calls the softphone, which rings with the
// caller's name and answers with its button. Each time, the browser hears 1500 Hz through its
// analyser and baresip's recording holds 1000 Hz.

import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { detectTone, readWav, toMono } from '../../scenarios/audio/index.ts';
import { baresipSkipReason, startBaresip, type BaresipPhone } from '../helpers/baresip.ts';
import type { IpbxHarness } from '../helpers/ipbx-harness.ts';
import { softphoneUrl, startSoftphoneIpbx } from '../helpers/softphone-ipbx.ts';
import { SoftphonePage } from '../helpers/softphone-page.ts';
import { toneWav } from '../helpers/tones.ts';

const WEB = { user: '1001', password: 'web-secret-1001', displayName: 'Web Alice', toneHz: 1000 };
const DESK = { user: '1002', password: 'desk-secret-1002', displayName: 'Desk Bob', toneHz: 1500 };
/** Chromium, ICE and DTLS on a loaded 2-core machine: generous, but bounded. */
const CALL_SETUP_MS = 20_000;
/** Audio the desk phone's recording must hold before it is checked. */
const LISTEN_MS = 3000;
const skip = baresipSkipReason();

/** baresip's recording of the call (its `index`-th file), once it holds LISTEN_MS past the first second, checked for `hz`. */
async function deskHears(desk: BaresipPhone, index: number, hz: number): Promise<void> {
  const deadline = Date.now() + CALL_SETUP_MS;
  for (;;) {
    const path = desk.recordings('heard')[index];
    const wav = path === undefined ? undefined : await readWav(path, { allowUnfinished: true }).catch(() => undefined);
    if (wav !== undefined && wav.samples.length / wav.channels >= (wav.sampleRate * (LISTEN_MS + 1000)) / 1000) {
      // The first second: ICE and DTLS on the browser's leg, before any audio can flow.
      const tone = detectTone(toMono(wav), wav.sampleRate, hz, { skipMs: 1000, minPresence: 0.6 });
      assert.ok(tone.detected, `the desk phone hears the softphone's ${hz} Hz: ${tone.summary}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`the desk phone's recording #${index} never held ${LISTEN_MS} ms of audio`);
    await delay(200);
  }
}

void describe('softphone (the real app, WSS) ↔ IPBX with rtpengine ↔ desk phone (baresip, UDP)', { skip }, () => {
  let harness: IpbxHarness | undefined;
  let web: SoftphonePage | undefined;
  let desk: BaresipPhone | undefined;

  function phones(t: TestContext): { web: SoftphonePage; desk: BaresipPhone } | undefined {
    if (web === undefined || desk === undefined) {
      t.skip('the phones did not start');
      return undefined;
    }
    return { web, desk };
  }

  before(async () => {
    // A fixed WSS port, so that /phone/config.json (built from the configured listeners) names it.
    harness = await startSoftphoneIpbx([WEB, DESK], { udp: true });
    const outbound = `sip:127.0.0.1:${harness.port('udp')}`;
    const [launched, started] = await Promise.allSettled([
      SoftphonePage.launch({ name: 'web-alice', url: softphoneUrl(harness, { audioProcessing: '0' }), toneHz: WEB.toneHz, trustCertificate: harness.certificate }),
      toneWav(DESK.toneHz).then((tone) => startBaresip({
        name: 'desk-bob', tone, account: { user: DESK.user, domain: harness!.domain, password: DESK.password, displayName: DESK.displayName, outbound },
      })),
    ]);
    web = launched.status === 'fulfilled' ? launched.value : undefined;
    desk = started.status === 'fulfilled' ? started.value : undefined;
    if (launched.status === 'rejected') throw launched.reason;
    if (started.status === 'rejected') throw started.reason;
    await web?.signIn(WEB);
    await web?.waitForRegistered();
  });

  after(async () => {
    await Promise.allSettled([web?.close(), desk?.stop()]);
    await harness?.close();
  });

  void it('the softphone dials the desk phone on its keypad: each hears the other\'s tone through rtpengine', async (t) => {
    const pair = phones(t);
    if (pair === undefined) return;
    const { web, desk } = pair;
    const index = desk.recordings('heard').length;
    const mark = desk.mark();
    await web.dial(DESK.user);
    const incoming = await desk.waitFor('CALL_INCOMING', { since: mark, timeoutMs: CALL_SETUP_MS });
    assert.match(incoming.peeruri ?? '', new RegExp(`^sip:${WEB.user}@`), 'the desk phone sees the softphone\'s number');
    await web.waitForCall('ringing', CALL_SETUP_MS);
    await desk.answer();
    await web.waitForCall('connected', CALL_SETUP_MS);
    const heard = await web.hears(DESK.toneHz, { timeoutMs: CALL_SETUP_MS });
    t.diagnostic(`the softphone hears ${heard.frequencyHz.toFixed(0)} Hz at ${heard.levelDb.toFixed(1)} dBFS`);
    await deskHears(desk, index, WEB.toneHz);

    const closed = desk.mark();
    await web.click('hangup-button');
    await desk.waitFor('CALL_CLOSED', { since: closed });
    assert.equal((await web.waitForCall('ended')).endCause, 'local-hangup');
  });

  void it('the desk phone calls the softphone: its incoming screen names the desk phone; answered with the button, each hears the other', async (t) => {
    const pair = phones(t);
    if (pair === undefined) return;
    const { web, desk } = pair;
    const index = desk.recordings('heard').length;
    const mark = desk.mark();
    await desk.dial(`sip:${WEB.user}@${harness!.domain}`);
    const incoming = await web.waitForCall('incoming', CALL_SETUP_MS);
    assert.equal(incoming.remoteNumber, DESK.user);
    assert.equal(await web.control('caller-name', incoming.id).innerText(), DESK.displayName);
    await web.click('answer-button', incoming.id);
    await desk.waitFor('CALL_ESTABLISHED', { since: mark, timeoutMs: CALL_SETUP_MS });
    await web.waitForCall('connected', CALL_SETUP_MS);
    await web.hears(DESK.toneHz, { timeoutMs: CALL_SETUP_MS });
    await deskHears(desk, index, WEB.toneHz);

    const closed = desk.mark();
    await desk.hangup();
    await desk.waitFor('CALL_CLOSED', { since: closed });
    assert.equal((await web.waitForCall('ended')).endCause, 'remote-hangup');
  });
});
