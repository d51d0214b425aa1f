// The headline use, end to end: a browser softphone (sip.js in Debian's Chromium, fake microphone
// playing 1 kHz) registered over WSS calls a desk phone (baresip over UDP, playing 1.5 kHz)
// through the IPBX, whose media plane is rtpengine: the browser's leg is WebRTC (ICE, DTLS-SRTP,
// rtcp-mux, SAVPF), the desk phone's plain RTP/AVP, and rtpengine bridges the two. Each side must
// hear the other's tone — the browser through a WebAudio analyser, baresip in its recording —
// and the same with the browser as the callee. The browser's RTP goes to rtpengine, never to
// the desk phone; its DTMF reaches the desk phone; hold and resume cross the bridge.

import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { detectTone, readWav, toMono } from '../../scenarios/audio/index.ts';
import { baresipSkipReason, startBaresip, type BaresipPhone } from '../helpers/baresip.ts';
import { BrowserPhone, startBrowserPhoneServer, type BrowserPhoneServer } from '../helpers/browser-phone.ts';
import { rtpengineMedia, startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { toneWav } from '../helpers/tones.ts';

const DOMAIN = 'voiplab.test';
const BROWSER = { user: '1001', password: 'browser-secret-1001', displayName: 'Web Alice', toneHz: 1000 };
const DESK = { user: '1002', password: 'desk-secret-1002', displayName: 'Desk Bob', toneHz: 1500 };
/** Chromium start-up, ICE and DTLS on a loaded 2-core machine: generous, but bounded. */
const CALL_SETUP_MS = 20_000;
const LISTEN_MS = 3000;
const skip = baresipSkipReason();

/** Polls until `probe` returns a value; bounded. */
async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(100);
  }
}

/** baresip's recording of the call (its `index`-th file), once it holds LISTEN_MS of audio, checked for `hz`. */
async function deskHeard(desk: BaresipPhone, index: number, hz: number): Promise<void> {
  const audio = await until(async () => {
    const path = desk.recordings('heard')[index];
    if (path === undefined) return undefined;
    const wav = await readWav(path, { allowUnfinished: true }).catch(() => undefined);
    return wav !== undefined && wav.samples.length / wav.channels >= (wav.sampleRate * (LISTEN_MS + 1000)) / 1000 ? wav : undefined;
  }, `${LISTEN_MS} ms of audio in the desk phone's recording`);
  const samples = toMono(audio);
  // The first second: ICE and DTLS on the browser leg, before any audio can flow.
  const tone = detectTone(samples, audio.sampleRate, hz, { skipMs: 1000, minPresence: 0.6 });
  assert.ok(tone.detected, `the desk phone hears the browser's ${hz} Hz: ${tone.summary}`);
}

