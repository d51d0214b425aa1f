// The softphone's microphone messages, against a real IPBX (WSS listener): a browser without
// any capture device says "no microphone", one that refuses the permission says so, each when
// the user places a call (the microphone is opened per call), and no INVITE goes out.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { freeTcpPort, softphoneUrl } from '../helpers/softphone-ipbx.ts';
import { SoftphonePage } from '../helpers/softphone-page.ts';

const ACCOUNTS = [
  { extension: '1001', password: 'alice-secret-1001', displayName: 'Alice' },
  { extension: '1002', password: 'bob-secret-1002', displayName: 'Bob' },
];

void describe('softphone: microphone missing or refused (IPBX with a WSS listener)', () => {
  let harness: IpbxHarness | undefined;
  let phones: SoftphonePage[] = [];

  before(async () => {
    const wssPort = await freeTcpPort();
    harness = await startHarness({ accounts: ACCOUNTS, extra: { media: { mode: 'passthrough' }, sip: { listeners: [{ protocol: 'wss', address: '127.0.0.1', port: wssPort }] } } });
    const url = softphoneUrl(harness);
    const launched = await Promise.allSettled([
      SoftphonePage.launch({ name: 'no-device', url, microphone: 'none', trustCertificate: harness.certificate }),
      SoftphonePage.launch({ name: 'refused', url, microphone: 'denied', trustCertificate: harness.certificate }),
    ]);
    phones = launched.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    for (const result of launched) if (result.status === 'rejected') throw result.reason;
    await Promise.all(phones.map((phone, i) => phone.signIn({ user: ACCOUNTS[i]!.extension, password: ACCOUNTS[i]!.password })));
    await Promise.all(phones.map((phone) => phone.waitForRegistered()));
  });

  after(async () => {
    await Promise.allSettled(phones.map((phone) => phone.close()));
    await harness?.close();
  });

  for (const [index, code, text] of [[0, 'no-microphone', /No microphone was found/], [1, 'microphone-denied', /Microphone access was denied/]] as const) {
    void it(`${code}: calling shows "${text.source}" and sends no INVITE`, async () => {
      const phone = phones[index]!;
      await phone.control('dial-input').fill(ACCOUNTS[1 - index]!.extension);
      await phone.click('call-button');
      const state = await phone.waitFor(code, (s) => s.lastError !== null);
      assert.equal(state.lastError?.code, code, state.lastError?.detail);
      assert.equal(await phone.control('error-message').getAttribute('data-code'), code);
      assert.match(await phone.control('error-message').innerText(), text);
      assert.deepEqual(state.calls.map((call) => call.state), ['ended']);
      const trace = await phone.page.evaluate(() => (globalThis as unknown as { voiplab: { sipTrace(): string[] } }).voiplab.sipTrace());
      assert.ok(!trace.some((message) => /^INVITE /m.test(message)), 'no INVITE was sent');
    });
  }
});
