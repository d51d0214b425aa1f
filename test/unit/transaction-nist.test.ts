// Non-INVITE server transaction: RFC 3261 §17.2.2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { createResponse, type SipRequest } from '../../ipbx/sip/message/index.ts';
import type { MessageSource } from '../../ipbx/sip/transport/transport-types.ts';
import { NistState, NonInviteServerTransaction, TransactionLayer } from '../../ipbx/sip/transaction/index.ts';
import { MemoryTransport, incoming } from '../helpers/memory-transport.ts';

function setup() {
  const clock = new FakeClock(0);
  const transport = new MemoryTransport({ clock });
  const seen: SipRequest[] = [];
  let last: unknown;
  const layer = new TransactionLayer({
    transport, clock,
    tu: { onRequest: (request, transaction) => { seen.push(request); last = transaction; } },
    onError: (e) => { throw e; },
  });
  /** Delivers a request and returns the server transaction the TU got with it. */
  const start = (text = OPTIONS, source: Partial<MessageSource> = {}): NonInviteServerTransaction => {
    layer.receive(incoming(text, source));
    assert.ok(last instanceof NonInviteServerTransaction);
    return last;
  };
  return { clock, transport, layer, seen, start };
}

const OPTIONS = `OPTIONS sip:carol@chicago.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877
Max-Forwards: 70
To: <sip:carol@chicago.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 63104 OPTIONS
Accept: application/sdp
`;

void test('NIST: a retransmission in Trying is discarded, not passed to the TU (RFC 3261 §17.2.2)', () => {
  const { transport, layer, seen, start } = setup();
  const tx = start();
  layer.receive(incoming(OPTIONS));
  assert.equal(tx.state, NistState.Trying);
  assert.equal(seen.length, 1);
  assert.equal(transport.sent.length, 0, 'no 100 Trying for non-INVITE');
});

void test('NIST: a retransmission in Proceeding re-sends the last provisional (RFC 3261 §17.2.2)', () => {
  const { transport, layer, start } = setup();
  const tx = start();
  tx.respond(createResponse(tx.request, 100));
  tx.respond(createResponse(tx.request, 183, { toTag: 'p' }));
  assert.equal(tx.state, NistState.Proceeding);
  layer.receive(incoming(OPTIONS));
  assert.deepEqual(transport.responses().map((r) => r.message.status), [100, 183, 183]);
});

void test('NIST: a retransmission in Completed re-sends the final response; the TU sees it once (RFC 3261 §17.2.2)', () => {
  const { clock, transport, layer, seen, start } = setup();
  const tx = start();
  tx.respond(createResponse(tx.request, 200, { toTag: 'ok' }));
  assert.equal(tx.state, NistState.Completed);
  clock.advance(500);
  layer.receive(incoming(OPTIONS));
  clock.advance(1_000);
  layer.receive(incoming(OPTIONS));
  assert.deepEqual(transport.responses(200).map((r) => r.at), [0, 500, 1500]);
  assert.equal(seen.length, 1);
});

void test('NIST: further finals from the TU are discarded in Completed (RFC 3261 §17.2.2)', () => {
  const { transport, start } = setup();
  const tx = start();
  assert.equal(tx.respond(createResponse(tx.request, 200)), true);
  assert.equal(tx.respond(createResponse(tx.request, 500)), false);
  assert.deepEqual(transport.responses().map((r) => r.message.status), [200]);
});

void test('NIST: Timer J in Completed → Terminated after 64*T1 over UDP; a later copy is a new request (RFC 3261 §17.2.2)', () => {
  const { clock, layer, seen, start } = setup();
  const tx = start();
  tx.respond(createResponse(tx.request, 200));
  clock.advance(31_999);
  assert.equal(tx.state, NistState.Completed);
  clock.advance(1);
  assert.equal(tx.state, NistState.Terminated);
  assert.equal(layer.counts.server, 0);
  layer.receive(incoming(OPTIONS));
  assert.equal(seen.length, 2);
});

void test('NIST: Timer J is zero over TCP: the final ends the transaction at once (RFC 3261 §17.2.2)', () => {
  const { clock, layer, transport, start } = setup();
  const tx = start(OPTIONS.replace('SIP/2.0/UDP', 'SIP/2.0/TCP'), { protocol: 'tcp', flowId: 'tcp-9' });
  tx.respond(createResponse(tx.request, 200));
  assert.equal(tx.state, NistState.Terminated);
  assert.equal(layer.counts.server, 0);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(transport.responses(200)[0]?.target.flowId, 'tcp-9');
});