describe('browser (WebRTC over WSS) ↔ IPBX with rtpengine ↔ desk phone (baresip, RTP over UDP)', { skip }, () => {
  let harness: IpbxHarness | undefined;
  let server: BrowserPhoneServer | undefined;
  let browser: BrowserPhone | undefined;
  let desk: BaresipPhone | undefined;
  let rtpPorts: { portMin: number; portMax: number } = { portMin: 0, portMax: 0 };
  const inWindow = (port: number) => port >= rtpPorts.portMin && port <= rtpPorts.portMax;

  function phones(t: TestContext): { browser: BrowserPhone; desk: BaresipPhone } | undefined {
    if (browser === undefined || desk === undefined) {
      t.skip('the phones did not start');
      return undefined;
    }
    return { browser, desk };
  }

  before(async () => {
    const media = rtpengineMedia();
    rtpPorts = media['rtpengine'] as typeof rtpPorts;
    harness = await startHarness({
      protocols: ['udp', 'wss'],
      accounts: [BROWSER, DESK].map(({ user, password, displayName }) => ({ extension: user, password, displayName })),
      extra: { media },
    });
    server = await startBrowserPhoneServer();
    const outbound = `sip:127.0.0.1:${harness.port('udp')}`;
    const [launched, started] = await Promise.allSettled([
      BrowserPhone.launch({ server, name: 'web-alice', toneHz: BROWSER.toneHz, trustCertificate: harness.certificate }),
      toneWav(DESK.toneHz).then((tone) => startBaresip({
        name: 'desk-bob', tone, account: { user: DESK.user, domain: DOMAIN, password: DESK.password, displayName: DESK.displayName, outbound },
      })),
    ]);
    browser = launched.status === 'fulfilled' ? launched.value : undefined;
    desk = started.status === 'fulfilled' ? started.value : undefined;
    if (launched.status === 'rejected') throw launched.reason;
    if (started.status === 'rejected') throw started.reason;
    await browser?.register({ wsUrl: `wss://127.0.0.1:${harness.port('wss')}`, domain: DOMAIN, user: BROWSER.user, password: BROWSER.password, displayName: BROWSER.displayName });
    await browser?.waitForRegistered();
  });

  after(async () => {
    await Promise.allSettled([browser?.close(), desk?.stop()]);
    await server?.close();
    await harness?.close();
  });

  it('the browser calls the desk phone: each hears the other through rtpengine, DTMF reaches the desk phone, hold and resume cross the bridge', async (t) => {
    const pair = phones(t);
    if (pair === undefined) return;
    const { browser, desk } = pair;
    const index = desk.recordings('heard').length;
    const mark = desk.mark();
    await browser.call(DESK.user);
    const incoming = await desk.waitFor('CALL_INCOMING', { since: mark, timeoutMs: CALL_SETUP_MS });
    assert.match(incoming.peeruri ?? '', new RegExp(`^sip:${BROWSER.user}@`), 'the desk phone sees the browser\'s number');
    await desk.answer();
    await browser.waitForCallState('connected', CALL_SETUP_MS);

    const heard = await browser.hears(DESK.toneHz, { timeoutMs: CALL_SETUP_MS });
    t.diagnostic(`the browser hears ${heard.frequencyHz.toFixed(0)} Hz at ${heard.levelDb.toFixed(1)} dBFS`);
    await deskHeard(desk, index, BROWSER.toneHz);

    // The browser's selected ICE pair ends at rtpengine (the desk phone has no ICE at all).
    const route = await browser.mediaRoute();
    assert.ok(route !== null, 'the browser has a selected ICE candidate pair');
    const deskPorts = new Set((desk.output().match(/receiving from 127\.0\.0\.1:(\d+)/g) ?? []).map((m) => m.split(':').pop()));
    assert.ok(deskPorts.size > 0, 'baresip says where its RTP comes from');
    t.diagnostic(`browser → ${route.remote.address}:${route.remote.port}; the desk phone receives from port(s) ${[...deskPorts].join(', ')}`);
    assert.ok(inWindow(route.remote.port), `the browser sends to rtpengine (port ${route.remote.port} in ${rtpPorts.portMin}-${rtpPorts.portMax})`);
    for (const port of deskPorts) assert.ok(inWindow(Number(port)), `the desk phone receives from rtpengine (port ${port})`);

    // The browser's RFC 4733 digits (RTCDTMFSender) reach the desk phone through rtpengine.
    const beforeDigits = desk.mark();
    await browser.sendDtmf('5');
    const digit = await desk.waitFor('CALL_DTMF_START', { since: beforeDigits, timeoutMs: 10_000 });
    assert.equal(digit.param, '5');

    // The desk phone holds: the hold re-INVITE crosses the bridge (the browser's side becomes
    // recvonly); resuming brings the desk phone's tone back. (Music on hold is not asserted here:
    // media rtpengine generates towards a DTLS-SRTP leg is not sent by rtpengine 10.5, see docs/media.md.)
    await desk.command('hold');
    await browser.waitFor('the browser\'s side to be recvonly', (s) => s.call.mediaDirection === 'recvonly', CALL_SETUP_MS);
    await desk.command('resume');
    await browser.waitFor('the browser\'s side to be sendrecv again', (s) => s.call.mediaDirection === 'sendrecv', CALL_SETUP_MS);
    await browser.hears(DESK.toneHz, { timeoutMs: CALL_SETUP_MS });

    const closed = desk.mark();
    await browser.hangup();
    await desk.waitFor('CALL_CLOSED', { since: closed });
    await browser.waitForCallState('ended');
  });

  it('the desk phone calls the browser: the browser rings with the caller\'s name, answers, each hears the other', async (t) => {
    const pair = phones(t);
    if (pair === undefined) return;
    const { browser, desk } = pair;
    const index = desk.recordings('heard').length;
    const mark = desk.mark();
    await desk.dial(`sip:${BROWSER.user}@${DOMAIN}`);
    // waitFor, not waitForCallState: the page still shows the previous call, ended, until this one rings.
    const { call: ringing } = await browser.waitFor('the incoming call to ring', (s) => s.call.state === 'ringing' && s.call.direction === 'incoming', CALL_SETUP_MS);
    assert.equal(ringing.remoteNumber, DESK.user);
    assert.equal(ringing.remoteName, DESK.displayName);
    await browser.answer();
    await desk.waitFor('CALL_ESTABLISHED', { since: mark, timeoutMs: CALL_SETUP_MS });
    await browser.waitForCallState('connected', CALL_SETUP_MS);

    await browser.hears(DESK.toneHz, { timeoutMs: CALL_SETUP_MS });
    await deskHeard(desk, index, BROWSER.toneHz);

    const closed = desk.mark();
    await desk.hangup();
    await desk.waitFor('CALL_CLOSED', { since: closed });
    await browser.waitForCallState('ended');
    const cdrs = await (await harness!.api('/api/v1/cdrs')).json() as { items: Array<{ caller: string; callee: string; cause: string }> };
    assert.deepEqual(cdrs.items.slice(0, 2).map((c) => `${c.caller}→${c.callee} ${c.cause}`), [`${DESK.user}→${BROWSER.user} answered`, `${BROWSER.user}→${DESK.user} answered`]);
  });
});
