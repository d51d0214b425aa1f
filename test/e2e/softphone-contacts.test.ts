// Contacts from the IPBX's directory: on voiplab, once alice signs in, her softphone reads
// /api/v1/directory with her own SIP credentials (HTTP Digest; the page has no admin token) and
// lists the other accounts with who is registered; the search field narrows the list; a click
// calls. The same app served as static files by another web server (not voiplab) shows no
// Contacts, though it registers on the same IPBX.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { bundleSoftphone, SOFTPHONE_FILES, type SoftphoneFileName } from '../../softphone/build/softphone-bundle.ts';
import type { IpbxHarness } from '../helpers/ipbx-harness.ts';
import { softphoneUrl, startSoftphoneIpbx } from '../helpers/softphone-ipbx.ts';
import { SCREENSHOTS, SoftphonePage } from '../helpers/softphone-page.ts';
import { dependentSteps } from '../helpers/softphone-steps.ts';
import { mkdirSync } from 'node:fs';

const ALICE = { user: '1001', password: 'alice-secret-1001', displayName: 'Alice' };
const BOB = { user: '1002', password: 'bob-secret-1002', displayName: 'Bob Durand' };
const CAROL = { user: '1003', password: 'carol-secret-1003', displayName: 'Carol' };
const CALL_SETUP_MS = 20_000;

/** The softphone's files from a plain web server of its own (no /phone/config.json, no API). */
async function staticSoftphone(): Promise<{ url: string; close: () => Promise<void> }> {
  const files = await bundleSoftphone();
  const server: Server = createServer((request, response) => {
    const name = (request.url === '/' ? 'index.html' : request.url?.slice(1)) as SoftphoneFileName;
    if (!(name in SOFTPHONE_FILES)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': SOFTPHONE_FILES[name] }).end(Buffer.from(files[name]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

void describe('softphone: contacts from the IPBX directory, click to call', () => {
  let harness: IpbxHarness | undefined;
  let alice: SoftphonePage | undefined;
  let bob: SoftphonePage | undefined;
  let wssPort = 0;

  const step = dependentSteps(() => (alice !== undefined && bob !== undefined ? [alice, bob] as [SoftphonePage, SoftphonePage] : undefined));

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const started = await startSoftphoneIpbx([ALICE, BOB, CAROL], { media: 'passthrough' });
    harness = started;
    wssPort = started.wssPort;
    const launched = await Promise.allSettled([
      SoftphonePage.launch({ name: 'alice', url: softphoneUrl(harness), trustCertificate: harness.certificate }),
      // Bob signs in from his link, so he is registered before alice looks at her contacts.
      SoftphonePage.launch({ name: 'bob', url: softphoneUrl(harness, { user: BOB.user, password: BOB.password }), trustCertificate: harness.certificate }),
    ]);
    [alice, bob] = launched.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
    for (const result of launched) if (result.status === 'rejected') throw result.reason;
    await bob?.waitForRegistered();
  });

  after(async () => {
    await Promise.allSettled([alice?.close(), bob?.close()]);
    await harness?.close();
  });

  void it('signed in, alice sees the other accounts, with who is online, but not herself', (t) => step(t, async (a) => {
    await a.signIn(ALICE);
    await a.waitForRegistered();
    const contacts = a.control('contacts');
    await contacts.waitFor({ state: 'visible' });
    assert.equal(await a.control('contact-1001').count(), 0);
    assert.equal(await a.control('contact-1002').innerText(), 'Bob Durand (1002)');
    assert.equal(await a.control('contact-1002').getAttribute('data-registered'), 'true');
    assert.equal(await a.control('contact-1003').getAttribute('data-registered'), 'false');
    await a.screenshot(`${SCREENSHOTS}contacts.png`);
  }));

  void it('the search field narrows the list by name or number', (t) => step(t, async (a) => {
    await a.control('contacts-search').fill('dur');
    assert.equal(await a.control('contact-1003').count(), 0);
    assert.equal(await a.control('contact-1002').count(), 1);
    await a.control('contacts-search').fill('1003');
    assert.equal(await a.control('contact-1002').count(), 0);
    assert.equal(await a.control('contact-1003').count(), 1);
    await a.control('contacts-search').fill('bob');
  }));

  void it('a click on a contact calls it: bob\'s phone rings with alice\'s name', (t) => step(t, async (a, b) => {
    await a.click('contact-1002');
    const incoming = await b.waitForCall('incoming', CALL_SETUP_MS);
    assert.equal(incoming.remoteNumber, ALICE.user);
    assert.equal(incoming.remoteName, ALICE.displayName);
    const calling = (await a.state()).calls.find((c) => c.state !== 'ended');
    assert.equal(calling?.remoteNumber, BOB.user);
    await b.click('reject-button', incoming.id);
    await a.waitForCall('ended', CALL_SETUP_MS);
  }));

  void it('the same app from another web server registers on the IPBX but shows no Contacts', (t) => step(t, async (a) => {
    const site = await staticSoftphone();
    try {
      await a.click('sign-out');
      await a.page.goto(site.url);
      await a.page.waitForFunction(() => 'voiplab' in globalThis);
      await a.control('server').fill(`wss://127.0.0.1:${wssPort}`);
      await a.control('domain').fill(harness!.domain);
      await a.signIn(ALICE);
      await a.waitForRegistered();
      await a.control('call-history').waitFor({ state: 'visible' });
      assert.equal(await a.control('contacts').isVisible(), false);
      assert.equal(await a.control('contact-1002').count(), 0);
    } finally {
      await site.close();
    }
  }));
});
