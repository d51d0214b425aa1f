// Calls through the IPBX with media mode rtpengine (an embedded rtpengine voiplab starts itself),
// between two real desk phones (Debian baresip over UDP): the SDP each phone gets points at
// rtpengine, not at the other phone; each hears the other's tone (1001 plays 1000 Hz, 1002 plays
// 1500 Hz); a party put on hold hears the shipped music on hold instead; RFC 4733 digits cross the
// bridge; a dialplan announcement is heard; a call from a recorded account leaves a recording.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { MUSIC_ON_HOLD_NOTES_HZ } from '../../ipbx/media/prompts/prompt-set.ts';
import { channel, detectTone, parseWav, readWav, toMono } from '../../scenarios/audio/index.ts';
import { baresipSkipReason, startBaresip, type BaresipPhone } from '../helpers/baresip.ts';
import { rtpengineMedia, startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { RtpEndpoint, sdpAudioPort } from '../helpers/rtp-endpoint.ts';
import { SipPhone } from '../helpers/sip-phone.ts';
import { toneWav } from '../helpers/tones.ts';

const DOMAIN = 'voiplab.test';
const ALICE = { extension: '1001', password: 'alice-secret-1001', hz: 1000 };
const BOB = { extension: '1002', password: 'bob-secret-1002', hz: 1500 };
const CAROL = { extension: '1003', password: 'carol-secret-1003' };
const DAVE = { extension: '1004', password: 'dave-secret-1004' };
/** A phone that sends and wants DTMF as SIP INFO. */
const ERIN = { extension: '1005', password: 'erin-secret-1005' };
/** Called only by the recording test. */
const FRANK = { extension: '1006', password: 'frank-secret-1006' };
const ANNOUNCEMENT = '8000';
const skip = baresipSkipReason();

/** The rtpengine this test process's IPBX started (its child): the one the supervisor watches. */
function rtpengineChildPid(): number {
  const children = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,comm='], { encoding: 'utf8' });
  const line = children.split('\n').find((l) => l.trim().endsWith('rtpengine'));
  const pid = Number(line?.trim().split(/\s+/)[0]);
  assert.ok(Number.isInteger(pid) && pid > 0, `an rtpengine child process (children: ${children.trim()})`);
  return pid;
}

/** Polls until `probe` returns a value; bounded. */
async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(50);
  }
}

/**
 * What the phone heard in this call so far: its recordings from `index` on, joined (baresip starts a
 * new file when a re-INVITE restarts its audio), once they hold `toMs`; the part from `fromMs`.
 */
async function heard(phone: BaresipPhone, index: number, fromMs: number, toMs: number): Promise<{ samples: Int16Array; rate: number; where: string }> {
  const joined = await until(async () => {
    const parts: Int16Array[] = [];
    let rate = 8000;
    for (const path of phone.recordings('heard').slice(index)) {
      const wav = await readWav(path, { allowUnfinished: true }).catch(() => undefined);
      if (wav === undefined) continue;
      rate = wav.sampleRate;
      parts.push(toMono(wav));
    }
    const length = parts.reduce((n, p) => n + p.length, 0);
    if (length < (rate * toMs) / 1000) return undefined;
    const all = new Int16Array(length);
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    return { all, rate };
  }, `${toMs} ms of audio in ${phone.name}'s recordings`, toMs + 10_000);
  const samples = joined.all.slice(Math.floor((joined.rate * fromMs) / 1000), Math.floor((joined.rate * toMs) / 1000));
  return { samples, rate: joined.rate, where: `${phone.name} between ${fromMs} and ${toMs} ms` };
}

