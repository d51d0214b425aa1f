// Two real baresip phones calling each other directly over UDP on 127.0.0.1, with no server in
// between: alice sends 1000 Hz, bob 1500 Hz, and each one's recording of what it heard must hold
// the other's tone and not its own. This proves the harness (phones, tones, recordings, detector)
// before it is pointed at calls through the IPBX.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { detectTone, dominantFrequency, readWav, toMono } from '../../scenarios/audio/index.ts';
import { baresipSkipReason, startBaresip, type BaresipPhone } from '../helpers/baresip.ts';
import { deadPort as unusedPort } from '../helpers/sipp.ts';
import { toneWav } from '../helpers/tones.ts';

const ALICE_HZ = 1000;
const BOB_HZ = 1500;
const CAROL_HZ = 2000;
const skip = baresipSkipReason();

/** What the phone heard in its latest call, checked to be `expectHz` and not `ownHz`. */
async function assertHeard(phone: BaresipPhone, expectHz: number, ownHz: number): Promise<void> {
  const path = phone.recordedWav();
  const audio = await readWav(path);
  const samples = toMono(audio);
  const where = `${phone.name} heard ${path} (${(samples.length / audio.sampleRate).toFixed(1)} s at ${audio.sampleRate} Hz)`;
  assert.ok(samples.length >= audio.sampleRate * 2, `${where}: less than 2 s of audio`);
  const other = detectTone(samples, audio.sampleRate, expectHz);
  assert.ok(other.detected, `${where}: ${other.summary}`);
  const own = detectTone(samples, audio.sampleRate, ownHz);
  assert.equal(own.detected, false, `${where}: its own tone came back: ${own.summary}`);
  const dominant = dominantFrequency(samples, audio.sampleRate, [ALICE_HZ, BOB_HZ, CAROL_HZ]);
  assert.equal(dominant.frequencyHz, expectHz, `${where}: ${dominant.summary}`);
}

describe('baresip ↔ baresip, direct (no server)', { skip }, () => {
  let alice: BaresipPhone | undefined;
  let bob: BaresipPhone | undefined;
  const phones = () => {
    assert.ok(alice !== undefined && bob !== undefined, 'phones did not start');
    return { alice, bob };
  };

  before(async () => {
    const [aliceTone, bobTone] = await Promise.all([toneWav(ALICE_HZ), toneWav(BOB_HZ)]);
    [alice, bob] = await Promise.all([
      startBaresip({ name: 'alice', tone: aliceTone }),
      startBaresip({ name: 'bob', tone: bobTone }),
    ]);
  });
  after(async () => {
    await Promise.all([alice?.stop(), bob?.stop()]);
  });

  test('the tone files are what aufile plays: 8 kHz mono, one pure tone each', async () => {
    for (const hz of [ALICE_HZ, BOB_HZ]) {
      const audio = await readWav(await toneWav(hz));
      assert.equal(audio.sampleRate, 8000);
      assert.equal(audio.channels, 1);
      assert.ok(audio.samples.length >= 60 * 8000, 'at least 60 s: aufile hangs up at the end of the file');
      const first = audio.samples.subarray(0, 8000 * 2);
      assert.ok(detectTone(first, 8000, hz, { minRatio: 0.99, minPresence: 1 }).detected);
      assert.equal(detectTone(first, 8000, hz === ALICE_HZ ? BOB_HZ : ALICE_HZ).detected, false);
    }
  });

  test('alice calls bob, bob answers, each hears the other\'s tone', async () => {
    const { alice, bob } = phones();
    await alice.dial(bob.uri);
    const incoming = await bob.waitFor('CALL_INCOMING');
    assert.match(incoming.peeruri ?? '', /^sip:alice@127\.0\.0\.1:/);
    await bob.answer();
    await Promise.all([alice.waitFor('CALL_ESTABLISHED'), bob.waitFor('CALL_ESTABLISHED')]);
    await delay(3000);
    const aliceMark = alice.mark();
    const bobMark = bob.mark();
    await alice.hangup();
    const [aliceClosed, bobClosed] = await Promise.all([alice.waitFor('CALL_CLOSED', { since: aliceMark }), bob.waitFor('CALL_CLOSED', { since: bobMark })]);
    assert.match(bobClosed.param ?? '', /reset by peer|BYE|terminated/i, 'bob was hung up on by alice');
    assert.ok(aliceClosed.atMs > 0);
    await assertHeard(alice, BOB_HZ, ALICE_HZ);
    await assertHeard(bob, ALICE_HZ, BOB_HZ);
  });

  test('a call to a user the phone does not have is refused 404 and closes the caller\'s call', async () => {
    const { alice, bob } = phones();
    const since = alice.mark();
    await alice.dial(`sip:nobody@127.0.0.1:${bob.sipPort}`);
    const closed = await alice.waitFor('CALL_CLOSED', { since });
    assert.match(closed.param ?? '', /^404/);
    // Waiting for an answer to that call fails fast with the reason, not at the timeout.
    await assert.rejects(alice.waitFor('CALL_ESTABLISHED', { since, timeoutMs: 2000 }), /CALL_CLOSED \(404 Not Found\) while waiting for CALL_ESTABLISHED/);
  });
});

