// The HTTP API driving and watching a real IPBX, end to end: an account created through
// POST /api/v1/accounts is written to the config file as HA1 only and registers at once; its
// registration, its calls (live, then as a CDR) and the live events WebSocket follow what the SIP
// side does; DELETE /api/v1/calls/:id hangs up both legs; /metrics counts registrations; and the
// bindings survive a restart of the IPBX on the same data folder.
//
// The tests run in order and share one IPBX and its phones (SIP phones on the voiplab stack over
// UDP, registering with digest like any desk phone).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parse } from 'yaml';
import { WebSocket } from 'ws';
import { SipUri, type SipResponse } from '../../ipbx/sip/index.ts';
import { ADMIN_TOKEN, startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { SipPhone, eventually, type OutgoingCall, type PhoneSession } from '../helpers/sip-phone.ts';
import { within } from '../helpers/stack-pair.ts';

const DOMAIN = 'voiplab.test';
const ALICE = { extension: '1001', password: 'alice-secret-1001' };
const CAROL = { extension: '1003', password: 'carol-secret-1003', displayName: 'Carol' };

interface ApiEvent { event: 'registration' | 'call' | 'cdr'; data: Record<string, unknown> }
interface CallView { id: string; caller: string; callee: string; state: string; answeredAt: number | null }
interface CdrView { caller: string; callee: string; cause: string; status: number | null }
interface BindingView { extension: string; contact: string; protocol: string; source: { address: string; port: number } }

/** Polls `probe` until it returns a value; bounded. */
async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(25);
  }
}

/** REGISTER with digest (the phone answers the 401 with its password). */
function register(phone: SipPhone, password: string, expires = 600): Promise<SipResponse> {
  const request = phone.stack.createRequest('REGISTER', new SipUri({ host: phone.domain }), {
    from: phone.fromHeader, to: `<${phone.aor}>`, contact: `${phone.contact.toString()};expires=${expires}`,
  });
  return within(phone.stack.send(request, { target: phone.proxy, credentials: { username: phone.user, password } }), `${phone.user}'s REGISTER`);
}

