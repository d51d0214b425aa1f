import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { createResponse, parseMessage, type SipMessage, type SipResponse } from '../../ipbx/sip/message/index.ts';
import {
  TransportLayer,
  type TransportError,
  type IncomingMessage,
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

/** Answers every request with a 200 sent back where it came from (RFC 3581 §4, RFC 3261 §18.2.2). */
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
  callId?: string;
}

function sipRequest(o: RequestOptions = {}): string {
  const method = o.method ?? 'OPTIONS';
  const body = o.body ?? '';
  const lines = [
    `${method} sip:service@127.0.0.1 SIP/2.0`,
    `Via: ${o.via ?? `SIP/2.0/UDP client.invalid:5099;branch=z9hG4bK${randomBytes(6).toString('hex')};rport`}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:service@example.com>',
    `Call-ID: ${o.callId ?? randomBytes(8).toString('hex')}`,
    `CSeq: 1 ${o.cseqMethod ?? method}`,
  ];
  if (o.contentLength !== null) lines.push(`Content-Length: ${o.contentLength ?? Buffer.byteLength(body)}`);
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

/** A plain UDP peer that queues what it receives. */
async function udpPeer(t: TestContext, type: 'udp4' | 'udp6', address: string) {
  const socket: Socket = createSocket(type);
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const queue: Buffer[] = [];
  const waiters: Array<(b: Buffer) => void> = [];
  socket.on('message', (packet) => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(packet);
    else queue.push(packet);
  });
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return {
    port: socket.address().port,
    send: (data: string | Buffer, port: number, to = address) =>
      new Promise<void>((resolve, reject) => socket.send(data, port, to, (err) => (err ? reject(err) : resolve()))),
    receive: (what: string) => within(new Promise<Buffer>((resolve) => {
      const queued = queue.shift();
      if (queued !== undefined) resolve(queued);
      else waiters.push(resolve);
    }), what),
  };
}

function parse(packet: Buffer): SipMessage {
  const result = parseMessage(packet, { datagram: true });
  assert.ok(result.ok, `unparseable: ${result.ok ? '' : result.error.reason}`);
  return result.message;
}

function asResponse(packet: Buffer): SipResponse {
  const m = parse(packet);
  assert.ok(!m.isRequest(), 'expected a response');
  return m;
}

void describe('UDP transport (RFC 3261 §18, RFC 3581)', () => {
  void it('stamps received and rport on a request and the 200 goes back to the source port (RFC 3261 §18.2.1, RFC 3581 §4)', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const [bound] = layer.endpoints;
    assert.ok(bound !== undefined && bound.port > 0);
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    answerAll(layer);
    await peer.send(sipRequest(), bound.port);

    const { message, source } = await within(got, 'the request');
    assert.equal(source.protocol, 'udp');
    assert.equal(source.address, '127.0.0.1');
    assert.equal(source.port, peer.port);
    assert.deepEqual(source.local, { address: '127.0.0.1', port: bound.port });
    assert.equal(message.topVia?.received, '127.0.0.1');
    assert.equal(message.topVia?.rport, peer.port);

    const response = asResponse(await peer.receive('the 200'));
    assert.equal(response.status, 200);
    assert.equal(response.topVia?.received, '127.0.0.1', 'the stamped Via survives serialization');
    assert.equal(response.topVia?.rport, peer.port);
    assert.equal(layer.stats.udp.received, 1);
    assert.equal(layer.stats.udp.sent, 1);
  });

  void it('adds no received when sent-by is the source address and rport is absent (RFC 3261 §18.2.1)', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    await peer.send(sipRequest({ via: `SIP/2.0/UDP 127.0.0.1:${5099};branch=z9hG4bKsame` }), layer.localEndpoint('udp').port);
    const { message } = await within(got, 'the request');
    assert.equal(message.topVia?.received, undefined);
    assert.equal(message.headers.get('Via'), 'SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKsame');
  });

  void it('stamps only the top Via value of a comma-separated Via line', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    await peer.send(sipRequest({ via: 'SIP/2.0/UDP proxy.invalid;branch=z9hG4bKtop, SIP/2.0/UDP ua.invalid;branch=z9hG4bKua' }), layer.localEndpoint('udp').port);
    const { message } = await within(got, 'the request');
    assert.deepEqual(message.vias.map((v) => [v.host, v.received]), [['proxy.invalid', '127.0.0.1'], ['ua.invalid', undefined]]);
  });

  void it('answers a malformed request with a 400 naming the problem, and counts the parse error (RFC 3261 §8.2)', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    let delivered = 0;
    layer.onMessage(() => delivered++);
    await peer.send(sipRequest({ cseqMethod: 'INVITE' }), layer.localEndpoint('udp').port);
    const response = asResponse(await peer.receive('the 400'));
    assert.equal(response.status, 400);
    assert.match(response.reason, /CSeq method INVITE does not match/);
    assert.equal(delivered, 0);
    assert.equal(layer.stats.udp.parseErrors, 1);
  });

  void it('answers a request whose body is shorter than its Content-Length with a 400 (RFC 3261 §18.3)', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    await peer.send(sipRequest({ method: 'MESSAGE', body: 'short', contentLength: '50' }), layer.localEndpoint('udp').port);
    const response = asResponse(await peer.receive('the 400'));
    assert.equal(response.status, 400);
    assert.match(response.reason, /Content-Length 50/);
  });

  void it('ignores bytes past Content-Length in a datagram (RFC 3261 §18.3)', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    await peer.send(sipRequest({ method: 'MESSAGE', body: 'hello, and trailing junk', contentLength: '5' }), layer.localEndpoint('udp').port);
    const { message } = await within(got, 'the request');
    assert.equal(message.body.toString(), 'hello');
  });

  void it('drops a response that fails to parse, without answering it', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const seen: string[] = [];
    layer.onMessage(({ message }) => seen.push(message.isRequest() ? message.method : String(message.status)));
    answerAll(layer);
    await peer.send('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x.invalid;branch=z9hG4bKr\r\nContent-Length: 0\r\n\r\n', layer.localEndpoint('udp').port);
    await peer.send(sipRequest(), layer.localEndpoint('udp').port);
    // The first thing back is the answer to the good request: the bad response got none.
    const response = asResponse(await peer.receive('the 200 to the good request'));
    assert.equal(response.status, 200);
    assert.equal(response.cseq.method, 'OPTIONS');
    assert.deepEqual(seen, ['OPTIONS']);
    assert.equal(layer.stats.udp.parseErrors, 1);
  });

  void it('drops CRLF keep-alive datagrams without counting parse errors', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    await peer.send('\r\n\r\n', layer.localEndpoint('udp').port);
    await peer.send(sipRequest(), layer.localEndpoint('udp').port);
    await within(got, 'the request');
    assert.equal(layer.stats.udp.parseErrors, 0);
  });

  void it('answers a STUN Binding request with the reflexive address (RFC 5626 §4.4.2, RFC 5389 §15.2)', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(request, 8);
    await peer.send(request, layer.localEndpoint('udp').port);
    const reply = await peer.receive('the Binding response');
    assert.equal(reply.readUInt16BE(0), 0x0101);
    assert.deepEqual(reply.subarray(8, 20), request.subarray(8, 20));
    assert.equal(reply.readUInt16BE(20), 0x0020);
    assert.equal(reply.readUInt16BE(26) ^ 0x2112, peer.port);
    const address = [...reply.subarray(28, 32)].map((b, i) => b ^ [0x21, 0x12, 0xa4, 0x42][i]!).join('.');
    assert.equal(address, '127.0.0.1');
  });

  void it('answers a STUN Binding request over IPv6 with the XOR-mapped ::1 (RFC 5389 §15.2)', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '::1', port: 0 }] });
    const peer = await udpPeer(t, 'udp6', '::1');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(request, 8);
    await peer.send(request, layer.localEndpoint('udp').port);
    const reply = await peer.receive('the Binding response');
    assert.equal(reply.readUInt8(25), 0x02, 'IPv6 family');
    const mask = request.subarray(4, 20);
    const address = reply.subarray(28, 44).map((b, i) => b ^ mask[i]!);
    assert.deepEqual([...address], [...Buffer.alloc(15), 1]);
  });

  void it('keeps serving after a message handler throws, reporting it as an error event', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const errors: Error[] = [];
    layer.on('error', (err) => errors.push(err));
    layer.onMessage(() => {
      throw new Error('handler bug');
    });
    const got = nextMessage(layer);
    await peer.send(sipRequest(), layer.localEndpoint('udp').port);
    await within(got, 'the request');
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as TransportError).code, 'SIP_TRANSPORT_HANDLER_FAILED');
  });

  void it('refuses to send a datagram larger than maxMessageBytes', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], limits: { maxMessageBytes: 2000 } });
    const request = parse(Buffer.from(sipRequest({ method: 'MESSAGE', body: 'x'.repeat(3000) })));
    await assert.rejects(layer.send(request, { protocol: 'udp', address: '127.0.0.1', port: 9 }), { code: 'SIP_TRANSPORT_MESSAGE_TOO_LARGE' });
  });

  void it('sends a request from one layer to another (RFC 3261 §18.1.1)', async (t) => {
    const a = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const b = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const atB = nextMessage(b);
    const local = a.localEndpoint('udp');
    const request = parse(Buffer.from(sipRequest({ via: `SIP/2.0/UDP ${local.address}:${local.port};branch=z9hG4bKab;rport` })));
    await a.send(request, { protocol: 'udp', ...b.localEndpoint('udp') });
    const { source } = await within(atB, 'the request at B');
    assert.equal(source.port, local.port, 'it leaves from the listening socket');
  });

  void it('works over IPv6: round trip on ::1 with received stamped', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '::1', port: 0 }] });
    const peer = await udpPeer(t, 'udp6', '::1');
    const got = nextMessage(layer);
    answerAll(layer);
    const port = layer.localEndpoint('udp').port;
    assert.deepEqual(layer.localEndpoint('udp'), { address: '::1', port });
    await peer.send(sipRequest({ via: 'SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKv6;rport' }), port);
    const { message, source } = await within(got, 'the request');
    assert.equal(source.address, '::1');
    assert.equal(message.topVia?.received, '::1');
    const response = asResponse(await peer.receive('the 200'));
    assert.equal(response.status, 200);
    assert.equal(response.topVia?.rport, peer.port);
  });
});

void describe('TransportLayer options and life cycle', () => {
  void it('names the bad option when constructed wrongly', () => {
    assert.throws(() => new TransportLayer({ listeners: [] }), { code: 'SIP_TRANSPORT_BAD_OPTION', message: /listeners/ });
    assert.throws(() => new TransportLayer({ listeners: [{ protocol: 'udp', address: 'localhost', port: 0 }] }), { message: /listeners\[0\]\.address/ });
    assert.throws(() => new TransportLayer({ listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 70000 }] }), { message: /listeners\[0\]\.port/ });
    assert.throws(() => new TransportLayer({ listeners: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }] }), { message: /listeners\[0\]\.tls/ });
    assert.throws(() => new TransportLayer({ listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], idleTimeoutMs: -1 }), { message: /idleTimeoutMs/ });
  });

  void it('closes idempotently and refuses to send afterwards', async (t) => {
    const layer = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const first = layer.close();
    assert.equal(layer.close(), first);
    await first;
    const request = parse(Buffer.from(sipRequest()));
    await assert.rejects(layer.send(request, { protocol: 'udp', address: '127.0.0.1', port: 9 }), { code: 'SIP_TRANSPORT_CLOSED' });
    await assert.rejects(layer.start(), { code: 'SIP_TRANSPORT_CLOSED' });
  });

  void it('lets close() interrupt start(): start rejects and close resolves', async () => {
    const layer = new TransportLayer({ listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }, { protocol: 'tcp', address: '127.0.0.1', port: 0 }] });
    const starting = layer.start();
    await within(layer.close(), 'close()');
    await within(assert.rejects(starting, { code: 'SIP_TRANSPORT_CLOSED' }), 'the start rejection');
  });

  void it('rejects start when a port is taken, releasing what it bound', async (t) => {
    const a = await startLayer(t, { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    const taken = a.localEndpoint('udp').port;
    const b = new TransportLayer({ listeners: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }, { protocol: 'udp', address: '127.0.0.1', port: taken }] });
    await assert.rejects(b.start(), { code: 'SIP_TRANSPORT_BIND_FAILED' });
  });
});
