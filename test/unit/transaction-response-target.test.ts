// Where server transactions send responses: RFC 3261 §18.2.2 and RFC 3581 §4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageSource } from '../../ipbx/sip/transport/transport-types.ts';
import { defaultPort, responseTarget } from '../../ipbx/sip/transaction/index.ts';
import { DEFAULT_SOURCE, sipRequest } from '../helpers/memory-transport.ts';

function request(via: string) {
  return sipRequest(`OPTIONS sip:bob@biloxi.example.com SIP/2.0
Via: ${via}
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=a1
Call-ID: rt@atlanta.example.com
CSeq: 1 OPTIONS
`);
}

const natted: MessageSource = { ...DEFAULT_SOURCE, address: '203.0.113.9', port: 40_123, flowId: 'udp-flow-1' };

void test('Response target: UDP with rport → the source address and port, over the same flow (RFC 3581 §4)', () => {
  const target = responseTarget(request('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;rport'), natted);
  assert.deepEqual(target, { protocol: 'udp', address: '203.0.113.9', port: 40_123, flowId: 'udp-flow-1' });
});

void test('Response target: UDP without rport → the received (source) address and the sent-by port (RFC 3261 §18.2.2)', () => {
  const target = responseTarget(request('SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1'), natted);
  assert.deepEqual(target, { protocol: 'udp', address: '203.0.113.9', port: 5070, flowId: undefined });
});

void test('Response target: UDP sent-by without port → 5060 (RFC 3261 §18.2.2)', () => {
  const target = responseTarget(request('SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK1'), natted);
  assert.equal(target.port, 5060);
  assert.equal(target.address, '203.0.113.9', 'the packet source, whatever sent-by names');
});

void test('Response target: the source wins over received/rport values the transport did not stamp (RFC 3261 §18.2.1)', () => {
  const target = responseTarget(request('SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1;received=192.0.2.99;rport=1'), natted);
  assert.deepEqual(target, { protocol: 'udp', address: '203.0.113.9', port: 40_123, flowId: 'udp-flow-1' });
});

void test('Response target: TCP and TLS → the connection the request came on, sent-by port as fallback (RFC 3261 §18.2.2)', () => {
  const tcp = responseTarget(request('SIP/2.0/TCP 10.0.0.5:5080;branch=z9hG4bK1;rport'), { ...natted, protocol: 'tcp', flowId: 'tcp-3' });
  assert.deepEqual(tcp, { protocol: 'tcp', address: '203.0.113.9', port: 5080, flowId: 'tcp-3' });
  const tls = responseTarget(request('SIP/2.0/TLS 10.0.0.5;branch=z9hG4bK1'), { ...natted, protocol: 'tls', flowId: 'tls-4' });
  assert.deepEqual(tls, { protocol: 'tls', address: '203.0.113.9', port: 5061, flowId: 'tls-4' });
  assert.equal(defaultPort('wss'), 5061);
  assert.equal(defaultPort('udp'), 5060);
});
