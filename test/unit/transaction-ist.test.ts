// INVITE server transaction: RFC 3261 §17.2.1 with RFC 6026 (Accepted, Timer L, §8.8 transport errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { createResponse, type SipRequest } from '../../ipbx/sip/message/index.ts';
import type { MessageSource } from '../../ipbx/sip/transport/transport-types.ts';
import { IstState, InviteServerTransaction, TransactionLayer, type ServerTransaction, type TimerConfig } from '../../ipbx/sip/transaction/index.ts';
import { MemoryTransport, flushPromises, incoming } from '../helpers/memory-transport.ts';

interface Seen {
  request: SipRequest;
  transaction: ServerTransaction | undefined;
}

function setup(options: { sendTrying?: boolean; timers?: Partial<TimerConfig> } = {}) {
  const clock = new FakeClock(0);
  const transport = new MemoryTransport({ clock });
  const seen: Seen[] = [];
  const events: string[] = [];
  const layer = new TransactionLayer({
    transport, clock, timers: options.timers, sendTrying: options.sendTrying,
    tu: {
      onRequest: (request, transaction) => seen.push({ request, transaction }),
      onAckTimeout: (tx) => events.push(`${clock.now()} ack-timeout ${tx.request.method}`),
      onServerTransportError: (_tx, e) => events.push(`${clock.now()} transport-error ${(e as Error).message}`),
    },
    onError: (e) => { throw e; },
  });
  /** Delivers an INVITE and returns its new server transaction. */
  const start = (text = INVITE, source: Partial<MessageSource> = {}): InviteServerTransaction => {
    layer.receive(incoming(text, source));
    const tx = seen.at(-1)?.transaction;
    assert.ok(tx instanceof InviteServerTransaction);
    return tx;
  };
  return { clock, transport, layer, seen, events, start };
}

const INVITE = `INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;rport
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example.com>
`;

/** The ACK the UAC sends for a non-2xx final: same branch (RFC 3261 §17.1.1.3). */
function ackFor(toTag: string, branch = 'z9hG4bKnashds8'): string {
  return `ACK sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=${branch};rport
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>;tag=${toTag}
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 ACK
`;
}

void test('IST: 100 Trying sent at once, before the TU sees the INVITE (RFC 3261 §17.2.1)', () => {
  const { transport, seen, start } = setup();
  const tx = start();
  assert.equal(tx.state, IstState.Proceeding);
  assert.equal(seen.length, 1);
  const trying = transport.responses(100);
  assert.equal(trying.length, 1);
  assert.equal(trying[0]?.message.to.tag, undefined);
  assert.deepEqual(trying[0]?.target, { protocol: 'udp', address: '198.51.100.7', port: 5060, flowId: 'udp:192.0.2.1:5060>198.51.100.7:5060' });
});

void test('IST: no 100 Trying when the layer is told the TU answers within 200 ms (RFC 3261 §17.2.1)', () => {
  const { transport, start } = setup({ sendTrying: false });
  start();
  assert.equal(transport.sent.length, 0);
});

void test('IST: an INVITE retransmission in Proceeding re-sends the last provisional, not to the TU (RFC 3261 §17.2.1)', () => {
  const { transport, layer, seen, start } = setup();
  const tx = start();
  layer.receive(incoming(INVITE));
  tx.respond(createResponse(tx.request, 180, { toTag: 'b' }));
  layer.receive(incoming(INVITE));
  assert.deepEqual(transport.sent.map((s) => (s.message.isRequest() ? s.message.method : s.message.status)), [100, 100, 180, 180]);
  assert.equal(seen.length, 1);
});

