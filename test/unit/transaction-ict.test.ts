// INVITE client transaction: RFC 3261 §17.1.1 with RFC 6026 §8.4 (Accepted, Timer M).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { createResponse, serializeMessage, type SipRequest, type SipResponse } from '../../ipbx/sip/message/index.ts';
import type { SendTarget } from '../../ipbx/sip/transport/transport-types.ts';
import { IctState, TransactionLayer, type ClientTransactionHandlers, type TimerConfig } from '../../ipbx/sip/transaction/index.ts';
import { MemoryTransport, flushPromises, incoming, sipMessage, sipRequest } from '../helpers/memory-transport.ts';

const UDP: SendTarget = { protocol: 'udp', address: '198.51.100.7', port: 5060 };
const TCP: SendTarget = { protocol: 'tcp', address: '198.51.100.7', port: 5060 };

function setup(timers?: Partial<TimerConfig>) {
  const clock = new FakeClock(0);
  const transport = new MemoryTransport({ clock });
  const errors: unknown[] = [];
  const stray: SipResponse[] = [];
  const layer = new TransactionLayer({
    transport, clock, timers,
    tu: { onRequest: () => undefined, onStrayResponse: (r) => stray.push(r) },
    onError: (e) => errors.push(e),
  });
  const events: string[] = [];
  const responses: SipResponse[] = [];
  const handlers: ClientTransactionHandlers = {
    onResponse: (r) => { responses.push(r); events.push(`${clock.now()} ${r.status}`); },
    onTimeout: () => events.push(`${clock.now()} timeout`),
    onTransportError: (e) => events.push(`${clock.now()} transport-error ${(e as Error).message}`),
  };
  return { clock, transport, layer, errors, stray, events, responses, handlers };
}

function invite(): SipRequest {
  return sipRequest(`INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds
Route: <sip:p1.example.com;lr>
Route: <sip:p2.example.com;lr>, <sip:p3.example.com;lr>
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example.com>
Content-Type: application/sdp

v=0
`);
}

/** The response as the peer would send it, through the wire and back. */
function reply(request: SipRequest, status: number, toTag = 'b0b') {
  return incoming(sipMessage(serializeMessage(createResponse(request, status, { toTag })).toString('utf8')));
}

