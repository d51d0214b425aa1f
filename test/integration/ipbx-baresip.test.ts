// The headline proof: two real desk phones (Debian baresip) register with digest over UDP
// to a real IPBX, call each other through it (B2BUA, SDP relayed unchanged, RTP phone to phone),
// and each one's recording holds the OTHER's tone: 1001 plays 1000 Hz, 1002 plays 1500 Hz. Both
// directions, hang-up by the caller and by the callee (the BYE is relayed to the other leg), and
// the IPBX's view of it all (no call left, one answered CDR per call).
//
// The IPBX offers MD5 only (its default): baresip 1.0 refuses to register when a challenge offers
// SHA-256 (see test/helpers/baresip.ts).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { detectTone, dominantFrequency, readWav, toMono } from '../../scenarios/audio/index.ts';
import { baresipSkipReason, startBaresip, type BaresipPhone } from '../helpers/baresip.ts';
import { startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { toneWav } from '../helpers/tones.ts';

const DOMAIN = 'voiplab.test';
const ALICE = { extension: '1001', password: 'alice-secret-1001', hz: 1000 };
const BOB = { extension: '1002', password: 'bob-secret-1002', hz: 1500 };
/** Audio each phone must have recorded before the call is hung up. */
const LISTEN_MS = 3000;
const skip = baresipSkipReason();

interface CdrView { caller: string; callee: string; cause: string; status: number | null; duration: number }

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

/** Waits until the phone's recording of this call (its `before`-th or later) holds `ms` of audio. */
async function recorded(phone: BaresipPhone, before: number, ms: number): Promise<void> {
  await until(async () => {
    const path = phone.recordings('heard')[before];
    if (path === undefined) return undefined;
    const audio = await readWav(path, { allowUnfinished: true }).catch(() => undefined);
    return audio !== undefined && audio.samples.length / audio.channels >= (audio.sampleRate * ms) / 1000 ? true : undefined;
  }, `${ms} ms of audio in ${phone.name}'s recording`, ms + 10_000);
}

/** What the phone heard in its latest call: `expectHz`, and not its own tone. */
async function assertHeard(phone: BaresipPhone, expectHz: number, ownHz: number): Promise<void> {
  const path = phone.recordedWav();
  const audio = await readWav(path);
  const samples = toMono(audio);
  const where = `${phone.name} heard ${path} (${(samples.length / audio.sampleRate).toFixed(1)} s at ${audio.sampleRate} Hz)`;
  assert.ok(samples.length >= audio.sampleRate * 2, `${where}: less than 2 s of audio`);
  // The first half second may be the jitter buffer filling: not what this test is about.
  const other = detectTone(samples, audio.sampleRate, expectHz, { skipMs: 500 });
  assert.ok(other.detected, `${where}: ${other.summary}`);
  const own = detectTone(samples, audio.sampleRate, ownHz, { skipMs: 500 });
  assert.equal(own.detected, false, `${where}: its own tone came back: ${own.summary}`);
  const dominant = dominantFrequency(samples, audio.sampleRate, [ALICE.hz, BOB.hz], { skipMs: 500 });
  assert.equal(dominant.frequencyHz, expectHz, `${where}: ${dominant.summary}`);
}

describe('baresip ↔ IPBX ↔ baresip: digest registration, calls both ways, each hears the other', { skip }, () => {
  let ipbx: IpbxHarness;
  let alice: BaresipPhone | undefined;
  let bob: BaresipPhone | undefined;
  const phones = () => {
    assert.ok(alice !== undefined && bob !== undefined, 'phones did not start');
    return { alice, bob };
  };

  before(async () => {
    ipbx = await startHarness({
      protocols: ['udp'],
      accounts: [
        { extension: ALICE.extension, password: ALICE.password, displayName: 'Alice' },
        { extension: BOB.extension, password: BOB.password, displayName: 'Bob' },
      ],
    });
    const outbound = `sip:127.0.0.1:${ipbx.port('udp')}`;
    const [aliceTone, bobTone] = await Promise.all([toneWav(ALICE.hz), toneWav(BOB.hz)]);
    // startBaresip resolves on REGISTER_OK: each phone answered the IPBX's 401 with its password.
    [alice, bob] = await Promise.all([
      startBaresip({ name: 'ipbx-alice', tone: aliceTone, account: { user: ALICE.extension, domain: DOMAIN, password: ALICE.password, displayName: 'Alice', outbound } }),
      startBaresip({ name: 'ipbx-bob', tone: bobTone, account: { user: BOB.extension, domain: DOMAIN, password: BOB.password, displayName: 'Bob', outbound } }),
    ]);
  });
  after(async () => {
    await Promise.all([alice?.stop(), bob?.stop()]);
    await ipbx.close();
  });

  async function cdrs(): Promise<{ total: number; items: CdrView[] }> {
    return await (await ipbx.api('/api/v1/cdrs')).json() as { total: number; items: CdrView[] };
  }

  /** `caller` dials `callee`'s number, `callee` answers; both hear each other; `hangsUp` ends it. */
  async function callThrough(caller: BaresipPhone, callerHz: number, callee: BaresipPhone, calleeHz: number, calleeNumber: string, hangsUp: 'caller' | 'callee') {
    const cdrsBefore = (await cdrs()).total;
    const callerMark = caller.mark();
    const calleeMark = callee.mark();
    const callerRecordings = caller.recordings('heard').length;
    const calleeRecordings = callee.recordings('heard').length;

    await caller.dial(`sip:${calleeNumber}@${DOMAIN}`);
    const incoming = await callee.waitFor('CALL_INCOMING', { since: calleeMark });
    assert.match(incoming.peeruri ?? '', new RegExp(`^sip:${caller === phones().alice ? ALICE.extension : BOB.extension}@${DOMAIN.replace('.', '\\.')}`), 'the callee sees who calls');
    await callee.answer();
    await Promise.all([caller.waitFor('CALL_ESTABLISHED', { since: callerMark }), callee.waitFor('CALL_ESTABLISHED', { since: calleeMark })]);

    const active = await (await ipbx.api('/api/v1/calls')).json() as { items: Array<{ state: string; caller: string; callee: string }> };
    assert.equal(active.items.length, 1, 'the IPBX holds one call while it lasts');
    assert.equal(active.items[0]?.state, 'answered');

    await Promise.all([recorded(caller, callerRecordings, LISTEN_MS), recorded(callee, calleeRecordings, LISTEN_MS)]);
    const closingMarks = { caller: caller.mark(), callee: callee.mark() };
    await (hangsUp === 'caller' ? caller : callee).hangup();
    // The other side's CALL_CLOSED comes from the BYE the IPBX relayed to its leg.
    const [callerClosed, calleeClosed] = await Promise.all([
      caller.waitFor('CALL_CLOSED', { since: closingMarks.caller }),
      callee.waitFor('CALL_CLOSED', { since: closingMarks.callee }),
    ]);
    const hungUpOn = hangsUp === 'caller' ? calleeClosed : callerClosed;
    assert.doesNotMatch(hungUpOn.param ?? '', /^[3-6]\d\d/, `the other side was hung up on with a BYE, not a failure: ${hungUpOn.param ?? ''}`);

    await assertHeard(caller, calleeHz, callerHz);
    await assertHeard(callee, callerHz, calleeHz);

    await until(async () => ((await (await ipbx.api('/api/v1/calls')).json()) as { items: unknown[] }).items.length === 0 ? true : undefined, 'no call left on the IPBX');
    const after = await until(async () => {
      const list = await cdrs();
      return list.total > cdrsBefore ? list : undefined;
    }, 'the call\'s CDR');
    const cdr = after.items[0];
    assert.equal(cdr?.cause, 'answered');
    assert.equal(cdr.callee, calleeNumber);
    assert.ok(cdr.duration > 0, 'the CDR counts the talk time');
  }

  test('both phones registered with digest: the IPBX lists one UDP binding each, at the phone\'s port (baresip adds a suffix to the user part)', async () => {
    const { alice, bob } = phones();
    const body = await (await ipbx.api('/api/v1/registrations')).json() as { items: Array<{ extension: string; contact: string; protocol: string }> };
    for (const phone of [alice, bob]) {
      const extension = phone === alice ? ALICE.extension : BOB.extension;
      const bindings = body.items.filter((b) => b.extension === extension);
      assert.equal(bindings.length, 1, `${extension} has one binding`);
      assert.equal(bindings[0]?.protocol, 'udp');
      assert.match(bindings[0]?.contact ?? '', new RegExp(`^sip:${extension}(-[^@]*)?@127\\.0\\.0\\.1:${phone.sipPort}\\b`));
    }
  });

  test('1001 calls 1002 through the IPBX, 1002 answers: each records the other\'s tone; the caller hangs up', async () => {
    const { alice, bob } = phones();
    await callThrough(alice, ALICE.hz, bob, BOB.hz, BOB.extension, 'caller');
  });

  test('1002 calls 1001 (the reverse direction): each records the other\'s tone; the callee\'s hang-up ends both legs', async () => {
    const { alice, bob } = phones();
    await callThrough(bob, BOB.hz, alice, ALICE.hz, ALICE.extension, 'callee');
  });
});