void test('IST: Timer G retransmits a 486 over UDP at 500, 1500, 3500… capped at T2 until Timer H (RFC 3261 §17.2.1)', () => {
  const { clock, transport, start, events } = setup();
  const tx = start();
  clock.advance(1_000);
  transport.clear();
  assert.equal(tx.respond(createResponse(tx.request, 486, { toTag: 'busy' })), true);
  assert.equal(tx.state, IstState.Completed);
  clock.advance(31_999);
  assert.deepEqual(transport.responses(486).map((r) => r.at - 1_000), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.deepEqual(events, []);
});

void test('IST: Timer H in Completed → Terminated, TU told the ACK never came (RFC 3261 §17.2.1)', () => {
  const { clock, layer, start, events } = setup();
  const tx = start();
  tx.respond(createResponse(tx.request, 486, { toTag: 'busy' }));
  clock.advance(32_000);
  assert.equal(tx.state, IstState.Terminated);
  assert.deepEqual(events, ['32000 ack-timeout INVITE']);
  assert.equal(layer.counts.server, 0);
  assert.equal(clock.pendingTimers, 0);
});

void test('IST: over TCP no Timer G; Timer H still fires (RFC 3261 §17.2.1)', () => {
  const { clock, transport, start, events } = setup();
  const tx = start(INVITE.replace('SIP/2.0/UDP', 'SIP/2.0/TCP'), { protocol: 'tcp', flowId: 'tcp-1' });
  tx.respond(createResponse(tx.request, 486));
  clock.advance(40_000);
  assert.deepEqual(transport.responses(486).map((r) => r.at), [0]);
  assert.equal(transport.responses(486)[0]?.target.flowId, 'tcp-1');
  assert.deepEqual(events, ['32000 ack-timeout INVITE']);
});

void test('IST: an INVITE retransmission in Completed re-sends the final response (RFC 3261 §17.2.1)', () => {
  const { clock, transport, layer, seen, start } = setup();
  const tx = start();
  tx.respond(createResponse(tx.request, 404, { toTag: 'nf' }));
  clock.advance(100);
  layer.receive(incoming(INVITE));
  assert.deepEqual(transport.responses(404).map((r) => r.at), [0, 100]);
  assert.equal(seen.length, 1);
});

void test('IST: ACK in Completed → Confirmed, absorbed, Timer G stops; Timer I = T4 → Terminated (RFC 3261 §17.2.1)', () => {
  const { clock, transport, layer, seen, start, events } = setup();
  const tx = start();
  tx.respond(createResponse(tx.request, 486, { toTag: 'busy' }));
  clock.advance(600);
  layer.receive(incoming(ackFor('busy')));
  assert.equal(tx.state, IstState.Confirmed);
  layer.receive(incoming(ackFor('busy')));
  layer.receive(incoming(INVITE));
  clock.advance(4_999);
  assert.equal(tx.state, IstState.Confirmed);
  clock.advance(1);
  assert.equal(tx.state, IstState.Terminated);
  assert.deepEqual(transport.responses(486).map((r) => r.at), [0, 500], 'no retransmission after the ACK, nor for the INVITE in Confirmed');
  assert.equal(seen.length, 1, 'ACKs absorbed');
  assert.deepEqual(events, []);
});

void test('IST: Timer I is zero over TCP: the ACK ends the transaction (RFC 3261 §17.2.1)', () => {
  const { clock, layer, start } = setup();
  const tcp = { protocol: 'tcp', flowId: 'tcp-1' } as const;
  const tx = start(INVITE.replace('SIP/2.0/UDP', 'SIP/2.0/TCP'), tcp);
  tx.respond(createResponse(tx.request, 486, { toTag: 'busy' }));
  layer.receive(incoming(ackFor('busy').replace('SIP/2.0/UDP', 'SIP/2.0/TCP'), tcp));
  assert.equal(tx.state, IstState.Terminated);
  assert.equal(clock.pendingTimers, 0);
});

void test('IST: 2xx → Accepted; INVITE retransmissions absorbed, the TU 2xx retransmissions sent (RFC 6026 §8.5, §8.7)', () => {
  const { clock, transport, layer, seen, start } = setup();
  const tx = start();
  const ok = createResponse(tx.request, 200, { toTag: 'ok' });
  assert.equal(tx.respond(ok), true);
  assert.equal(tx.state, IstState.Accepted);
  layer.receive(incoming(INVITE));
  clock.advance(500);
  assert.equal(tx.respond(ok), true, 'the TU retransmits its 2xx through the transaction (§13.3.1.4)');
  assert.equal(tx.respond(createResponse(tx.request, 486)), false, 'no other final in Accepted');
  assert.deepEqual(transport.responses(200).map((r) => r.at), [0, 500], 'the transaction never retransmits a 2xx itself');
  assert.equal(seen.length, 1);
});

void test('IST: the ACK for a 2xx (new branch) reaches the TU without transaction (RFC 3261 §17.2.3)', () => {
  const { layer, seen, start } = setup();
  const tx = start();
  tx.respond(createResponse(tx.request, 200, { toTag: 'ok' }));
  layer.receive(incoming(ackFor('ok', 'z9hG4bKack2xx')));
  assert.equal(seen.length, 2);
  assert.equal(seen[1]?.request.method, 'ACK');
  assert.equal(seen[1]?.transaction, undefined);
  assert.equal(tx.state, IstState.Accepted);
});

void test('IST: an ACK matching the transaction in Accepted is passed to the TU, not absorbed (RFC 6026 §8.7)', () => {
  const { layer, seen, start } = setup();
  const tx = start();
  tx.respond(createResponse(tx.request, 200, { toTag: 'ok' }));
  layer.receive(incoming(ackFor('ok')));
  layer.receive(incoming(ackFor('ok')));
  assert.deepEqual(seen.slice(1).map((s) => s.request.method), ['ACK', 'ACK']);
  assert.equal(seen[1]?.transaction, undefined, 'an ACK reaching the TU always acknowledges a 2xx');
  assert.equal(tx.state, IstState.Accepted);
});

void test('IST: Timer L in Accepted → Terminated after 64*T1 (RFC 6026 §8.7)', () => {
  const { clock, layer, start } = setup({ timers: { T1: 250 } });
  const tx = start();
  tx.respond(createResponse(tx.request, 200));
  clock.advance(15_999);
  assert.equal(tx.state, IstState.Accepted);
  clock.advance(1);
  assert.equal(tx.state, IstState.Terminated);
  assert.equal(layer.counts.server, 0);
  assert.equal(tx.respond(createResponse(tx.request, 200)), false);
});

void test('IST: a failed response send is reported to the TU and the state is kept (RFC 6026 §8.8)', async () => {
  const { transport, start, events } = setup();
  transport.failSends((m) => (!m.isRequest() && m.status === 486 ? new Error('flow gone') : undefined));
  const tx = start();
  tx.respond(createResponse(tx.request, 486));
  await flushPromises();
  assert.deepEqual(events, ['0 transport-error flow gone']);
  assert.equal(tx.state, IstState.Completed);
});