void test('ICT: Timer A retransmits the INVITE over UDP at 500, 1500, 3500… ms, doubling, until Timer B (RFC 3261 §17.1.1.2)', () => {
  const { clock, transport, layer, events, handlers } = setup();
  const tx = layer.sendRequest(invite(), UDP, handlers);
  clock.advance(31_999);
  assert.deepEqual(transport.requests('INVITE').map((r) => r.at), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.deepEqual(events, []);
  assert.equal(tx.state, IctState.Calling);
});

void test('ICT: Timer B in Calling → Terminated, TU told of the timeout at 64*T1, no ACK (RFC 3261 §17.1.1.2)', () => {
  const { clock, transport, layer, events, handlers } = setup();
  const tx = layer.sendRequest(invite(), UDP, handlers);
  clock.advance(32_000);
  assert.deepEqual(events, ['32000 timeout']);
  assert.equal(tx.state, IctState.Terminated);
  assert.equal(transport.requests('ACK').length, 0);
  assert.equal(layer.counts.client, 0);
  assert.equal(clock.pendingTimers, 0);
});

void test('ICT: over TCP no Timer A, Timer B still fires (RFC 3261 §17.1.1.2)', () => {
  const { clock, transport, layer, events, handlers } = setup();
  layer.sendRequest(invite(), TCP, handlers);
  clock.advance(60_000);
  assert.deepEqual(transport.requests('INVITE').map((r) => r.at), [0]);
  assert.deepEqual(events, ['32000 timeout']);
});

void test('ICT: custom T1 scales Timers A and B (RFC 3261 §17.1.1.1)', () => {
  const { clock, transport, layer, events, handlers } = setup({ T1: 100 });
  layer.sendRequest(invite(), UDP, handlers);
  clock.advance(10_000);
  assert.deepEqual(transport.requests('INVITE').map((r) => r.at), [0, 100, 300, 700, 1500, 3100, 6300]);
  assert.deepEqual(events, ['6400 timeout']);
});

void test('ICT: 1xx in Calling → Proceeding, passed to the TU, retransmissions and Timer B stop (RFC 3261 §17.1.1.2)', () => {
  const { clock, transport, layer, events, handlers } = setup();
  const tx = layer.sendRequest(invite(), UDP, handlers);
  clock.advance(600);
  layer.receive(reply(tx.request, 180));
  layer.receive(reply(tx.request, 183));
  clock.advance(120_000);
  assert.equal(tx.state, IctState.Proceeding);
  assert.deepEqual(transport.requests('INVITE').map((r) => r.at), [0, 500]);
  assert.deepEqual(events, ['600 180', '600 183']);
});

void test('ICT: ACK for a 486 built as RFC 3261 §17.1.1.3 says and sent where the INVITE went', () => {
  const { layer, transport, responses, handlers } = setup();
  const tx = layer.sendRequest(invite(), UDP, handlers);
  layer.receive(reply(tx.request, 486, 'bob-tag'));
  assert.equal(tx.state, IctState.Completed);
  assert.deepEqual(responses.map((r) => r.status), [486]);
  const acks = transport.requests('ACK');
  assert.equal(acks.length, 1);
  const sent = acks[0];
  assert.ok(sent !== undefined);
  assert.deepEqual(sent.target, UDP);
  // Parse what went on the wire, not the object: the ACK must survive serialization.
  const ack = sipRequest(sent.wire);
  assert.equal(ack.method, 'ACK');
  assert.equal(ack.uri.toString(), 'sip:bob@biloxi.example.com');
  assert.deepEqual(ack.headers.getAll('Via'), ['SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds']);
  assert.equal(ack.callId, 'a84b4c76e66710@pc33.atlanta.example.com');
  assert.equal(ack.headers.get('From'), 'Alice <sip:alice@atlanta.example.com>;tag=1928301774');
  assert.deepEqual(ack.cseq, { seq: 314159, method: 'ACK' });
  assert.equal(ack.to.tag, 'bob-tag');
  assert.equal(ack.to.uri.toString(), 'sip:bob@biloxi.example.com');
  assert.deepEqual(ack.headers.getAll('Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>', '<sip:p3.example.com;lr>']);
  assert.equal(ack.headers.has('Contact'), false);
  assert.equal(ack.body.length, 0);
});

void test('ICT: a retransmitted 486 in Completed re-sends the ACK and is not passed to the TU (RFC 3261 §17.1.1.2)', () => {
  const { clock, layer, transport, responses, handlers } = setup();
  const tx = layer.sendRequest(invite(), UDP, handlers);
  layer.receive(reply(tx.request, 486));
  clock.advance(1_000);
  layer.receive(reply(tx.request, 486));
  layer.receive(reply(tx.request, 486));
  assert.deepEqual(transport.requests('ACK').map((r) => r.at), [0, 1000, 1000]);
  assert.deepEqual(responses.map((r) => r.status), [486]);
  assert.deepEqual(transport.requests('INVITE').map((r) => r.at), [0], 'no INVITE retransmission after the final');
});

void test('ICT: Timer D in Completed → Terminated after 32 s over UDP (RFC 3261 §17.1.1.2)', () => {
  const { clock, layer, handlers } = setup();
  const tx = layer.sendRequest(invite(), UDP, handlers);
  layer.receive(reply(tx.request, 603));
  clock.advance(31_999);
  assert.equal(tx.state, IctState.Completed);
  clock.advance(1);
  assert.equal(tx.state, IctState.Terminated);
  assert.equal(layer.counts.client, 0);
});

void test('ICT: Timer D is zero over TCP: the ACK is sent and the transaction ends at once (RFC 3261 §17.1.1.2)', () => {
  const { clock, layer, transport, handlers } = setup();
  const tx = layer.sendRequest(invite(), TCP, handlers);
  layer.receive(incoming(sipMessage(serializeMessage(createResponse(tx.request, 486)).toString('utf8')), { protocol: 'tcp', flowId: 'tcp-7' }));
  assert.equal(tx.state, IctState.Terminated);
  assert.equal(clock.pendingTimers, 0);
  const ack = transport.requests('ACK')[0];
  assert.ok(ack !== undefined);
  assert.deepEqual(ack.target, { ...TCP, flowId: 'tcp-7' }, 'the ACK rides the connection the response came on');
});

void test('ICT: 2xx → Accepted, passed to the TU with no ACK; its retransmissions go to the TU too (RFC 6026 §8.4)', () => {
  const { clock, layer, transport, responses, handlers } = setup();
  const tx = layer.sendRequest(invite(), UDP, handlers);
  layer.receive(reply(tx.request, 180));
  layer.receive(reply(tx.request, 200));
  assert.equal(tx.state, IctState.Accepted);
  clock.advance(500);
  layer.receive(reply(tx.request, 200));
  layer.receive(reply(tx.request, 200, 'other-fork'));
  layer.receive(reply(tx.request, 486));
  assert.deepEqual(responses.map((r) => `${r.status} ${r.to.tag}`), ['180 b0b', '200 b0b', '200 b0b', '200 other-fork']);
  assert.equal(transport.requests('ACK').length, 0);
  assert.deepEqual(transport.requests('INVITE').map((r) => r.at), [0]);
});

void test('ICT: Timer M in Accepted → Terminated after 64*T1; later 2xx are stray (RFC 6026 §8.4)', () => {
  const { clock, layer, stray, responses, handlers } = setup();
  const tx = layer.sendRequest(invite(), UDP, handlers);
  layer.receive(reply(tx.request, 200));
  clock.advance(31_999);
  assert.equal(tx.state, IctState.Accepted);
  clock.advance(1);
  assert.equal(tx.state, IctState.Terminated);
  layer.receive(reply(tx.request, 200));
  assert.equal(responses.length, 1);
  assert.deepEqual(stray.map((r) => r.status), [200]);
});

void test('ICT: a failed INVITE send → TU told of the transport error, Terminated (RFC 3261 §17.1.4)', async () => {
  const { clock, layer, transport, events, handlers } = setup();
  transport.failSends(new Error('connection refused'));
  const tx = layer.sendRequest(invite(), TCP, handlers);
  await flushPromises();
  assert.deepEqual(events, ['0 transport-error connection refused']);
  assert.equal(tx.state, IctState.Terminated);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(layer.counts.client, 0);
});