describe('calls bridged by rtpengine (media mode rtpengine)', { skip }, () => {
  let ipbx: IpbxHarness;
  let alice: BaresipPhone | undefined;
  let bob: BaresipPhone | undefined;
  let portWindow: { portMin: number; portMax: number };
  const phones = () => {
    assert.ok(alice !== undefined && bob !== undefined, 'phones did not start');
    return { alice, bob };
  };

  before(async () => {
    const media = rtpengineMedia();
    portWindow = media['rtpengine'] as { portMin: number; portMax: number };
    ipbx = await startHarness({
      protocols: ['udp'],
      accounts: [
        { extension: ALICE.extension, password: ALICE.password, displayName: 'Alice' },
        { extension: BOB.extension, password: BOB.password, displayName: 'Bob' },
        { extension: CAROL.extension, password: CAROL.password, displayName: 'Carol', record: true },
        { extension: DAVE.extension, password: DAVE.password, displayName: 'Dave' },
        { extension: ERIN.extension, password: ERIN.password, displayName: 'Erin', dtmfMode: 'info' },
        { extension: FRANK.extension, password: FRANK.password, displayName: 'Frank' },
      ],
      dialplan: [
        { match: ANNOUNCEMENT, action: { type: 'announcement', prompt: 'unavailable' } },
        { match: '_1XXX', action: { type: 'account' } },
      ],
      extra: { media },
    });
    const outbound = `sip:127.0.0.1:${ipbx.port('udp')}`;
    const [aliceTone, bobTone] = await Promise.all([toneWav(ALICE.hz), toneWav(BOB.hz)]);
    [alice, bob] = await Promise.all([
      startBaresip({ name: 'rtpe-alice', tone: aliceTone, account: { user: ALICE.extension, domain: DOMAIN, password: ALICE.password, displayName: 'Alice', outbound } }),
      startBaresip({ name: 'rtpe-bob', tone: bobTone, account: { user: BOB.extension, domain: DOMAIN, password: BOB.password, displayName: 'Bob', outbound } }),
    ]);
  });
  after(async () => {
    await Promise.all([alice?.stop(), bob?.stop()]);
    await ipbx.close();
  });

  async function connect(caller: BaresipPhone, callee: BaresipPhone, number: string): Promise<{ callerIndex: number; calleeIndex: number }> {
    const callerIndex = caller.recordings('heard').length;
    const calleeIndex = callee.recordings('heard').length;
    const marks = { caller: caller.mark(), callee: callee.mark() };
    await caller.dial(`sip:${number}@${DOMAIN}`);
    await callee.waitFor('CALL_INCOMING', { since: marks.callee });
    await callee.answer();
    await Promise.all([caller.waitFor('CALL_ESTABLISHED', { since: marks.caller }), callee.waitFor('CALL_ESTABLISHED', { since: marks.callee })]);
    return { callerIndex, calleeIndex };
  }

  async function hangUp(phone: BaresipPhone, other: BaresipPhone): Promise<void> {
    const marks = { phone: phone.mark(), other: other.mark() };
    await phone.hangup();
    await Promise.all([phone.waitFor('CALL_CLOSED', { since: marks.phone }), other.waitFor('CALL_CLOSED', { since: marks.other })]);
    await until(async () => ((await (await ipbx.api('/api/v1/calls')).json()) as { items: unknown[] }).items.length === 0 ? true : undefined, 'no call left');
  }

  test('two baresip desk phones hear each other through rtpengine, and RFC 4733 digits cross it', async () => {
    const { alice, bob } = phones();
    const { callerIndex, calleeIndex } = await connect(alice, bob, BOB.extension);
    const talk = await Promise.all([heard(alice, callerIndex, 500, 3000), heard(bob, calleeIndex, 500, 3000)]);
    for (const [index, hz] of [[0, BOB.hz], [1, ALICE.hz]] as const) {
      const { samples, rate, where } = talk[index];
      const tone = detectTone(samples, rate, hz);
      assert.ok(tone.detected, `${where}: ${tone.summary}`);
    }

    // RFC 4733 digits cross the bridge.
    const bobMark = bob.mark();
    await alice.command('sndcode', '5');
    const dtmf = await bob.waitFor('CALL_DTMF_START', { since: bobMark, timeoutMs: 5000 });
    assert.equal(dtmf.param, '5');
    await hangUp(alice, bob);
  });

  test('a party put on hold hears the music on hold, and the other party again after resume', async () => {
    const [bobMedia, aliceMedia] = await Promise.all([RtpEndpoint.open(), RtpEndpoint.open()]);
    const proxy = { protocol: 'udp' as const, address: '127.0.0.1', port: ipbx.port('udp') };
    const carol = await SipPhone.start({ user: CAROL.extension, domain: DOMAIN, proxy, rtpPort: bobMedia.port, credentials: { username: CAROL.extension, password: CAROL.password } });
    const dave = await SipPhone.start({ user: DAVE.extension, domain: DOMAIN, proxy, rtpPort: aliceMedia.port, credentials: { username: DAVE.extension, password: DAVE.password } });
    try {
      assert.equal((await dave.register()).status, 200);
      const call = carol.call(DAVE.extension, { sdp: bobMedia.sdp() });
      const session = await call.established();
      const incoming = await dave.nextCall();
      const daveSession = incoming.session ?? assert.fail('Dave answered');
      // Each endpoint sends to the rtpengine port its SDP names.
      bobMedia.remote = { address: '127.0.0.1', port: sdpAudioPort(session.remoteSdp) };
      aliceMedia.remote = { address: '127.0.0.1', port: sdpAudioPort(daveSession.remoteSdp) };

      // Dave holds: Carol hears the music (its notes), not silence.
      assert.equal((await daveSession.reinvite('sendonly')).status, 200);
      bobMedia.clear();
      await bobMedia.until(() => bobMedia.received.length >= 150, '3 s of music at Carol', 10_000);
      const music = bobMedia.receivedAudio();
      const notes = MUSIC_ON_HOLD_NOTES_HZ.map((hz) => detectTone(music, 8000, hz, { minPresence: 0.1 }));
      assert.ok(notes.filter((n) => n.detected).length >= 2, `the music's notes at Carol: ${notes.map((n) => n.summary).join('; ')}`);

      // Dave resumes: Carol hears Dave's tone, no more music.
      assert.equal((await daveSession.reinvite('sendrecv')).status, 200);
      await delay(300);
      bobMedia.clear();
      await aliceMedia.sendTone(ALICE.hz, 2000);
      const voice = bobMedia.receivedAudio();
      const tone = detectTone(voice, 8000, ALICE.hz, { skipMs: 200, minPresence: 0.6 });
      assert.ok(tone.detected, `Dave's tone at Carol after resume: ${tone.summary}`);
      assert.equal((await session.bye()).status, 200);
    } finally {
      await Promise.all([carol.close(), dave.close(), bobMedia.close(), aliceMedia.close()]);
    }
  });

  test('DTMF is translated between an RFC 4733 phone and a SIP INFO phone (dtmfMode: info), both ways', async () => {
    const [carolMedia, erinMedia] = await Promise.all([RtpEndpoint.open(), RtpEndpoint.open()]);
    const proxy = { protocol: 'udp' as const, address: '127.0.0.1', port: ipbx.port('udp') };
    const carol = await SipPhone.start({ user: CAROL.extension, domain: DOMAIN, proxy, rtpPort: carolMedia.port, credentials: { username: CAROL.extension, password: CAROL.password } });
    const erin = await SipPhone.start({ user: ERIN.extension, domain: DOMAIN, proxy, rtpPort: erinMedia.port, credentials: { username: ERIN.extension, password: ERIN.password } });
    try {
      assert.equal((await erin.register()).status, 200);
      const session = await carol.call(ERIN.extension, { sdp: carolMedia.sdp() }).established();
      const erinSession = (await erin.nextCall()).session ?? assert.fail('Erin answered');
      carolMedia.remote = { address: '127.0.0.1', port: sdpAudioPort(session.remoteSdp) };
      erinMedia.remote = { address: '127.0.0.1', port: sdpAudioPort(erinSession.remoteSdp) };
      // Both send audio, as phones do: rtpengine injects events into a flowing stream.
      const talking = Promise.all([carolMedia.sendTone(ALICE.hz, 3000), erinMedia.sendTone(BOB.hz, 3000)]);

      // Carol's RFC 4733 digit reaches Erin as an INFO, and not in Erin's RTP.
      await delay(300);
      await carolMedia.sendDigit('7', 200);
      await until(() => (erinSession.receivedOf('INFO').length >= 1 ? true : undefined), 'the INFO at Erin', 5000);
      const info = erinSession.receivedOf('INFO')[0];
      assert.equal(info?.headers.get('Content-Type'), 'application/dtmf-relay');
      assert.match(info.body.toString(), /^Signal=7\r\nDuration=\d+\r\n$/);

      // Erin's INFO digit reaches Carol as RFC 4733 events in her RTP.
      const response = await erinSession.request('INFO', 'Signal=3\r\nDuration=200\r\n', 'application/dtmf-relay');
      assert.equal(response.status, 200);
      await carolMedia.until(() => carolMedia.receivedEvents().some((e) => e.digit === '3' && e.end), 'the RFC 4733 end of 3 at Carol', 5000);
      await talking;
      assert.deepEqual(erinMedia.receivedEvents().filter((e) => e.digit === '7'), [], 'Erin does not also get 7 in her RTP');
      assert.equal((await session.bye()).status, 200);
    } finally {
      await Promise.all([carol.close(), erin.close(), carolMedia.close(), erinMedia.close()]);
    }
  });

  test('a call of an account with record: true leaves a stereo WAV (caller left, callee right), listed and downloadable', async () => {
    const [carolMedia, frankMedia] = await Promise.all([RtpEndpoint.open(), RtpEndpoint.open()]);
    const proxy = { protocol: 'udp' as const, address: '127.0.0.1', port: ipbx.port('udp') };
    const carol = await SipPhone.start({ user: CAROL.extension, domain: DOMAIN, proxy, rtpPort: carolMedia.port, credentials: { username: CAROL.extension, password: CAROL.password } });
    const frank = await SipPhone.start({ user: FRANK.extension, domain: DOMAIN, proxy, rtpPort: frankMedia.port, credentials: { username: FRANK.extension, password: FRANK.password } });
    try {
      assert.equal((await frank.register()).status, 200);
      const recordingsOf = async () => (await (await ipbx.api(`/api/v1/recordings?extension=${CAROL.extension}`)).json() as { items: Array<{ id: string; caller: string; callee: string; channels: number; durationMs: number }> }).items;
      const session = await carol.call(FRANK.extension, { sdp: carolMedia.sdp() }).established();
      const frankSession = (await frank.nextCall()).session ?? assert.fail('Frank answered');
      carolMedia.remote = { address: '127.0.0.1', port: sdpAudioPort(session.remoteSdp) };
      frankMedia.remote = { address: '127.0.0.1', port: sdpAudioPort(frankSession.remoteSdp) };
      await Promise.all([carolMedia.sendTone(ALICE.hz, 2000), frankMedia.sendTone(BOB.hz, 2000)]);
      assert.equal((await session.bye()).status, 200);

      const listed = await until(async () => (await recordingsOf()).find((r) => r.callee === FRANK.extension), 'the recording in the listing', 20_000);
      assert.equal(listed.caller, CAROL.extension);
      assert.equal(listed.channels, 2);
      const download = await ipbx.api(`/api/v1/recordings/${listed.id}/audio`);
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-type'), 'audio/wav');
      const wav = parseWav(Buffer.from(await download.arrayBuffer()));
      const [left, right] = [channel(wav, 0), channel(wav, 1)];
      const caller = detectTone(left, wav.sampleRate, ALICE.hz, { skipMs: 200, minPresence: 0.5 });
      const callee = detectTone(right, wav.sampleRate, BOB.hz, { skipMs: 200, minPresence: 0.5 });
      assert.ok(caller.detected, `left channel holds the caller's tone: ${caller.summary}`);
      assert.ok(callee.detected, `right channel holds the callee's tone: ${callee.summary}`);
    } finally {
      await Promise.all([carol.close(), frank.close(), carolMedia.close(), frankMedia.close()]);
    }
  });

  test('the SDP a phone gets points at rtpengine, on the configured ports', async () => {
    const carol = await SipPhone.start({
      user: CAROL.extension, domain: DOMAIN, proxy: { protocol: 'udp', address: '127.0.0.1', port: ipbx.port('udp') },
      credentials: { username: CAROL.extension, password: CAROL.password },
    });
    try {
      const { bob } = phones();
      const bobMark = bob.mark();
      const call = carol.call(BOB.extension);
      await bob.waitFor('CALL_INCOMING', { since: bobMark });
      await bob.answer();
      const session = await call.established();
      const port = Number(/^m=audio (\d+) RTP\/AVP/m.exec(session.remoteSdp)?.[1]);
      assert.ok(port >= portWindow.portMin && port <= portWindow.portMax, `m=audio port ${port} is rtpengine's (${portWindow.portMin}-${portWindow.portMax}):\n${session.remoteSdp}`);
      assert.doesNotMatch(session.remoteSdp, /a=ice-ufrag|a=fingerprint/, 'a plain leg gets no ICE or DTLS');
      const closed = bob.mark();
      assert.equal((await session.bye()).status, 200);
      await bob.waitFor('CALL_CLOSED', { since: closed });
    } finally {
      await carol.close();
    }
  });

  test('a dialplan announcement answers, plays the prompt and hangs up', async () => {
    const media = await RtpEndpoint.open();
    const carol = await SipPhone.start({
      user: CAROL.extension, domain: DOMAIN, proxy: { protocol: 'udp', address: '127.0.0.1', port: ipbx.port('udp') },
      rtpPort: media.port, credentials: { username: CAROL.extension, password: CAROL.password },
    });
    try {
      const session = await carol.call(ANNOUNCEMENT, { sdp: media.sdp() }).established();
      assert.match(session.remoteSdp, /^a=(sendonly|sendrecv)\r?$/m, 'the IPBX sends the prompt');
      // The IPBX hangs up once the prompt (2.3 s) has played.
      await until(() => (session.receivedOf('BYE').length === 1 ? true : undefined), 'the IPBX\'s BYE', 15_000);
      const prompt = media.receivedAudio();
      assert.ok(prompt.length >= 8000 * 1.5, `at least 1.5 s of prompt received (${prompt.length} samples)`);
      const loud = prompt.filter((s) => Math.abs(s) > 1600).length / prompt.length;
      assert.ok(loud > 0.1, `the prompt is speech, not silence (${(loud * 100).toFixed(0)}% of samples above -26 dBFS)`);
      const cdrs = await (await ipbx.api('/api/v1/cdrs')).json() as { items: Array<{ callee: string; cause: string }> };
      assert.equal(cdrs.items[0]?.callee, ANNOUNCEMENT);
      assert.equal(cdrs.items[0]?.cause, 'answered');
    } finally {
      await Promise.all([carol.close(), media.close()]);
    }
  });
  // Last: it kills the IPBX's rtpengine (restarted by its supervisor for the calls after it).
  test('when rtpengine dies mid-call, the call is ended on both legs with CDR cause media-lost, and new calls work again', async () => {
    const proxy = { protocol: 'udp' as const, address: '127.0.0.1', port: ipbx.port('udp') };
    const carol = await SipPhone.start({ user: CAROL.extension, domain: DOMAIN, proxy, credentials: { username: CAROL.extension, password: CAROL.password } });
    const dave = await SipPhone.start({ user: DAVE.extension, domain: DOMAIN, proxy, credentials: { username: DAVE.extension, password: DAVE.password } });
    try {
      assert.equal((await dave.register()).status, 200);
      const session = await carol.call(DAVE.extension).established();
      const daveSession = (await dave.nextCall()).session ?? assert.fail('Dave answered');
      const rtpengine = rtpengineChildPid();
      process.kill(rtpengine, 'SIGKILL');
      await until(() => (session.receivedOf('BYE').length === 1 && daveSession.receivedOf('BYE').length === 1 ? true : undefined), 'a BYE to each party', 15_000);
      const cdrs = await (await ipbx.api('/api/v1/cdrs')).json() as { items: Array<{ caller: string; callee: string; cause: string }> };
      assert.deepEqual(cdrs.items[0] && { caller: cdrs.items[0].caller, callee: cdrs.items[0].callee, cause: cdrs.items[0].cause }, { caller: CAROL.extension, callee: DAVE.extension, cause: 'media-lost' });
      // The supervisor restarted rtpengine: the next call gets media again.
      const again = await until(() => carol.call(DAVE.extension).established().catch(() => undefined), 'a call through the restarted rtpengine', 15_000);
      assert.match(again.remoteSdp, /^m=audio \d+ RTP\/AVP/m);
      assert.notEqual(rtpengineChildPid(), rtpengine, 'a new rtpengine process');
      assert.equal((await again.bye()).status, 200);
    } finally {
      await Promise.all([carol.close(), dave.close()]);
    }
  });
});
