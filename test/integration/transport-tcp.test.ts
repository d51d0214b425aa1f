import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { createResponse, parseMessage, type SipMessage, type SipResponse } from '../../ipbx/sip/message/index.ts';
import {
  TransportLayer,
  type FlowClosedEvent,
  type IncomingMessage,
  type FlowInfo,
  type TransportLayerOptions,
} from '../../ipbx/sip/transport/index.ts';

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

// Not events.once(): it would also reject on the 'error' events the layer reports along the way.
function nextFlowOpened(layer: TransportLayer): Promise<FlowInfo> {
  return within(new Promise((resolve) => layer.once('flow-opened', resolve)), 'flow-opened');
}

function nextFlowClosed(layer: TransportLayer): Promise<FlowClosedEvent> {
  return within(new Promise((resolve) => layer.once('flow-closed', resolve)), 'flow-closed');
}

function nextPong(layer: TransportLayer): Promise<string> {
  return within(new Promise((resolve) => layer.once('pong', resolve)), 'the pong');
}

function answerAll(layer: TransportLayer): void {
  layer.onMessage(({ message, source }) => {
    if (message.isRequest()) void layer.send(createResponse(message, 200), { ...source });
  });
}

interface RequestOptions {
  method?: string;
  via?: string;
  cseqMethod?: string;
  body?: string;
  contentLength?: string | null;
  subject?: string;
}

