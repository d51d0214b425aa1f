// The softphone's sign-in paths against a real IPBX (WSS listener): how /phone/ is served (http
// and https), the page in French for a French browser, the message for a wrong password (in
// French, then in English after the switch), for an unreachable server, settings remembered
// without the password, and the phone reconnecting and registering again by itself after the
// IPBX restarts.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { freeTcpPort, softphoneUrl } from '../helpers/softphone-ipbx.ts';
import { SCREENSHOTS, SoftphonePage } from '../helpers/softphone-page.ts';
import { dependentSteps } from '../helpers/softphone-steps.ts';

const ALICE = { user: '1001', password: 'alice-secret-1001', displayName: 'Alice' };
/** The IPBX back after a restart, and the phone's back-off (0.5, 1, 2, 4 s…) catching it. */
const RECONNECT_MS = 20_000;

void describe('softphone: serving, sign-in errors, languages, reconnection (IPBX with a WSS listener)', () => {
  let harness: IpbxHarness | undefined;
  let phone: SoftphonePage | undefined;
  let wssPort = 0;

  const step = dependentSteps(() => (phone === undefined ? undefined : [phone] as [SoftphonePage]));

  const startIpbx = (dataDir?: string) => startHarness({
    accounts: [{ extension: ALICE.user, password: ALICE.password, displayName: ALICE.displayName }],
    extra: {
      // No call here: no media plane to start (and to stop at the restart).
      media: { mode: 'passthrough' },
      sip: { listeners: [{ protocol: 'wss', address: '127.0.0.1', port: wssPort }] },
      // http first: the harness's apiBase is the first listener.
      http: { listeners: [{ protocol: 'http', address: '127.0.0.1', port: 0 }, { protocol: 'https', address: '127.0.0.1', port: 0 }] },
    },
    ...(dataDir === undefined ? {} : { dataDir }),
  });

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    wssPort = await freeTcpPort();
    harness = await startIpbx();
    phone = await SoftphonePage.launch({ name: 'alice', url: softphoneUrl(harness), trustCertificate: harness.certificate, locale: 'fr-FR' });
  });

  after(async () => {
    await phone?.close();
    await harness?.close();
  });

  void it('the IPBX serves /phone/ (app, styles, config.json with its WSS URL and domain)', async () => {
    const base = harness!.apiBase;
    const redirect = await fetch(`${base}/phone`, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/phone/');
    const script = await fetch(`${base}/phone/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    const config = await (await fetch(`${base}/phone/config.json`)).json() as { server: string | null; domain: string };
    assert.deepEqual(config, { server: `wss://127.0.0.1:${wssPort}`, domain: harness!.domain });
    assert.equal((await fetch(`${base}/phone/secret.txt`)).status, 404);
  });

  void it('over https too: the page loads (certificate trusted) with the WSS server pre-filled', (t) => step(t, async (p) => {
    const https = harness!.ipbx.httpEndpoints.find((endpoint) => endpoint.protocol === 'https');
    assert.ok(https !== undefined, 'an https listener');
    // A context of its own, closed afterwards with its sockets: an idle TLS connection Chromium
    // keeps (or opened ahead of time) would hold the IPBX's close() up to Node's 60 s headersTimeout.
    const context = await p.page.context().browser()!.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`https://127.0.0.1:${https.port}/phone/`);
      await page.waitForFunction(() => 'voiplab' in globalThis, undefined, { timeout: 15_000 });
      assert.equal(await page.locator('[data-testid="server"]').inputValue(), `wss://127.0.0.1:${wssPort}`);
      assert.equal(await page.evaluate('window.isSecureContext'), true, 'the https page is a secure context');
    } finally {
      await context.close();
    }
  }));

  void it('a French browser gets the page in French; a wrong password says so, in French then in English', (t) => step(t, async (p) => {
    assert.equal(await p.control('sign-in').innerText(), 'Se connecter');
    await p.signIn({ user: ALICE.user, password: 'not-the-password' });
    const state = await p.waitFor('registration failed', (s) => s.registration.state === 'failed');
    assert.equal(state.lastError?.code, 'wrong-credentials');
    assert.ok(state.lastError.statusCode === 401 || state.lastError.statusCode === 403, `401 or 403, got ${state.lastError.statusCode}`);
    const banner = p.control('error-message');
    assert.equal(await banner.getAttribute('data-code'), 'wrong-credentials');
    assert.match(await banner.innerText(), /mot de passe incorrect/);
    await p.control('language-switch').selectOption('en');
    assert.match(await p.control('error-message').innerText(), /Wrong user name or password/);
    assert.equal(await p.control('sign-in').innerText(), 'Sign in');
    await p.screenshot(`${SCREENSHOTS}wrong-password.png`);
  }));

  void it('an unreachable server gets its own message', (t) => step(t, async (p) => {
    const closedPort = await freeTcpPort();
    await p.control('server').fill(`wss://127.0.0.1:${closedPort}`);
    await p.signIn({ user: ALICE.user, password: ALICE.password });
    const state = await p.waitFor('server unreachable', (s) => s.lastError?.code === 'server-unreachable');
    assert.equal(state.registration.state, 'failed');
    assert.match(await p.errorMessage() ?? '', /Cannot reach the server/);
  }));

  void it('the settings are remembered across a reload, without the password', (t) => step(t, async (p) => {
    await p.page.reload();
    await p.page.waitForFunction(() => 'voiplab' in globalThis);
    assert.equal(await p.control('user').inputValue(), ALICE.user);
    assert.equal(await p.control('password').inputValue(), '');
    assert.equal(await p.control('sign-in').innerText(), 'Sign in', 'the language switch is remembered too');
  }));

  void it('signed in, the phone reconnects and registers again by itself after the IPBX restarts', (t) => step(t, async (p) => {
    await p.control('server').fill(`wss://127.0.0.1:${wssPort}`);
    await p.signIn({ user: ALICE.user, password: ALICE.password });
    await p.waitForRegistered();
    const dataDir = harness!.dataDir;
    const started = Date.now();
    await harness!.close();
    harness = undefined;
    const closedAt = Date.now();
    await p.waitFor('reconnecting', (s) => s.registration.state === 'reconnecting');
    assert.equal(await p.control('registration-state').getAttribute('data-state'), 'reconnecting');
    harness = await startIpbx(dataDir);
    const restartedAt = Date.now();
    const state = await p.waitFor('registered again', (s) => s.registration.state === 'registered', RECONNECT_MS);
    t.diagnostic(`IPBX closed in ${closedAt - started} ms, restarted in ${restartedAt - closedAt} ms; registered again ${Date.now() - restartedAt} ms later`);
    assert.equal(state.lastError, null, 'the connection-lost message is cleared once registered again');
    const bindings = await (await harness.api(`/api/v1/registrations?extension=${ALICE.user}`)).json() as { items: unknown[] };
    assert.equal(bindings.items.length, 1, 'the restarted IPBX has the binding again');
  }));
});