describe('IPBX HTTP API end to end: accounts, registrations, calls, CDRs, events, metrics, restart', () => {
  let ipbx: IpbxHarness;
  let events: WebSocket;
  const received: ApiEvent[] = [];
  const phones: SipPhone[] = [];
  let alice: SipPhone;
  let carol: SipPhone;

  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await ipbx.api(path, init);
    assert.ok(response.ok, `${init?.method ?? 'GET'} ${path}: ${response.status} ${await response.clone().text()}`);
    return await response.json() as T;
  };
  // DELETE without a body, so without Content-Type: the harness's api() always sends
  // application/json, which fastify refuses on an empty body (400 IPBX_API_MALFORMED_REQUEST).
  const del = (path: string) => fetch(ipbx.apiBase + path, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const startPhone = async (user: string, password: string, displayName?: string) => {
    const phone = await SipPhone.start({
      user, domain: DOMAIN, proxy: { protocol: 'udp', address: '127.0.0.1', port: ipbx.port('udp') },
      credentials: { username: user, password }, ...(displayName === undefined ? {} : { displayName }),
    });
    phones.push(phone);
    return phone;
  };
  /** 1001 calls 1003, who answers; both sessions once established. */
  const establish = async (): Promise<{ call: OutgoingCall; caller: PhoneSession; callee: PhoneSession }> => {
    const calls = carol.calls.length;
    const call = alice.call(CAROL.extension);
    const caller = await call.established();
    const incoming = await carol.nextCall(calls);
    const callee = incoming.session ?? assert.fail('1003 answered');
    return { call, caller, callee };
  };

  before(async () => {
    ipbx = await startHarness({ protocols: ['udp'], accounts: [{ ...ALICE, displayName: 'Alice' }] });
    events = new WebSocket(`${ipbx.apiBase.replace(/^http/, 'ws')}/api/v1/events?token=${ADMIN_TOKEN}`);
    events.on('message', (data: Buffer) => received.push(JSON.parse(data.toString()) as ApiEvent));
    await within(new Promise((resolve, reject) => { events.once('open', resolve); events.once('error', reject); }), 'the events WebSocket to open');
  });
  after(async () => {
    events.close();
    await Promise.all(phones.map((p) => p.close()));
    await ipbx.close();
  });

  test('POST /api/v1/accounts creates 1003; the config file keeps its HA1 only, never a password', async () => {
    const response = await ipbx.api('/api/v1/accounts', { method: 'POST', body: JSON.stringify(CAROL) });
    assert.equal(response.status, 201, await response.clone().text());
    assert.equal(response.headers.get('location'), '/api/v1/accounts/1003');
    const view = await response.json() as Record<string, unknown>;
    assert.equal(view['extension'], '1003');
    assert.equal(view['password'], undefined, 'the answer carries no password');
    assert.equal(view['ha1'], undefined, 'nor its hashes');

    const text = readFileSync(ipbx.configFile, 'utf8');
    assert.doesNotMatch(text, new RegExp(CAROL.password), 'the new password is not in the file');
    assert.doesNotMatch(text, new RegExp(ALICE.password), 'the hand-written password was replaced too when voiplab rewrote the file');
    const doc = parse(text) as { accounts: Array<{ extension: string; password?: string; ha1?: Record<string, string> }> };
    const written = doc.accounts.find((a) => a.extension === '1003') ?? assert.fail('1003 is in the file');
    assert.equal(written.password, undefined);
    assert.match(written.ha1?.['MD5'] ?? '', /^[0-9a-f]{32}$/);
    assert.ok(doc.accounts.every((a) => a.password === undefined && a.ha1 !== undefined), 'every account is stored as HA1');
    assert.equal(statSync(ipbx.configFile).mode & 0o777, 0o600, 'the config file stays private');
  });

  test('the new account registers with digest at once, and GET /api/v1/registrations lists it', async () => {
    carol = await startPhone(CAROL.extension, CAROL.password, CAROL.displayName);
    alice = await startPhone(ALICE.extension, ALICE.password, 'Alice');
    assert.equal((await register(carol, CAROL.password)).status, 200);
    assert.equal((await register(alice, ALICE.password)).status, 200);
    const { items } = await json<{ items: BindingView[] }>('/api/v1/registrations');
    const binding = items.find((b) => b.extension === '1003') ?? assert.fail('1003 is listed');
    assert.equal(binding.protocol, 'udp');
    assert.equal(binding.source.port, carol.tap.localEndpoint('udp').port);
    assert.equal(binding.contact, carol.contact.uri.toString());
    const filtered = await json<{ items: BindingView[] }>('/api/v1/registrations?extension=1003');
    assert.deepEqual(filtered.items.map((b) => b.extension), ['1003']);
  });

  test('GET /metrics counts the registrations (Prometheus text)', async () => {
    const response = await ipbx.api('/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await response.text(), /^voiplab_registrations 2$/m);
  });

  test('a call shows in GET /api/v1/calls while it lasts, then as a CDR', async () => {
    const { caller } = await establish();
    const { items } = await json<{ items: CallView[] }>('/api/v1/calls');
    assert.equal(items.length, 1);
    assert.equal(items[0]?.caller, '1001');
    assert.equal(items[0]?.callee, '1003');
    assert.equal(items[0]?.state, 'answered');
    assert.notEqual(items[0]?.answeredAt, null);

    assert.equal((await caller.bye()).status, 200);
    await until(async () => ((await json<{ items: CallView[] }>('/api/v1/calls')).items.length === 0 ? true : undefined), 'the call to leave /calls');
    const cdrs = await json<{ total: number; items: CdrView[] }>('/api/v1/cdrs?extension=1003');
    assert.equal(cdrs.total, 1);
    const cdr = cdrs.items[0];
    assert.deepEqual([cdr?.caller, cdr?.callee, cdr?.cause, cdr?.status], ['1001', '1003', 'answered', 200]);
  });

  test('DELETE /api/v1/calls/:id hangs up an active call: both phones get a BYE', async () => {
    const { caller, callee } = await establish();
    const { items } = await json<{ items: CallView[] }>('/api/v1/calls');
    const id = items[0]?.id ?? assert.fail('the call is listed');
    const response = await del(`/api/v1/calls/${encodeURIComponent(id)}`);
    assert.equal(response.status, 204);
    await eventually(() => caller.receivedOf('BYE').length === 1 && callee.receivedOf('BYE').length === 1, 'a BYE at each phone');
    assert.ok(caller.ended && callee.ended);
    assert.equal((await json<{ items: CallView[] }>('/api/v1/calls')).items.length, 0);
    const again = await del(`/api/v1/calls/${encodeURIComponent(id)}`);
    assert.equal(again.status, 404, 'a call that has ended is not found');
  });

  test('the events WebSocket carried the registrations, the call states and the CDRs', async () => {
    await eventually(() => received.filter((e) => e.event === 'cdr').length >= 2, 'two CDR events');
    const registration = received.find((e) => e.event === 'registration' && e.data['extension'] === '1003');
    assert.equal(registration?.data['type'], 'registered');
    assert.equal(registration.data['protocol'], 'udp');
    const states = received.filter((e) => e.event === 'call').map((e) => e.data['state']);
    for (const state of ['ringing', 'answered', 'ended']) assert.ok(states.includes(state), `a "${state}" call event (got ${states.join(', ')})`);
    const cdr = received.find((e) => e.event === 'cdr');
    assert.equal(cdr?.data['callee'], '1003');
  });

  test('bindings survive a restart of the IPBX on the same data folder; calls reach them again', async () => {
    const before = (await json<{ items: BindingView[] }>('/api/v1/registrations')).items;
    const { dataDir } = ipbx;
    events.close();
    await ipbx.close();
    ipbx = await startHarness({ dataDir, protocols: ['udp'] });
    const afterRestart = (await json<{ items: BindingView[] }>('/api/v1/registrations')).items;
    const view = (list: BindingView[]) => list.map((b) => `${b.extension} ${b.contact} ${b.source.address}:${b.source.port}`).sort();
    assert.deepEqual(view(afterRestart), view(before));
    assert.ok(afterRestart.some((b) => b.extension === '1003'), 'the account made through the API is still registered');

    // The IPBX listens on a new port: a new caller phone, pointed at it, calls 1003's old binding.
    const caller = await startPhone(ALICE.extension, ALICE.password, 'Alice');
    const calls = carol.calls.length;
    const session = await caller.call(CAROL.extension).established();
    const incoming = await carol.nextCall(calls);
    assert.equal(incoming.request.from.uri.toString(), 'sip:1001@voiplab.test');
    assert.equal((await session.bye()).status, 200);
  });
});
