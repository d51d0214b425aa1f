// Transfers, call waiting and swap in the softphone, through its screens, on a real IPBX
// (rtpengine media, WSS). Three Chromiums: alice (1000 Hz), bob (1500 Hz), carol (2000 Hz).
// Blind: bob answers alice and transfers her to carol with "Transfer now"; alice and carol then
// hear each other. Attended: bob answers alice, calls carol from the number field (alice goes
// on hold), swaps back to alice, then connects the two calls; alice and carol then hear each other.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { IpbxHarness } from '../helpers/ipbx-harness.ts';
import { softphoneUrl, startSoftphoneIpbx } from '../helpers/softphone-ipbx.ts';
import { SCREENSHOTS, SoftphonePage } from '../helpers/softphone-page.ts';
import { dependentSteps } from '../helpers/softphone-steps.ts';

const ALICE = { user: '1001', password: 'alice-secret-1001', displayName: 'Alice', toneHz: 1000 };
const BOB = { user: '1002', password: 'bob-secret-1002', displayName: 'Bob', toneHz: 1500 };
const CAROL = { user: '1003', password: 'carol-secret-1003', displayName: 'Carol', toneHz: 2000 };
const CALL_SETUP_MS = 20_000;

void describe('softphone: blind and attended transfer, call waiting and swap (IPBX with rtpengine, WSS)', () => {
  let harness: IpbxHarness | undefined;
  let phones: SoftphonePage[] = [];
  /** The two calls of bob the attended transfer joins. */
  let attended: { aliceCall: string; carolCall: string } | undefined;

  const step = dependentSteps(() => (phones.length === 3 ? phones as [SoftphonePage, SoftphonePage, SoftphonePage] : undefined));

  /** alice dials bob, bob answers from his incoming screen: both connected. */
  async function aliceCallsBob(alice: SoftphonePage, bob: SoftphonePage): Promise<string> {
    await alice.control('dial-input').fill(BOB.user);
    await alice.click('call-button');
    const incoming = await bob.waitForCall('incoming', CALL_SETUP_MS);
    await bob.click('answer-button', incoming.id);
    await Promise.all([alice.waitForCall('connected', CALL_SETUP_MS), bob.waitForCall('connected', CALL_SETUP_MS)]);
    return incoming.id;
  }

  /** Every call of every phone ended (the previous step's calls are over). */
  async function allIdle(): Promise<void> {
    await Promise.all(phones.map((phone) => phone.waitFor('no live call', (s) => s.calls.every((c) => c.state === 'ended'))));
  }

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    harness = await startSoftphoneIpbx([ALICE, BOB, CAROL]);
    const url = softphoneUrl(harness, { audioProcessing: '0' });
    const launched = await Promise.allSettled([ALICE, BOB, CAROL].map((who) =>
      SoftphonePage.launch({ name: who.displayName.toLowerCase(), url, toneHz: who.toneHz, trustCertificate: harness!.certificate })));
    phones = launched.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    for (const result of launched) if (result.status === 'rejected') throw result.reason;
    await Promise.all(phones.map((phone, i) => phone.signIn([ALICE, BOB, CAROL][i]!)));
    await Promise.all(phones.map((phone) => phone.waitForRegistered()));
  });

  after(async () => {
    await Promise.allSettled(phones.map((phone) => phone.close()));
    await harness?.close();
  });

  void it('blind transfer: bob sends alice to carol; alice and carol talk, bob\'s call ends as transferred', (t) => step(t, async (alice, bob, carol) => {
    const bobCall = await aliceCallsBob(alice, bob);
    await bob.click('transfer-button', bobCall);
    await bob.control('transfer-target', bobCall).fill(CAROL.user);
    await bob.click('blind-transfer-button', bobCall);
    const ringing = await carol.waitForCall('incoming', CALL_SETUP_MS);
    assert.equal(ringing.remoteNumber, ALICE.user, 'carol sees alice calling');
    await carol.click('answer-button', ringing.id);
    await carol.waitForCall('connected', CALL_SETUP_MS);
    await Promise.all([alice.hears(CAROL.toneHz), carol.hears(ALICE.toneHz)]);
    const bobState = await bob.waitFor('bob\'s call ended', (s) => s.calls.some((c) => c.id === bobCall && c.state === 'ended'));
    assert.equal(bobState.calls.find((c) => c.id === bobCall)?.endCause, 'transferred');
    await carol.click('hangup-button');
    await allIdle();
  }));

  void it('call waiting and swap: bob holds alice by calling carol, then swaps back to alice', (t) => step(t, async (alice, bob, carol) => {
    const aliceCall = await aliceCallsBob(alice, bob);
    // A second call from the number field: the first one goes on hold by itself.
    await bob.control('dial-input').fill(CAROL.user);
    await bob.click('call-button');
    const carolRinging = await carol.waitForCall('incoming', CALL_SETUP_MS);
    await carol.click('answer-button', carolRinging.id);
    const both = await bob.waitFor('two connected calls', (s) => s.calls.filter((c) => c.state === 'connected').length === 2);
    assert.equal(both.calls.find((c) => c.id === aliceCall)?.onHold, true, 'alice\'s call went on hold');
    const carolCall = both.calls.find((c) => c.state === 'connected' && c.id !== aliceCall)!.id;
    await bob.hears(CAROL.toneHz, { callId: carolCall });
    await bob.screenshot(`${SCREENSHOTS}two-calls.png`);
    await bob.click('swap-button', aliceCall);
    await bob.waitFor('alice active, carol held', (s) => s.calls.some((c) => c.id === aliceCall && !c.onHold) && s.calls.some((c) => c.id === carolCall && c.onHold));
    await bob.hears(ALICE.toneHz, { callId: aliceCall });
    attended = { aliceCall, carolCall };
  }));

  // Carol's leg moves into alice's call, another rtpengine call: the IPBX offers to her (not the
  // other way round) so that rtpengine shows her a new DTLS fingerprint, and her browser makes a
  // new DTLS handshake with it (rtpengine-media-hook.ts, transfer-attended.ts).
  void it('attended transfer: bob connects alice and carol, who then hear each other', (t) => step(t, async (alice, bob, carol) => {
    if (attended === undefined) throw new Error('the call-waiting step left no two calls');
    await bob.click('transfer-button', attended.aliceCall);
    await bob.click('attended-transfer-button', attended.aliceCall);
    await bob.waitFor('both of bob\'s calls ended', (s) => s.calls.filter((c) => c.state !== 'ended').length === 0, CALL_SETUP_MS);
    await Promise.all([alice.hears(CAROL.toneHz), carol.hears(ALICE.toneHz)]);
    await alice.click('hangup-button');
    await allIdle();
  }));
});
