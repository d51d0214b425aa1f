import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { WebSocket } from 'ws';
import { createResponse, parseMessage, type SipMessage } from '../../ipbx/sip/message/index.ts';
import { TransportLayer, type FlowClosedEvent, type IncomingMessage, type TransportLayerOptions } from '../../ipbx/sip/transport/index.ts';
import { makeSelfSignedCert, type TestCert } from '../helpers/tls-cert.ts';

// Every wait is bounded: a test fails instead of hanging when something never arrives.
const WAIT_MS = 5_000;

function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function startLayer(t: TestContext, options: TransportLayerOptions): Promise<TransportLayer> {
  const layer = new TransportLayer(options);
  t.after(() => layer.close());
  await layer.start();
  return layer;
}

function nextMessage(layer: TransportLayer): Promise<IncomingMessage> {
  return new Promise((resolve) => {
    const off = layer.onMessage((incoming) => {
      off();
      resolve(incoming);
    });
  });
}

function answerAll(layer: TransportLayer): void {
  layer.onMessage(({ message, source }) => {
    if (message.isRequest()) void layer.send(createResponse(message, 200), { ...source });
  });
}

/** RFC 7118 §5 lets a WebSocket message omit Content-Length; the browser-style Via host is a random .invalid name. */
function sipRequest(transport: 'WS' | 'WSS', withLength = false): string {
  return [
    'REGISTER sip:example.com SIP/2.0',
    `Via: SIP/2.0/${transport} df7jal23ls0d.invalid;branch=z9hG4bK${randomBytes(6).toString('hex')}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:alice@example.com>',
    `Call-ID: ${randomBytes(8).toString('hex')}`,
    'CSeq: 1 REGISTER',
    'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>',
    'Expires: 600',
    ...(withLength ? ['Content-Length: 0'] : []),
    '',
    '',
  ].join('\r\n');
}

async function openClient(t: TestContext, url: string, protocols: string[] | undefined, options: { ca?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options);
  t.after(() => ws.terminate());
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), `the WebSocket handshake with ${url}`);
  return ws;
}

function nextWsMessage(ws: WebSocket): Promise<{ message: SipMessage; isBinary: boolean }> {
  return within(new Promise((resolve, reject) => {
    ws.once('message', (data, isBinary) => {
      const result = parseMessage(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), { datagram: true });
      if (result.ok) resolve({ message: result.message, isBinary });
      else reject(result.error);
    });
  }), 'a message over the WebSocket');
}

/** Tries a handshake expected to fail; resolves with the HTTP status of the refusal. */
function refusedStatus(url: string, protocols: string[] | undefined): Promise<number> {
  return within(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the handshake succeeded'));
    });
    ws.on('error', () => undefined);
  }), 'the refused handshake');
}

let cert: TestCert;
before(async () => {
  cert = await makeSelfSignedCert();
});
after(async () => {
  await cert.cleanup();
});

const WS_LOCAL = [{ protocol: 'ws' as const, address: '127.0.0.1', port: 0 }];

void describe('WebSocket transport (RFC 7118)', () => {
  void it('accepts the sip subprotocol, delivers one SIP message per WebSocket message and answers over the same connection (RFC 7118 §4.1, §5)', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    answerAll(layer);
    const got = nextMessage(layer);
    const ws = await openClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    assert.equal(ws.protocol, 'sip');
    const answer = nextWsMessage(ws);
    ws.send(sipRequest('WS'));
    const { message, source } = await within(got, 'the request');
    assert.equal(source.protocol, 'ws');
    assert.equal(source.address, '127.0.0.1');
    assert.equal(message.topVia?.transport, 'WS');
    assert.equal(message.topVia?.received, '127.0.0.1', 'the .invalid sent-by gets a received (RFC 3261 §18.2.1)');
    const { message: response, isBinary } = await answer;
    assert.ok(!response.isRequest() && response.status === 200);
    assert.equal(isBinary, false, 'UTF-8 messages go in text frames (RFC 7118 §5)');
    assert.equal(layer.stats.ws.received, 1);
    assert.equal(layer.stats.ws.sent, 1);
  });

  void it('accepts a SIP message in a binary frame', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const got = nextMessage(layer);
    const ws = await openClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    ws.send(Buffer.from(sipRequest('WS', true)), { binary: true });
    const { message } = await within(got, 'the request');
    assert.ok(message.isRequest() && message.method === 'REGISTER');
  });

  void it('picks sip among several offered subprotocols', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const ws = await openClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['chat', 'sip']);
    assert.equal(ws.protocol, 'sip');
  });

  void it('refuses a handshake that does not offer the sip subprotocol (RFC 7118 §4.1)', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const url = `ws://127.0.0.1:${layer.localEndpoint('ws').port}`;
    assert.equal(await refusedStatus(url, undefined), 400);
    assert.equal(await refusedStatus(url, ['chat']), 400);
    assert.equal(layer.getFlow('any'), undefined);
  });

  void it('answers a plain HTTP request with 426 Upgrade Required', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const status = await within(new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: layer.localEndpoint('ws').port, path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    }), 'the HTTP answer');
    assert.equal(status, 426);
  });

  void it('answers a malformed request with a 400 over the WebSocket', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const ws = await openClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    const answer = nextWsMessage(ws);
    ws.send(sipRequest('WS').replace('CSeq: 1 REGISTER', 'CSeq: 1 INVITE'));
    const { message } = await answer;
    assert.ok(!message.isRequest() && message.status === 400);
    assert.match(message.reason, /CSeq method/);
  });

  void it('cannot reach a WebSocket peer without its flow', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const request = parseMessage(Buffer.from(sipRequest('WS')), { datagram: true });
    assert.ok(request.ok);
    await assert.rejects(layer.send(request.message, { protocol: 'ws', address: '127.0.0.1', port: 1 }), { code: 'SIP_TRANSPORT_NO_FLOW' });
  });

  void it('announces flow-closed when the browser side closes (RFC 5626 §4.4)', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const got = nextMessage(layer);
    const ws = await openClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    ws.send(sipRequest('WS'));
    const { source } = await within(got, 'the request');
    const closed = within(new Promise<FlowClosedEvent>((resolve) => layer.once('flow-closed', resolve)), 'flow-closed');
    ws.close(1000);
    const event = await closed;
    assert.equal(event.flowId, source.flowId);
    assert.equal(event.protocol, 'ws');
  });

  void it('serves WSS with a certificate, subprotocol sip required too', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'wss', address: '127.0.0.1', port: 0, tls: { key: cert.key, cert: cert.cert } }] });
    answerAll(layer);
    const url = `wss://127.0.0.1:${layer.localEndpoint('wss').port}`;
    const got = nextMessage(layer);
    const ws = await openClient(t, url, ['sip'], { ca: cert.cert });
    const answer = nextWsMessage(ws);
    ws.send(sipRequest('WSS'));
    const { message, source } = await within(got, 'the request');
    assert.equal(source.protocol, 'wss');
    assert.equal(message.topVia?.transport, 'WSS');
    const { message: response } = await answer;
    assert.ok(!response.isRequest() && response.status === 200);

    const refused = await within(new Promise<number>((resolve) => {
      const bare = new WebSocket(url, { ca: cert.cert });
      bare.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        bare.terminate();
      });
      bare.on('error', () => undefined);
    }), 'the refused WSS handshake');
    assert.equal(refused, 400);
  });

  void it('works over IPv6 on ::1', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'ws', address: '::1', port: 0 }] });
    const got = nextMessage(layer);
    const ws = await openClient(t, `ws://[::1]:${layer.localEndpoint('ws').port}`, ['sip']);
    ws.send(sipRequest('WS'));
    const { source } = await within(got, 'the request');
    assert.equal(source.address, '::1');
  });
});
