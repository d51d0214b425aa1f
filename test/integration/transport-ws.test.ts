import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import {
  answerAll,
  nextFlowClosed,
  nextMessage,
  nextWsMessage,
  parseSip,
  refusedStatus,
  requestText,
  startLayer,
  useTestCert,
  within,
  wsClient,
} from '../helpers/transport-test-kit.ts';

/** RFC 7118 §5 lets a WebSocket message omit Content-Length; the browser-style Via host is a random .invalid name. */
function registerText(transport: 'WS' | 'WSS', withLength = false): string {
  return requestText({
    method: 'REGISTER',
    uri: 'sip:example.com',
    via: `SIP/2.0/${transport} df7jal23ls0d.invalid;branch=z9hG4bK${randomBytes(6).toString('hex')}`,
    to: '<sip:alice@example.com>',
    headers: ['Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>', 'Expires: 600'],
    contentLength: withLength ? '0' : null,
  });
}

const testCert = useTestCert();

const WS_LOCAL = [{ protocol: 'ws' as const, address: '127.0.0.1', port: 0 }];

void describe('WebSocket transport (RFC 7118)', () => {
  void it('accepts the sip subprotocol, delivers one SIP message per WebSocket message and answers over the same connection (RFC 7118 §4.1, §5)', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    answerAll(layer);
    const got = nextMessage(layer);
    const ws = await wsClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    assert.equal(ws.protocol, 'sip');
    const answer = nextWsMessage(ws);
    ws.send(registerText('WS'));
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

  void it('answers a double-CRLF keep-alive message with a CRLF (as sip.js and JsSIP expect) without counting it as a SIP message', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const ws = await wsClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    const pong = new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));
    ws.send('\r\n\r\n');
    assert.equal(await within(pong, 'the CRLF pong'), '\r\n');
    assert.equal(layer.stats.ws.parseErrors, 0, 'a keep-alive is not a malformed message');
    assert.equal(layer.stats.ws.received, 0);
  });

  void it('ping() sends a WebSocket ping frame over a WS flow (keeps a browser\'s registration flow alive)', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const opened = new Promise<string>((resolve) => layer.once('flow-opened', (info) => resolve(info.flowId)));
    const ws = await wsClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    const flowId = await within(opened, 'the flow');
    const pinged = new Promise<void>((resolve) => ws.once('ping', () => resolve()));
    await layer.ping(flowId);
    await within(pinged, 'the ping frame at the client');
  });

  void it('accepts a SIP message in a binary frame', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const got = nextMessage(layer);
    const ws = await wsClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    ws.send(Buffer.from(registerText('WS', true)), { binary: true });
    const { message } = await within(got, 'the request');
    assert.ok(message.isRequest() && message.method === 'REGISTER');
  });

  void it('picks sip among several offered subprotocols', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const ws = await wsClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['chat', 'sip']);
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
    const ws = await wsClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    const answer = nextWsMessage(ws);
    ws.send(registerText('WS').replace('CSeq: 1 REGISTER', 'CSeq: 1 INVITE'));
    const { message } = await answer;
    assert.ok(!message.isRequest() && message.status === 400);
    assert.match(message.reason, /CSeq method/);
  });

  void it('cannot reach a WebSocket peer without its flow', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const request = parseSip(registerText('WS'), 'datagram');
    await assert.rejects(layer.send(request, { protocol: 'ws', address: '127.0.0.1', port: 1 }), { code: 'SIP_TRANSPORT_NO_FLOW' });
  });

  void it('announces flow-closed when the browser side closes (RFC 5626 §4.4)', async (t) => {
    const layer = await startLayer(t, { listeners: WS_LOCAL });
    const got = nextMessage(layer);
    const ws = await wsClient(t, `ws://127.0.0.1:${layer.localEndpoint('ws').port}`, ['sip']);
    ws.send(registerText('WS'));
    const { source } = await within(got, 'the request');
    const closed = nextFlowClosed(layer);
    ws.close(1000);
    const event = await closed;
    assert.equal(event.flowId, source.flowId);
    assert.equal(event.protocol, 'ws');
  });

  void it('serves WSS with a certificate, subprotocol sip required too', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'wss', address: '127.0.0.1', port: 0, tls: { key: testCert().key, cert: testCert().cert } }] });
    answerAll(layer);
    const url = `wss://127.0.0.1:${layer.localEndpoint('wss').port}`;
    const got = nextMessage(layer);
    const ws = await wsClient(t, url, ['sip'], { ca: testCert().cert });
    const answer = nextWsMessage(ws);
    ws.send(registerText('WSS'));
    const { message, source } = await within(got, 'the request');
    assert.equal(source.protocol, 'wss');
    assert.equal(message.topVia?.transport, 'WSS');
    const { message: response } = await answer;
    assert.ok(!response.isRequest() && response.status === 200);

    assert.equal(await refusedStatus(url, undefined, { ca: testCert().cert }), 400);
  });

  void it('works over IPv6 on ::1', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'ws', address: '::1', port: 0 }] });
    const got = nextMessage(layer);
    const ws = await wsClient(t, `ws://[::1]:${layer.localEndpoint('ws').port}`, ['sip']);
    ws.send(registerText('WS'));
    const { source } = await within(got, 'the request');
    assert.equal(source.address, '::1');
  });
});
