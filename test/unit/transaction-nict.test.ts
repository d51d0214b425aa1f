// Non-INVITE client transaction: RFC 3261 §17.1.2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { createResponse, serializeMessage, type SipRequest } from '../../ipbx/sip/message/index.ts';
import type { SendTarget } from '../../ipbx/sip/transport/transport-types.ts';
import { NictState, TransactionLayer, type ClientTransactionHandlers } from '../../ipbx/sip/transaction/index.ts';
import { MemoryTransport, flushPromises, incoming, sipMessage, sipRequest } from '../helpers/memory-transport.ts';

const UDP: SendTarget = { protocol: 'udp', address: '198.51.100.7', port: 5060 };
const TCP: SendTarget = { protocol: 'tcp', address: '198.51.100.7', port: 5060 };

function setup() {
  const clock = new FakeClock(0);
  const transport = new MemoryTransport({ clock });
  const layer = new TransactionLayer({ transport, clock, tu: { onRequest: () => undefined }, onError: (e) => { throw e; } });
  const events: string[] = [];
  const handlers: ClientTransactionHandlers = {
    onResponse: (r) => events.push(`${clock.now()} ${r.status}`),
    onTimeout: () => events.push(`${clock.now()} timeout`),
    onTransportError: (e) => events.push(`${clock.now()} transport-error ${(e as Error).message}`),
  };
  return { clock, transport, layer, events, handlers };
}

function register(): SipRequest {
  return sipRequest(`REGISTER sip:registrar.biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Bob <sip:bob@biloxi.example.com>;tag=456248
Call-ID: 843817637684230@998sdasdh09
CSeq: 1826 REGISTER
Contact: <sip:bob@192.0.2.4>
Expires: 7200
`);
}

function reply(request: SipRequest, status: number) {
  return incoming(sipMessage(serializeMessage(createResponse(request, status, { toTag: 'reg' })).toString('utf8')));
}

void test('NICT: Timer E retransmits at 500, 1500, 3500 ms then every T2 = 4 s over UDP (RFC 3261 §17.1.2.2)', () => {
  const { clock, transport, layer, handlers } = setup();
  layer.sendRequest(register(), UDP, handlers);
  clock.advance(31_999);
  assert.deepEqual(transport.requests('REGISTER').map((r) => r.at), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
});

void test('NICT: Timer F in Trying → Terminated, TU told of the timeout at 64*T1 (RFC 3261 §17.1.2.2)', () => {
  const { clock, layer, events, handlers } = setup();
  const tx = layer.sendRequest(register(), UDP, handlers);
  clock.advance(32_000);
  assert.deepEqual(events, ['32000 timeout']);
  assert.equal(tx.state, NictState.Terminated);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(layer.counts.client, 0);
});

void test('NICT: in Proceeding Timer E is reset to T2 each time it fires (RFC 3261 §17.1.2.2)', () => {
  const { clock, transport, layer, handlers } = setup();
  const tx = layer.sendRequest(register(), UDP, handlers);
  clock.advance(100);
  layer.receive(reply(tx.request, 100));
  assert.equal(tx.state, NictState.Proceeding);
  clock.advance(13_000);
  assert.deepEqual(transport.requests('REGISTER').map((r) => r.at), [0, 500, 4500, 8500, 12500]);
});

void test('NICT: Timer F in Proceeding → Terminated (RFC 3261 §17.1.2.2)', () => {
  const { clock, layer, events, handlers } = setup();
  const tx = layer.sendRequest(register(), UDP, handlers);
  layer.receive(reply(tx.request, 100));
  clock.advance(32_000);
  assert.deepEqual(events, ['0 100', '32000 timeout']);
  assert.equal(tx.state, NictState.Terminated);
});

void test('NICT: no retransmission over TCP; Timer F still fires (RFC 3261 §17.1.2.2)', () => {
  const { clock, transport, layer, events, handlers } = setup();
  layer.sendRequest(register(), TCP, handlers);
  clock.advance(40_000);
  assert.deepEqual(transport.requests('REGISTER').map((r) => r.at), [0]);
  assert.deepEqual(events, ['32000 timeout']);
});

void test('NICT: a final → Completed, passed once to the TU; retransmitted finals absorbed until Timer K = T4 (RFC 3261 §17.1.2.2)', () => {
  const { clock, transport, layer, events, handlers } = setup();
  const tx = layer.sendRequest(register(), UDP, handlers);
  clock.advance(700);
  layer.receive(reply(tx.request, 200));
  assert.equal(tx.state, NictState.Completed);
  layer.receive(reply(tx.request, 200));
  clock.advance(4_999);
  assert.equal(tx.state, NictState.Completed);
  clock.advance(1);
  assert.equal(tx.state, NictState.Terminated);
  assert.deepEqual(events, ['700 200']);
  assert.deepEqual(transport.requests('REGISTER').map((r) => r.at), [0, 500], 'retransmissions stop in Completed');
});

void test('NICT: Timer K is zero over TCP: a final ends the transaction at once (RFC 3261 §17.1.2.2)', () => {
  const { clock, layer, handlers } = setup();
  const tx = layer.sendRequest(register(), TCP, handlers);
  layer.receive(reply(tx.request, 401));
  assert.equal(tx.state, NictState.Terminated);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(layer.counts.client, 0);
});

void test('NICT: a failed retransmission → TU told of the transport error, Terminated (RFC 3261 §17.1.4)', async () => {
  const { clock, transport, layer, events, handlers } = setup();
  const tx = layer.sendRequest(register(), UDP, handlers);
  transport.failSends(new Error('ICMP unreachable'));
  clock.advance(500);
  await flushPromises();
  assert.deepEqual(events, ['500 transport-error ICMP unreachable']);
  assert.equal(tx.state, NictState.Terminated);
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(transport.sent.map((s) => s.failed), [false, true]);
});