describe('baresip phone start-up and auto-answer', { skip }, () => {
  test('an auto-answering phone takes the call by itself; its hang-up closes the caller\'s call', async () => {
    const [dave, carol] = await Promise.all([
      startBaresip({ name: 'dave', tone: await toneWav(ALICE_HZ) }),
      startBaresip({ name: 'carol', tone: await toneWav(CAROL_HZ), autoAnswer: true }),
    ]);
    try {
      await dave.dial(carol.uri);
      await Promise.all([dave.waitFor('CALL_ESTABLISHED'), carol.waitFor('CALL_ESTABLISHED')]);
      await delay(2500);
      await carol.hangup();
      await dave.waitFor('CALL_CLOSED');
      await assertHeard(dave, CAROL_HZ, ALICE_HZ);
      await assertHeard(carol, ALICE_HZ, CAROL_HZ);
    } finally {
      await Promise.all([dave.stop(), carol.stop()]);
    }
  });

  test('a SIP port already taken fails the start with baresip\'s own words', async () => {
    const first = await startBaresip({ name: 'erin', tone: await toneWav(ALICE_HZ) });
    try {
      await assert.rejects(
        startBaresip({ name: 'frank', tone: await toneWav(BOB_HZ), sipPort: first.sipPort }),
        /baresip frank .*port in use[\s\S]*--- baresip output \(tail\) ---[\s\S]*Address already in use/,
      );
    } finally {
      await first.stop();
    }
  });

  test('a tone that aufile cannot play (16 kHz) is refused before baresip starts', async () => {
    await assert.rejects(
      startBaresip({ name: 'gina', tone: await toneWav(ALICE_HZ, { sampleRate: 16000, seconds: 1 }) }),
      /tone .* is 16000 Hz, 1 channel\(s\); baresip's aufile needs 8000 Hz mono/,
    );
  });

  test('registration to a server that does not answer fails within the start timeout, naming the account', async () => {
    const deadPort = await unusedPort(); // nothing listens there, and no connection can be given it
    const started = Date.now();
    await assert.rejects(
      startBaresip({
        name: 'hank', tone: await toneWav(ALICE_HZ), startTimeoutMs: 3000,
        account: { user: '1001', domain: 'voiplab.test', password: 'not-shown', outbound: `sip:127.0.0.1:${deadPort}` },
      }),
      (err: Error) => {
        assert.match(err.message, /did not register sip:1001@voiplab\.test through sip:127\.0\.0\.1:\d+/);
        assert.doesNotMatch(err.message, /not-shown/, 'the password is masked');
        return true;
      },
    );
    assert.ok(Date.now() - started < 8000, 'bounded by startTimeoutMs (plus the stop)');
  });
});