function sipRequest(o: RequestOptions = {}): string {
  const method = o.method ?? 'OPTIONS';
  const body = o.body ?? '';
  const lines = [
    `${method} sip:service@127.0.0.1 SIP/2.0`,
    `Via: ${o.via ?? `SIP/2.0/TCP client.invalid:5099;branch=z9hG4bK${randomBytes(6).toString('hex')};rport`}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:service@example.com>',
    `Call-ID: ${randomBytes(8).toString('hex')}`,
    `CSeq: 1 ${o.cseqMethod ?? method}`,
  ];
  if (o.subject !== undefined) lines.push(`Subject: ${o.subject}`);
  if (o.contentLength !== null) lines.push(`Content-Length: ${o.contentLength ?? Buffer.byteLength(body)}`);
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

function parseStreamMessage(bytes: Buffer): SipMessage {
  const result = parseMessage(bytes, { datagram: false });
  assert.ok(result.ok, `unparseable: ${result.ok ? '' : result.error.reason}`);
  return result.message;
}

/** A raw TCP peer: reads responses by Content-Length and tells when the server closes. */
async function tcpPeer(t: TestContext, host: string, port: number) {
  const socket: Socket = connect({ host, port });
  t.after(() => socket.destroy());
  await within(once(socket, 'connect'), 'the TCP connection');
  socket.setNoDelay(true);
  let buffered = Buffer.alloc(0);
  let ended = false;
  const wake: Array<() => void> = [];
  const notify = () => { for (const w of wake.splice(0)) w(); };
  socket.on('data', (chunk: Buffer) => { buffered = Buffer.concat([buffered, chunk]); notify(); });
  socket.on('close', () => { ended = true; notify(); });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

  /** Waits until `take` finds what it wants in the received bytes and returns how many it used. */
  function until<T>(take: (buf: Buffer) => { value: T; used: number } | undefined, what: string): Promise<T> {
    return within(new Promise<T>((resolve, reject) => {
      const check = () => {
        const got = take(buffered);
        if (got !== undefined) {
          buffered = buffered.subarray(got.used);
          resolve(got.value);
        } else if (ended) {
          reject(new Error(`connection closed before ${what}`));
        } else {
          wake.push(check);
        }
      };
      check();
    }), what);
  }

  return {
    socket,
    closed: (what: string) => within(closed, what),
    write: (data: string | Buffer) => new Promise<void>((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve()))),
    readMessage: (what: string) => until((buf) => {
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd === -1) return undefined;
      const length = Number(/\r\nContent-Length: *(\d+)/i.exec(buf.toString('latin1', 0, headEnd))?.[1] ?? 0);
      const used = headEnd + 4 + length;
      return buf.length < used ? undefined : { value: parseStreamMessage(buf.subarray(0, used)), used };
    }, what),
    readExactly: (n: number, what: string) => until((buf) => (buf.length >= n ? { value: buf.subarray(0, n).toString('latin1'), used: n } : undefined), what),
  };
}

function asResponse(m: SipMessage): SipResponse {
  assert.ok(!m.isRequest(), 'expected a response');
  return m;
}

const TCP_LOCAL = [{ protocol: 'tcp' as const, address: '127.0.0.1', port: 0 }];

void describe('TCP transport (RFC 3261 §18)', () => {
  void it('sends the response back over the connection the request came in on (RFC 3261 §18.2.2)', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    answerAll(layer);
    const got = nextMessage(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write(sipRequest());
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
    const text = sipRequest({ method: 'MESSAGE', body: 'slowly, byte by byte' });
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
    await peer.write(sipRequest({ subject: 'one', method: 'MESSAGE', body: 'a' }) + sipRequest({ subject: 'two' }));
    await within(both, 'both requests');
    assert.deepEqual(subjects, ['one', 'two']);
  });

  void it('answers a malformed but framable request with a 400 and keeps the connection (RFC 3261 §8.2)', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    answerAll(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write(sipRequest({ cseqMethod: 'BYE' }));
    const bad = asResponse(await peer.readMessage('the 400'));
    assert.equal(bad.status, 400);
    assert.match(bad.reason, /CSeq method BYE/);
    await peer.write(sipRequest());
    assert.equal(asResponse(await peer.readMessage('the 200 on the same connection')).status, 200);
    assert.equal(layer.stats.tcp.parseErrors, 1);
  });

  void it('answers a negative Content-Length with a 400 and closes the connection (RFC 3261 §18.3)', async (t) => {
    const layer = await startLayer(t, { listeners: TCP_LOCAL });
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    const closedFlow = nextFlowClosed(layer);
    await peer.write(sipRequest({ contentLength: '-3' }) + sipRequest());
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
    await peer.write(sipRequest({ contentLength: null }));
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
    await peer.write(sipRequest());
    assert.equal(asResponse(await peer.readMessage('the 200 after the pong')).status, 200);
  });

  void it('closes an idle connection after idleTimeoutMs on the clock, and names it in flow-closed (RFC 5626 §4.4)', async (t) => {
    const clock = new FakeClock();
    const layer = await startLayer(t, { listeners: TCP_LOCAL, idleTimeoutMs: 30_000, clock });
    const got = nextMessage(layer);
    const peer = await tcpPeer(t, '127.0.0.1', layer.localEndpoint('tcp').port);
    await peer.write(sipRequest());
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
    const text = sipRequest();
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
      const request = parseStreamMessage(Buffer.from(sipRequest({ via: `SIP/2.0/TCP ${local.address}:${local.port};branch=z9hG4bKab${i}` })));
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
    await Promise.all([0, 1, 2].map(() => a.send(parseStreamMessage(Buffer.from(sipRequest())), target)));
    await within(received, 'three requests');
    assert.equal(opened.length, 1);
  });

  void it('rejects a send to a port nobody listens on', async (t) => {
    const a = await startLayer(t, { listeners: TCP_LOCAL });
    const b = await startLayer(t, { listeners: TCP_LOCAL });
    const deadPort = b.localEndpoint('tcp').port;
    await b.close();
    const request = parseStreamMessage(Buffer.from(sipRequest()));
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
    await peer.write(sipRequest({ via: 'SIP/2.0/TCP [::1]:5099;branch=z9hG4bKv6' }));
    const { message, source } = await within(got, 'the request');
    assert.equal(source.address, '::1');
    assert.equal(message.topVia?.received, undefined, 'sent-by [::1] is the source address');
    assert.equal(asResponse(await peer.readMessage('the 200')).status, 200);
  });

  void it('opens an IPv6 connection on demand from layer to layer', async (t) => {
    const a = await startLayer(t, { listeners: [{ protocol: 'tcp', address: '::1', port: 0 }] });
    const b = await startLayer(t, { listeners: [{ protocol: 'tcp', address: '::1', port: 0 }] });
    const got = nextMessage(b);
    await a.send(parseStreamMessage(Buffer.from(sipRequest())), { protocol: 'tcp', ...b.localEndpoint('tcp') });
    const { source } = await within(got, 'the request at B');
    assert.equal(source.address, '::1');
  });
});

/** Resolves once the flow reports a partial message: the bytes have reached its framer. */
async function waitForBusy(layer: TransportLayer, flowId: string): Promise<void> {
  while (layer.getFlow(flowId)?.busy !== true) await new Promise((resolve) => setImmediate(resolve));
}
