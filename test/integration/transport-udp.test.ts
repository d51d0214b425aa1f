import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TransportLayer, type TransportError } from '../../ipbx/sip/transport/index.ts';
import { answerAll, asResponse, nextMessage, parseSip, requestText, startLayer, udpPeer, within } from '../helpers/transport-test-kit.ts';

/** A STUN Binding request (RFC 5389 §6): type 0x0001, the magic cookie, a random transaction id. */
function bindingRequest(): Buffer {
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(request, 8);
  return request;
}

const UDP_LOCAL = [{ protocol: 'udp' as const, address: '127.0.0.1', port: 0 }];

void describe('UDP transport (RFC 3261 §18, RFC 3581)', () => {
  void it('stamps received and rport on a request and the 200 goes back to the source port (RFC 3261 §18.2.1, RFC 3581 §4)', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const [bound] = layer.endpoints;
    assert.ok(bound !== undefined && bound.port > 0);
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    answerAll(layer);
    await peer.send(requestText(), bound.port);

    const { message, source } = await within(got, 'the request');
    assert.equal(source.protocol, 'udp');
    assert.equal(source.address, '127.0.0.1');
    assert.equal(source.port, peer.port);
    assert.deepEqual(source.local, { address: '127.0.0.1', port: bound.port });
    assert.equal(message.topVia?.received, '127.0.0.1');
    assert.equal(message.topVia?.rport, peer.port);

    const response = asResponse(await peer.receiveMessage('the 200'));
    assert.equal(response.status, 200);
    assert.equal(response.topVia?.received, '127.0.0.1', 'the stamped Via survives serialization');
    assert.equal(response.topVia?.rport, peer.port);
    assert.equal(layer.stats.udp.received, 1);
    assert.equal(layer.stats.udp.sent, 1);
  });

  void it('adds no received when sent-by is the source address and rport is absent (RFC 3261 §18.2.1)', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    await peer.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:${5099};branch=z9hG4bKsame` }), layer.localEndpoint('udp').port);
    const { message } = await within(got, 'the request');
    assert.equal(message.topVia?.received, undefined);
    assert.equal(message.headers.get('Via'), 'SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKsame');
  });

  void it('stamps only the top Via value of a comma-separated Via line', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    await peer.send(requestText({ via: 'SIP/2.0/UDP proxy.invalid;branch=z9hG4bKtop, SIP/2.0/UDP ua.invalid;branch=z9hG4bKua' }), layer.localEndpoint('udp').port);
    const { message } = await within(got, 'the request');
    assert.deepEqual(message.vias.map((v) => [v.host, v.received]), [['proxy.invalid', '127.0.0.1'], ['ua.invalid', undefined]]);
  });

  void it('answers a malformed request with a 400 naming the problem, and counts the parse error (RFC 3261 §8.2)', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    let delivered = 0;
    layer.onMessage(() => delivered++);
    await peer.send(requestText({ cseqMethod: 'INVITE' }), layer.localEndpoint('udp').port);
    const response = asResponse(await peer.receiveMessage('the 400'));
    assert.equal(response.status, 400);
    assert.match(response.reason, /CSeq method INVITE does not match/);
    assert.equal(delivered, 0);
    assert.equal(layer.stats.udp.parseErrors, 1);
  });

  void it('answers a request whose body is shorter than its Content-Length with a 400 (RFC 3261 §18.3)', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    await peer.send(requestText({ method: 'MESSAGE', body: 'short', contentLength: '50' }), layer.localEndpoint('udp').port);
    const response = asResponse(await peer.receiveMessage('the 400'));
    assert.equal(response.status, 400);
    assert.match(response.reason, /Content-Length 50/);
  });

  void it('ignores bytes past Content-Length in a datagram (RFC 3261 §18.3)', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    await peer.send(requestText({ method: 'MESSAGE', body: 'hello, and trailing junk', contentLength: '5' }), layer.localEndpoint('udp').port);
    const { message } = await within(got, 'the request');
    assert.equal(message.body.toString(), 'hello');
  });

  void it('drops a response that fails to parse, without answering it', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const seen: string[] = [];
    layer.onMessage(({ message }) => seen.push(message.isRequest() ? message.method : String(message.status)));
    answerAll(layer);
    await peer.send('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x.invalid;branch=z9hG4bKr\r\nContent-Length: 0\r\n\r\n', layer.localEndpoint('udp').port);
    await peer.send(requestText(), layer.localEndpoint('udp').port);
    // The first thing back is the answer to the good request: the bad response got none.
    const response = asResponse(await peer.receiveMessage('the 200 to the good request'));
    assert.equal(response.status, 200);
    assert.equal(response.cseq.method, 'OPTIONS');
    assert.deepEqual(seen, ['OPTIONS']);
    assert.equal(layer.stats.udp.parseErrors, 1);
  });

  void it('drops CRLF keep-alive datagrams without counting parse errors', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const got = nextMessage(layer);
    await peer.send('\r\n\r\n', layer.localEndpoint('udp').port);
    await peer.send(requestText(), layer.localEndpoint('udp').port);
    await within(got, 'the request');
    assert.equal(layer.stats.udp.parseErrors, 0);
  });

  void it('answers a STUN Binding request with the reflexive address (RFC 5626 §4.4.2, RFC 5389 §15.2)', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const request = bindingRequest();
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
    const request = bindingRequest();
    await peer.send(request, layer.localEndpoint('udp').port);
    const reply = await peer.receive('the Binding response');
    assert.equal(reply.readUInt8(25), 0x02, 'IPv6 family');
    const mask = request.subarray(4, 20);
    const address = reply.subarray(28, 44).map((b, i) => b ^ mask[i]!);
    assert.deepEqual([...address], [...Buffer.alloc(15), 1]);
  });

  void it('keeps serving after a message handler throws, reporting it as an error event', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const peer = await udpPeer(t, 'udp4', '127.0.0.1');
    const errors: Error[] = [];
    layer.on('error', (err) => errors.push(err));
    layer.onMessage(() => {
      throw new Error('handler bug');
    });
    const got = nextMessage(layer);
    await peer.send(requestText(), layer.localEndpoint('udp').port);
    await within(got, 'the request');
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as TransportError).code, 'SIP_TRANSPORT_HANDLER_FAILED');
  });

  void it('refuses to send a datagram larger than maxMessageBytes', async (t) => {
    const layer = await startLayer(t, { listeners: UDP_LOCAL, limits: { maxMessageBytes: 2000 } });
    const request = parseSip(requestText({ method: 'MESSAGE', body: 'x'.repeat(3000) }), 'datagram');
    await assert.rejects(layer.send(request, { protocol: 'udp', address: '127.0.0.1', port: 9 }), { code: 'SIP_TRANSPORT_MESSAGE_TOO_LARGE' });
  });

  void it('sends a request from one layer to another (RFC 3261 §18.1.1)', async (t) => {
    const a = await startLayer(t, { listeners: UDP_LOCAL });
    const b = await startLayer(t, { listeners: UDP_LOCAL });
    const atB = nextMessage(b);
    const local = a.localEndpoint('udp');
    const request = parseSip(requestText({ via: `SIP/2.0/UDP ${local.address}:${local.port};branch=z9hG4bKab;rport` }), 'datagram');
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
    await peer.send(requestText({ via: 'SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKv6;rport' }), port);
    const { message, source } = await within(got, 'the request');
    assert.equal(source.address, '::1');
    assert.equal(message.topVia?.received, '::1');
    const response = asResponse(await peer.receiveMessage('the 200'));
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
    const layer = await startLayer(t, { listeners: UDP_LOCAL });
    const first = layer.close();
    assert.equal(layer.close(), first);
    await first;
    const request = parseSip(requestText(), 'datagram');
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
    const a = await startLayer(t, { listeners: UDP_LOCAL });
    const taken = a.localEndpoint('udp').port;
    const b = new TransportLayer({ listeners: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }, { protocol: 'udp', address: '127.0.0.1', port: taken }] });
    await assert.rejects(b.start(), { code: 'SIP_TRANSPORT_BIND_FAILED' });
  });
});
