import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  answerAll,
  asResponse,
  nextFlowOpened,
  nextMessage,
  parseSip,
  requestText,
  startLayer,
  tlsPeer,
  useTestCert,
  within,
} from '../helpers/transport-test-kit.ts';

const testCert = useTestCert();

function tlsListener(address = '127.0.0.1', trust = true) {
  const { key, cert } = testCert();
  return { protocol: 'tls' as const, address, port: 0, tls: { key, cert, ...(trust ? { ca: cert } : {}) } };
}

/** An OPTIONS over TLS, parsed for sending from one layer to another. */
function tlsOptions(via?: string) {
  return parseSip(requestText({ uri: 'sip:service@127.0.0.1;transport=tls', transport: 'TLS', ...(via === undefined ? {} : { via }) }), 'stream');
}

void describe('TLS transport (RFC 3261 §18, §26.2)', () => {
  void it('answers a request over TLS on the same connection, with received and rport stamped', async (t) => {
    const layer = await startLayer(t, { listeners: [tlsListener()] });
    answerAll(layer);
    const got = nextMessage(layer);
    const peer = await tlsPeer(t, '127.0.0.1', layer.localEndpoint('tls').port, testCert().cert);
    assert.ok(peer.socket.authorized, 'the certificate verifies for 127.0.0.1');
    await peer.write(requestText({ uri: 'sip:service@127.0.0.1;transport=tls', transport: 'TLS' }));
    const { message, source } = await within(got, 'the request');
    assert.equal(source.protocol, 'tls');
    assert.equal(message.topVia?.transport, 'TLS');
    assert.equal(message.topVia?.received, '127.0.0.1');
    assert.equal(message.topVia?.rport, peer.socket.localPort);
    const answer = asResponse(await peer.readMessage('a message over TLS'));
    assert.equal(answer.status, 200);
    assert.equal(layer.stats.tls.received, 1);
    assert.equal(layer.stats.tls.sent, 1);
  });

  void it('opens a verified TLS connection on demand and gets the response over it', async (t) => {
    const a = await startLayer(t, { listeners: [tlsListener()] });
    const b = await startLayer(t, { listeners: [tlsListener()] });
    answerAll(b);
    const opened = nextFlowOpened(a, 'flow-opened at A');
    const response = nextMessage(a);
    await a.send(tlsOptions(), { protocol: 'tls', ...b.localEndpoint('tls') });
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
      assert.rejects(a.send(tlsOptions(), { protocol: 'tls', ...b.localEndpoint('tls') }), { code: 'SIP_TRANSPORT_CONNECT_FAILED' }),
      'the rejection',
    );
  });

  void it('works over IPv6 on ::1', async (t) => {
    const a = await startLayer(t, { listeners: [tlsListener('::1')] });
    const b = await startLayer(t, { listeners: [tlsListener('::1')] });
    answerAll(b);
    const response = nextMessage(a);
    await a.send(tlsOptions('SIP/2.0/TLS [::1]:5061;branch=z9hG4bKv6'), { protocol: 'tls', ...b.localEndpoint('tls') });
    const { source } = await within(response, 'the response at A');
    assert.equal(source.address, '::1');
  });
});
