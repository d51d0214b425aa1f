import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createResponse, parseMessage, type SipMessage } from '../../ipbx/sip/message/index.ts';
import { TransportLayer, type FlowInfo, type IncomingMessage, type TransportLayerOptions } from '../../ipbx/sip/transport/index.ts';
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

function sipRequest(via = `SIP/2.0/TLS client.invalid:5061;branch=z9hG4bK${randomBytes(6).toString('hex')};rport`): string {
  return [
    'OPTIONS sip:service@127.0.0.1;transport=tls SIP/2.0',
    `Via: ${via}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:service@example.com>',
    `Call-ID: ${randomBytes(8).toString('hex')}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function parseStream(bytes: Buffer): SipMessage {
  const result = parseMessage(bytes, { datagram: false });
  assert.ok(result.ok, `unparseable: ${result.ok ? '' : result.error.reason}`);
  return result.message;
}

/** Reads one Content-Length: 0 message off a socket. */
function readHead(socket: TLSSocket): Promise<SipMessage> {
  return within(new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      resolve(parseStream(buffered.subarray(0, end + 4)));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before a message arrived')));
  }), 'a message over TLS');
}

let cert: TestCert;
before(async () => {
  cert = await makeSelfSignedCert();
});
after(async () => {
  await cert.cleanup();
});

function tlsListener(address = '127.0.0.1', trust = true) {
  return { protocol: 'tls' as const, address, port: 0, tls: { key: cert.key, cert: cert.cert, ...(trust ? { ca: cert.cert } : {}) } };
}

void describe('TLS transport (RFC 3261 §18, §26.2)', () => {
  void it('answers a request over TLS on the same connection, with received and rport stamped', async (t) => {
    const layer = await startLayer(t, { listeners: [tlsListener()] });
    answerAll(layer);
    const got = nextMessage(layer);
    const socket = tlsConnect({ host: '127.0.0.1', port: layer.localEndpoint('tls').port, ca: cert.cert });
    t.after(() => socket.destroy());
    await within(once(socket, 'secureConnect'), 'the TLS handshake');
    assert.ok(socket.authorized, 'the certificate verifies for 127.0.0.1');
    const response = readHead(socket);
    socket.write(sipRequest());
    const { message, source } = await within(got, 'the request');
    assert.equal(source.protocol, 'tls');
    assert.equal(message.topVia?.transport, 'TLS');
    assert.equal(message.topVia?.received, '127.0.0.1');
    assert.equal(message.topVia?.rport, socket.localPort);
    const answer = await response;
    assert.ok(!answer.isRequest() && answer.status === 200);
    assert.equal(layer.stats.tls.received, 1);
    assert.equal(layer.stats.tls.sent, 1);
  });

  void it('opens a verified TLS connection on demand and gets the response over it', async (t) => {
    const a = await startLayer(t, { listeners: [tlsListener()] });
    const b = await startLayer(t, { listeners: [tlsListener()] });
    answerAll(b);
    const opened = within(new Promise<FlowInfo>((resolve) => a.once('flow-opened', resolve)), 'flow-opened at A');
    const response = nextMessage(a);
    await a.send(parseStream(Buffer.from(sipRequest())), { protocol: 'tls', ...b.localEndpoint('tls') });
    const { message, source } = await within(response, 'the response at A');
    assert.ok(!message.isRequest() && message.status === 200);
    const flow = await opened;
    assert.equal(source.flowId, flow.flowId);
    assert.equal(flow.outbound, true);
  });

  void it('refuses to send to a peer whose certificate it does not trust', async (t) => {
    const a = await startLayer(t, { listeners: [tlsListener('127.0.0.1', false)] });
    const b = await startLayer(t, { listeners: [tlsListener()] });
    b.on('error', () => undefined); // the failed handshake is reported at B, harmlessly
    await within(
      assert.rejects(a.send(parseStream(Buffer.from(sipRequest())), { protocol: 'tls', ...b.localEndpoint('tls') }), { code: 'SIP_TRANSPORT_CONNECT_FAILED' }),
      'the rejection',
    );
  });

  void it('works over IPv6 on ::1', async (t) => {
    const a = await startLayer(t, { listeners: [tlsListener('::1')] });
    const b = await startLayer(t, { listeners: [tlsListener('::1')] });
    answerAll(b);
    const response = nextMessage(a);
    await a.send(parseStream(Buffer.from(sipRequest('SIP/2.0/TLS [::1]:5061;branch=z9hG4bKv6'))), { protocol: 'tls', ...b.localEndpoint('tls') });
    const { source } = await within(response, 'the response at A');
    assert.equal(source.address, '::1');
  });
});
