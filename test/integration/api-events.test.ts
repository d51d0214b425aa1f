// /api/v1/events over a real listening socket on 127.0.0.1: events emitted on the IPBX bus reach
// WebSocket clients as JSON `{ event, data }`; the upgrade is refused without the admin token;
// clients that read too slowly are dropped, not buffered for; the client count is bounded.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { AUTH, TEST_TOKEN, buildTestApi, makeCdr } from '../helpers/api-fakes.ts';
import { EventHub, type EventClient } from '../../ipbx/api/event-hub.ts';
import { IpbxEvents, type CallEvent, type RegistrationEvent } from '../../ipbx/events/ipbx-events.ts';

const registration: RegistrationEvent = { type: 'registered', extension: '1001', contact: 'sip:1001@192.0.2.10:5062', protocol: 'tcp', source: '192.0.2.10:5062', expiresAt: 1_700_000_600_000, at: 1_700_000_000_000 };
const call: CallEvent = { type: 'call', callId: 'c1', state: 'ringing', caller: '1001', callee: '1002', at: 1_700_000_001_000 };

/** Opens a WebSocket, or rejects with the HTTP status and headers of a refused upgrade. */
function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode ?? 0}`), { status: res.statusCode, headers: res.headers })));
    ws.once('error', reject);
  });
}

async function nextMessage(ws: WebSocket): Promise<unknown> {
  const [data] = await once(ws, 'message') as [Buffer];
  return JSON.parse(data.toString('utf8'));
}

async function closed(ws: WebSocket): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return -1;
  const [code] = await once(ws, 'close') as [number];
  return code;
}

describe('events WebSocket over a real socket', () => {
  const t = buildTestApi({ limits: { eventClients: 3, eventBufferBytes: 64 * 1024 } });
  let base = '';
  let port = 0;
  const metric = async (name: string): Promise<number> => {
    const text = (await t.app.inject({ url: '/metrics', headers: AUTH })).body;
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const until = async (check: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 200 && !(await check()); i += 1) await new Promise((r) => setTimeout(r, 10));
  };

  before(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
    base = `ws://127.0.0.1:${port}/api/v1/events`;
  });
  after(() => t.app.close());

  test('a client with the Bearer header receives bus events as { event, data }', async () => {
    const ws = await open(base, AUTH);
    const message = nextMessage(ws);
    t.events.emit('registration', registration);
    assert.deepEqual(await message, { event: 'registration', data: registration });
    ws.close();
    await closed(ws);
  });

  test('a browser-style client with ?token= receives call and CDR events in order', async () => {
    const ws = await open(`${base}?token=${TEST_TOKEN}`);
    const messages: unknown[] = [];
    ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
    t.events.emit('call', call);
    t.events.emit('cdr', makeCdr('cdr-1'));
    await until(async () => Promise.resolve(messages.length >= 2));
    assert.deepEqual(messages, [{ event: 'call', data: call }, { event: 'cdr', data: makeCdr('cdr-1') }]);
    ws.close();
    await closed(ws);
  });

  test('the upgrade is refused with 401 without a token or with a wrong one, in the header or the query', async () => {
    for (const [url, headers] of [[base, {}], [base, { authorization: 'Bearer wrong-token' }], [`${base}?token=wrong-token`, {}]] as const) {
      await assert.rejects(open(url, headers), (e: { status?: number; headers?: Record<string, string> }) => {
        assert.equal(e.status, 401);
        assert.match(e.headers?.['www-authenticate'] ?? '', /^Bearer/);
        return true;
      });
    }
    await until(async () => (await metric('voiplab_api_event_clients')) === 0);
    assert.equal(await metric('voiplab_api_event_clients'), 0);
  });

  test('clients beyond the limit are closed with 1013; closed clients leave the hub', async () => {
    const clients = await Promise.all([open(base, AUTH), open(base, AUTH), open(base, AUTH)]);
    assert.equal(await metric('voiplab_api_event_clients'), 3);
    const extra = await open(base, AUTH);
    assert.equal(await closed(extra), 1013);
    for (const ws of clients) ws.close();
    await Promise.all(clients.map(closed));
    await until(async () => (await metric('voiplab_api_event_clients')) === 0);
    assert.equal(await metric('voiplab_api_event_clients'), 0);
  });

  test('a client that stops reading is dropped once its backlog passes the limit; others still receive', async () => {
    const fast = await open(base, AUTH);
    let fastCount = 0;
    fast.on('message', () => { fastCount += 1; });
    // A raw WebSocket handshake, then the client never reads again: the server's send buffer fills.
    const slow = tcpConnect(port, '127.0.0.1');
    slow.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n\r\n`);
    const [head] = await once(slow, 'data') as [Buffer];
    assert.match(head.toString('latin1'), /^HTTP\/1\.1 101/);
    slow.pause();
    await until(async () => (await metric('voiplab_api_event_clients')) === 2);

    const big = { ...registration, contact: `sip:1001@192.0.2.10;x=${'y'.repeat(16 * 1024)}` };
    let sent = 0;
    while ((await metric('voiplab_api_event_clients_dropped_total')) === 0 && sent < 5000) {
      for (let i = 0; i < 50; i += 1) t.events.emit('registration', big);
      sent += 50;
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await metric('voiplab_api_event_clients_dropped_total'), 1, `dropped after ${sent} events of 16 KiB`);
    assert.ok(t.logs.some((l) => /dropped a client/.test(l)));
    await until(async () => Promise.resolve(fastCount === sent));
    assert.equal(fastCount, sent, 'the reading client got every event');
    slow.destroy();
    fast.close();
    await closed(fast);
  });
});

describe('event hub', () => {
  const fakeClient = (bufferedAmount = 0) => {
    const sent: string[] = [];
    let terminated = false;
    const client: EventClient & { sent: string[]; terminated: () => boolean } = {
      bufferedAmount, sent, terminated: () => terminated,
      send: (data) => { sent.push(data); },
      terminate: () => { terminated = true; },
    };
    return client;
  };

  test('a client over the buffer limit is terminated and forgotten; a failing send never reaches the emitter', () => {
    const bus = new IpbxEvents();
    const logs: string[] = [];
    const hub = new EventHub(bus, { maxBufferedBytes: 1000, maxClients: 10, log: (l) => logs.push(l) });
    const ok = fakeClient(0);
    const slow = fakeClient(990);
    const broken: EventClient = { bufferedAmount: 0, send: () => { throw new Error('socket gone'); }, terminate: () => undefined };
    assert.ok(hub.add(ok) && hub.add(slow) && hub.add(broken));
    assert.doesNotThrow(() => bus.emit('call', call));
    assert.equal(ok.sent.length, 1);
    assert.equal((JSON.parse(ok.sent[0] ?? '{}') as { event: string }).event, 'call');
    assert.equal(slow.terminated(), true);
    assert.equal(slow.sent.length, 0);
    assert.equal(hub.droppedCount, 1);
    assert.equal(hub.clientCount, 1);
    assert.equal(logs.length, 2);
    hub.close();
    assert.equal(bus.listenerCount('call'), 0);
  });

  test('one bus listener per event whatever the number of clients; the hub refuses clients past maxClients', () => {
    const bus = new IpbxEvents();
    const hub = new EventHub(bus, { maxBufferedBytes: 1000, maxClients: 2, log: () => undefined });
    assert.ok(hub.add(fakeClient()) && hub.add(fakeClient()));
    assert.equal(hub.add(fakeClient()), false);
    assert.equal(bus.listenerCount('registration'), 1);
    hub.close();
    hub.close();
    assert.equal(bus.listenerCount('registration') + bus.listenerCount('call') + bus.listenerCount('cdr'), 0);
  });

  test('closing the app detaches the API from the bus', async () => {
    const t = buildTestApi();
    await t.app.ready();
    assert.equal(t.events.listenerCount('cdr'), 1);
    await t.app.close();
    assert.equal(t.events.listenerCount('cdr'), 0);
  });
});
