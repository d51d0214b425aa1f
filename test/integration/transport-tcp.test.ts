import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import type { TransportLayer } from '../../ipbx/sip/transport/index.ts';
import {
  answerAll,
  asResponse,
  nextFlowClosed,
  nextFlowOpened,
  nextMessage,
  nextPong,
  parseSip,
  requestText,
  startLayer,
  tcpPeer,
  within,
  type RequestOptions,
} from '../helpers/transport-test-kit.ts';

const tcpRequest = (o: RequestOptions = {}) => requestText({ transport: 'TCP', ...o });

const TCP_LOCAL = [{ protocol: 'tcp' as const, address: '127.0.0.1', port: 0 }];

void describe('TCP transport (RFC 3261 §18)', () => {
  void it('sends the response back over the connection the request came in on (RFC 3261 §18.2.2)', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    answerAll(layer);
    const got = nextMessage(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write(tcpRequest());
    const { message, source } = await within(got, 'the request');
    assert.equal(source.protocol, 'tcp');
    assert.equal(source.port, peer.socket.localPort);
    assert.ok(layer.getFlow(source.flowId) !== undefined, 'the connection is a flow');
    assert.equal(message.topVia?.received, '127.0.0.1');
    assert.equal(message.topVia?.rport, peer.socket.localPort);
    const response = asResponse(await peer.readMessage('the 200'));
    assert.equal(response.status, 200);
    assert.equal(response.topVia?.received, '127.0.0.1');
    assert.equal(layer.stats.tcp.sent, 1);
  });

  void it('frames a request from a slow sender writing one byte at a time', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    const got = nextMessage(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    const text = tcpRequest({ method: 'MESSAGE', body: 'slowly, byte by byte' });
    for (const byte of Buffer.from(text)) {
      await peer.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { message } = await within(got, 'the slow request');
    assert.equal(message.body.toString(), 'slowly, byte by byte');
  });

  void it('delivers two requests written in one chunk, in order', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    const subjects: string[] = [];
    const both = new Promise<void>((resolve) => layer.onMessage(({ message }) => {
      subjects.push(message.headers.get('Subject') ?? '');
      if (subjects.length === 2) resolve();
    }));
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write(tcpRequest({ headers: ['Subject: one'], method: 'MESSAGE', body: 'a' }) + tcpRequest({ headers: ['Subject: two'] }));
    await within(both, 'both requests');
    assert.deepEqual(subjects, ['one', 'two']);
  });

  void it('answers a malformed but framable request with a 400 and keeps the connection (RFC 3261 §8.2)', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    answerAll(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write(tcpRequest({ cseqMethod: 'BYE' }));
    const bad = asResponse(await peer.readMessage('the 400'));
    assert.equal(bad.status, 400);
    assert.match(bad.reason, /CSeq method BYE/);
    await peer.write(tcpRequest());
    assert.equal(asResponse(await peer.readMessage('the 200 on the same connection')).status, 200);
    assert.equal(layer.stats.tcp.parseErrors, 1);
  });

  void it('answers a negative Content-Length with a 400 and closes the connection (RFC 3261 §18.3)', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    const closedFlow = nextFlowClosed(layer);
    await peer.write(tcpRequest({ contentLength: '-3' }) + tcpRequest());
    const bad = asResponse(await peer.readMessage('the 400'));
    assert.equal(bad.status, 400);
    assert.match(bad.reason, /negative/);
    await peer.closed('the server to close the connection');
    assert.equal((await closedFlow).reason, 'framing-error');
    assert.equal(layer.stats.tcp.framingErrors, 1);
  });

  void it('answers a request without Content-Length with a 400 and closes the connection (RFC 3261 §18.3)', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    let delivered = 0;
    layer.onMessage(() => delivered++);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write(tcpRequest({ contentLength: null }));
    const bad = asResponse(await peer.readMessage('the 400'));
    assert.equal(bad.status, 400);
    assert.match(bad.reason, /Content-Length is required/);
    await peer.closed('the server to close the connection');
    assert.equal(delivered, 0);
  });

  void it('closes a connection whose head exceeds the limit, without an answer', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL, limits: { maxHeadBytes: 1024 } });
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write(`OPTIONS sip:a@b SIP/2.0\r\nX-Long: ${'a'.repeat(2000)}\r\n`);
    await peer.closed('the server to close the connection');
    assert.equal(layer.stats.tcp.framingErrors, 1);
  });

  void it('answers a double-CRLF ping with a single CRLF pong (RFC 5626 §3.5.1)', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write('\r\n\r\n');
    assert.equal(await peer.readExactly(2, 'the pong'), '\r\n');
    answerAll(layer);
    await peer.write(tcpRequest());
    assert.equal(asResponse(await peer.readMessage('the 200 after the pong')).status, 200);
  });

  void it('closes an idle connection after idleTimeoutMs on the clock, and names it in flow-closed (RFC 5626 §4.4)', async (t) => {
    const clock = new FakeClock();
    const layer = await startLayer(t, { listeners: TCP_LOCAL, idleTimeoutMs: 30_000, clock });
    const got = nextMessage(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write(tcpRequest());
    const { source } = await within(got, 'the request');
    const closedFlow = nextFlowClosed(layer);
    clock.advance(29_999);
    assert.ok(layer.getFlow(source.flowId) !== undefined, 'still open before the timeout');
    clock.advance(1);
    const event = await closedFlow;
    assert.equal(event.flowId, source.flowId);
    assert.equal(event.reason, 'idle-timeout');
    await peer.closed('the idle connection to close');
  });

  void it('keeps a connection with a message half received open past the idle timeout', async (t) => {
    const clock = new FakeClock();
    const layer = await startLayer(t, { listeners: TCP_LOCAL, idleTimeoutMs: 30_000, clock });
    const opened = nextFlowOpened(layer);
    const got = nextMessage(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    const { flowId } = await opened;
    const text = tcpRequest();
    await peer.write(text.slice(0, 30));
    // The half message must be in the framer before the clock moves.
    await within(waitForBusy(layer, flowId), 'the partial message to arrive');
    clock.advance(60_000);
    assert.ok(layer.getFlow(flowId) !== undefined, 'a flow with pending traffic is not idle');
    await peer.write(text.slice(30));
    await within(got, 'the completed request');
  });

  void it('announces flow-closed when the peer hangs up', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    const opened = nextFlowOpened(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    const { flowId } = await opened;
    const closedFlow = nextFlowClosed(layer);
    peer.socket.end();
    const event = await closedFlow;
    assert.equal(event.flowId, flowId);
    assert.equal(event.reason, 'peer-closed');
    assert.equal(layer.getFlow(flowId), undefined);
  });

  void it('opens a connection on demand, reuses it, and gets responses over it (RFC 3261 §18.1.1, RFC 5626)', async (t) => {
    const a = await startLayer(t, { listeners: TCP_LOCAL });
    const b = await startLayer(t, { listeners: TCP_LOCAL });
    answerAll(b);
    const flowsAtB = new Set<string>();
    b.onMessage(({ source }) => flowsAtB.add(source.flowId));
    const opened: string[] = [];
    a.on('flow-opened', (info) => opened.push(info.flowId));
    const local = a.localEndpoint('tcp');
    const target = { protocol: 'tcp' as const, ...b.localEndpoint('tcp') };
    for (let i = 0; i < 2; i++) {
      const response = nextMessage(a);
      const request = parseSip(tcpRequest({ via: `SIP/2.0/TCP ${local.address}:${local.port};branch=z9hG4bKab${i}` }), 'stream');
      await a.send(request, target);
      const { message, source } = await within(response, `response ${i}`);
      assert.ok(!message.isRequest());
      assert.equal(source.flowId, opened[0], 'the response came over the connection A opened');
    }
    assert.equal(opened.length, 1, 'one connection for both requests');
    assert.equal(flowsAtB.size, 1);

    const pong = nextPong(a);
    await a.ping(opened[0]!);
    assert.equal(await pong, opened[0]);
  });

  void it('shares one connection among concurrent sends to a new target', async (t) => {
    const a = await startLayer(t, { listeners: TCP_LOCAL });
    const b = await startLayer(t, { listeners: TCP_LOCAL });
    const received = new Promise<void>((resolve) => { let n = 0; b.onMessage(() => { if (++n === 3) resolve(); }); });
    const target = { protocol: 'tcp' as const, ...b.localEndpoint('tcp') };
    const opened: string[] = [];
    a.on('flow-opened', (info) => opened.push(info.flowId));
    await Promise.all([0, 1, 2].map(() => a.send(parseSip(tcpRequest(), 'stream'), target)));
    await within(received, 'three requests');
    assert.equal(opened.length, 1);
  });

  void it('rejects a send to a port nobody listens on', async (t) => {
    const a = await startLayer(t, { listeners: TCP_LOCAL });
    const b = await startLayer(t, { listeners: TCP_LOCAL });
    const deadPort = b.localEndpoint('tcp').port;
    await b.close();
    const request = parseSip(tcpRequest(), 'stream');
    await within(assert.rejects(a.send(request, { protocol: 'tcp', address: '127.0.0.1', port: deadPort }), { code: 'SIP_TRANSPORT_CONNECT_FAILED' }), 'the rejection');
  });

  void it('closes every flow on close(), announcing each as transport-closed', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    const opened = nextFlowOpened(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await opened;
    const closedFlow = nextFlowClosed(layer);
    await within(layer.close(), 'close()');
    assert.equal((await closedFlow).reason, 'transport-closed');
    await peer.closed('the connection to close');
  });

  void it('works over IPv6: round trip on ::1', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'tcp', address: '::1', port: 0 }] });
    answerAll(layer);
    const got = nextMessage(layer);
    const peer = await tcpPeer(t, '::1', layer.localEndpoint('tcp').port);
    await peer.write(tcpRequest({ via: 'SIP/2.0/TCP [::1]:5099;branch=z9hG4bKv6' }));
    const { message, source } = await within(got, 'the request');
    assert.equal(source.address, '::1');
    assert.equal(message.topVia?.received, undefined, 'sent-by [::1] is the source address');
    assert.equal(asResponse(await peer.readMessage('the 200')).status, 200);
  });

  void it('opens an IPv6 connection on demand from layer to layer', async (t) => {
    const a = await startLayer(t, { listeners: [{ protocol: 'tcp', address: '::1', port: 0 }] });
    const b = await startLayer(t, { listeners: [{ protocol: 'tcp', address: '::1', port: 0 }] });
    const got = nextMessage(b);
    await a.send(parseSip(tcpRequest(), 'stream'), { protocol: 'tcp', ...b.localEndpoint('tcp') });
    const { source } = await within(got, 'the request at B');
    assert.equal(source.address, '::1');
  });
});

/** Resolves once the flow reports a partial message: the bytes have reached its framer. */
async function waitForBusy(layer: TransportLayer, flowId: string): Promise<void> {
  while (layer.getFlow(flowId)?.busy !== true) await new Promise((resolve) => setImmediate(resolve));
}
