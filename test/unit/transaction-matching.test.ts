// Matching requests and responses to transactions: RFC 3261 §17.1.3, §17.2.3, §9.2, with the
// RFC 2543 fallback and RFC 4475 §3.3.15 (badbranch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { createResponse, serializeMessage, type SipRequest, type SipResponse } from '../../ipbx/sip/message/index.ts';
import {
  InviteServerTransaction, IstState, NonInviteServerTransaction, TransactionLayer, clientTransactionKey, serverTransactionKey,
  type ServerTransaction,
} from '../../ipbx/sip/transaction/index.ts';
import { MemoryTransport, incoming, sipMessage, sipRequest } from '../helpers/memory-transport.ts';

function setup() {
  const clock = new FakeClock(0);
  const transport = new MemoryTransport({ clock });
  const seen: Array<{ request: SipRequest; transaction: ServerTransaction | undefined }> = [];
  const stray: SipResponse[] = [];
  const layer = new TransactionLayer({
    transport, clock,
    tu: { onRequest: (request, transaction) => seen.push({ request, transaction }), onStrayResponse: (r) => stray.push(r) },
    onError: (e) => { throw e; },
  });
  return { clock, transport, layer, seen, stray };
}

/** A request template; `via` is the whole top Via value. */
function req(method: string, opts: { via?: string; cseqMethod?: string; toTag?: string; fromTag?: string; uri?: string; callId?: string } = {}): string {
  const to = opts.toTag === undefined ? '<sip:bob@biloxi.example.com>' : `<sip:bob@biloxi.example.com>;tag=${opts.toTag}`;
  return `${method} ${opts.uri ?? 'sip:bob@biloxi.example.com'} SIP/2.0
Via: ${opts.via ?? 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK74bf9'}
Max-Forwards: 70
To: ${to}
From: <sip:alice@atlanta.example.com>;tag=${opts.fromTag ?? '9fxced76sl'}
Call-ID: 3848276298220188511@atlanta.example.com
CSeq: 2 ${opts.cseqMethod ?? method}
`;
}

const LEGACY_VIA = 'SIP/2.0/UDP pc33.atlanta.example.com:5060';

void test('Matching: ACK shares the INVITE key, CANCEL has its own, sent-by is part of it (RFC 3261 §17.2.3)', () => {
  const inviteKey = serverTransactionKey(sipRequest(req('INVITE')));
  assert.ok(inviteKey !== undefined);
  assert.equal(serverTransactionKey(sipRequest(req('ACK'))), inviteKey);
  assert.notEqual(serverTransactionKey(sipRequest(req('CANCEL'))), inviteKey);
  assert.equal(serverTransactionKey(sipRequest(req('CANCEL')), 'cancel'), inviteKey);
  assert.notEqual(serverTransactionKey(sipRequest(req('INVITE', { via: 'SIP/2.0/UDP other.example.com;branch=z9hG4bK74bf9' }))), inviteKey);
  assert.equal(serverTransactionKey(sipRequest(req('INVITE', { via: LEGACY_VIA }))), undefined, 'no branch: RFC 2543 rules');
  assert.equal(serverTransactionKey(sipRequest(req('INVITE', { via: `${LEGACY_VIA};branch=z9hG4bK` }))), undefined, 'RFC 4475 badbranch');
  assert.equal(serverTransactionKey(sipRequest(req('INVITE', { via: `${LEGACY_VIA};branch=1234` }))), undefined, 'RFC 2543 branch');
});

void test('Matching: a CANCEL creates its own transaction and finds its INVITE server transaction (RFC 3261 §9.2)', () => {
  const { layer, seen, transport } = setup();
  layer.receive(incoming(req('INVITE')));
  const ist = seen[0]?.transaction;
  assert.ok(ist instanceof InviteServerTransaction);
  layer.receive(incoming(req('CANCEL')));
  const cancelTx = seen[1]?.transaction;
  assert.ok(cancelTx instanceof NonInviteServerTransaction, 'the CANCEL is its own non-INVITE transaction');
  const cancel = seen[1]?.request;
  assert.ok(cancel !== undefined);
  assert.equal(layer.findInviteServerTransaction(cancel), ist);
  // What a UAS core does with it (§9.2): 200 to the CANCEL, 487 to the INVITE.
  cancelTx.respond(createResponse(cancel, 200));
  ist.respond(createResponse(ist.request, 487));
  assert.deepEqual(transport.responses().map((r) => `${r.message.status} ${r.message.cseq.method}`), ['100 INVITE', '200 CANCEL', '487 INVITE']);
  assert.equal(layer.findInviteServerTransaction(sipRequest(req('CANCEL', { via: 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKother' }))), undefined);
});

void test('Matching: a CANCEL without cookie finds its INVITE by Request-URI, tags, Call-ID, CSeq number and top Via (RFC 3261 §9.2, §17.2.3)', () => {
  const { layer, seen } = setup();
  layer.receive(incoming(req('INVITE', { via: LEGACY_VIA })));
  const ist = seen[0]?.transaction;
  assert.ok(ist instanceof InviteServerTransaction);
  assert.equal(layer.findInviteServerTransaction(sipRequest(req('CANCEL', { via: LEGACY_VIA }))), ist);
  assert.equal(layer.findInviteServerTransaction(sipRequest(req('CANCEL', { via: LEGACY_VIA, fromTag: 'x' }))), undefined);
  assert.equal(layer.findInviteServerTransaction(sipRequest(req('CANCEL', { via: LEGACY_VIA, uri: 'sip:carol@biloxi.example.com' }))), undefined);
});

void test('Matching: RFC 2543 INVITE retransmission matched by Request-URI, To/From tags, Call-ID, CSeq, top Via (RFC 3261 §17.2.3)', () => {
  const { layer, seen, transport } = setup();
  layer.receive(incoming(req('INVITE', { via: LEGACY_VIA })));
  // The transport may stamp received/rport; that does not make it another request.
  layer.receive(incoming(req('INVITE', { via: `${LEGACY_VIA};received=198.51.100.7`, uri: 'sip:bob@BILOXI.example.com' })));
  assert.equal(seen.length, 1);
  assert.deepEqual(transport.responses(100).length, 2, 'the retransmission got the 100 again');
  layer.receive(incoming(req('INVITE', { via: LEGACY_VIA, fromTag: 'another' })));
  layer.receive(incoming(req('INVITE', { via: 'SIP/2.0/UDP elsewhere.example.com:5060' })));
  assert.equal(seen.length, 3, 'another From tag or top Via is another transaction');
  assert.equal(layer.counts.server, 3);
});

void test('Matching: RFC 2543 ACK matched by the To tag of the response sent → Confirmed (RFC 3261 §17.2.3)', () => {
  const { layer, seen } = setup();
  layer.receive(incoming(req('INVITE', { via: LEGACY_VIA })));
  const ist = seen[0]?.transaction;
  assert.ok(ist instanceof InviteServerTransaction);
  ist.respond(createResponse(ist.request, 486, { toTag: 'busy-here' }));
  layer.receive(incoming(req('ACK', { via: LEGACY_VIA, toTag: 'not-ours' })));
  assert.equal(ist.state, IstState.Completed, 'an ACK with another To tag does not match');
  assert.equal(seen[1]?.transaction, undefined);
  layer.receive(incoming(req('ACK', { via: LEGACY_VIA, toTag: 'busy-here' })));
  assert.equal(ist.state, IstState.Confirmed);
  assert.equal(seen.length, 2, 'the matching ACK is absorbed');
});

void test('Matching: RFC 2543 ACK for a 2xx matches the INVITE in Accepted and still reaches the TU (RFC 6026 §8.7)', () => {
  const { layer, seen } = setup();
  layer.receive(incoming(req('INVITE', { via: LEGACY_VIA })));
  const ist = seen[0]?.transaction;
  assert.ok(ist instanceof InviteServerTransaction);
  ist.respond(createResponse(ist.request, 200, { toTag: 'answered' }));
  layer.receive(incoming(req('ACK', { via: LEGACY_VIA, toTag: 'answered' })));
  assert.equal(seen[1]?.request.method, 'ACK');
  assert.equal(seen[1]?.transaction, undefined);
  assert.equal(ist.state, IstState.Accepted);
});

void test('Matching: RFC 4475 badbranch (branch=z9hG4bK alone) falls back to RFC 2543 rules (RFC 3261 §17.2.3)', () => {
  const { layer, seen } = setup();
  const via = `${LEGACY_VIA};branch=z9hG4bK`;
  layer.receive(incoming(req('OPTIONS', { via })));
  layer.receive(incoming(req('OPTIONS', { via })));
  assert.equal(seen.length, 1);
  // Another request with the same bare cookie is not mistaken for it.
  layer.receive(incoming(req('OPTIONS', { via, fromTag: 'someone-else' })));
  assert.equal(seen.length, 2);
});

void test('Matching: a response matches by branch and CSeq method, so a 200 for CANCEL does not reach the INVITE transaction (RFC 3261 §17.1.3)', () => {
  const { layer, stray } = setup();
  const got: string[] = [];
  const handlers = (name: string) => ({
    onResponse: (r: SipResponse) => got.push(`${name} ${r.status}`),
    onTimeout: () => got.push(`${name} timeout`),
    onTransportError: () => got.push(`${name} error`),
  });
  const target = { protocol: 'udp', address: '198.51.100.7', port: 5060 } as const;
  const invite = layer.sendRequest(sipRequest(req('INVITE')), target, handlers('invite'));
  layer.sendRequest(sipRequest(req('CANCEL')), target, handlers('cancel'));
  assert.equal(clientTransactionKey('z9hG4bK74bf9', 'ACK'), clientTransactionKey('z9hG4bK74bf9', 'INVITE'));
  const wire = (r: SipResponse) => incoming(sipMessage(serializeMessage(r).toString('utf8')));
  const cancelOk = createResponse(invite.request, 200, { toTag: 't' });
  cancelOk.cseq = { seq: 2, method: 'CANCEL' };
  layer.receive(wire(cancelOk));
  layer.receive(wire(createResponse(invite.request, 487, { toTag: 't' })));
  const otherBranch = createResponse(invite.request, 180);
  otherBranch.headers.set('Via', 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKunknown');
  layer.receive(wire(otherBranch));
  assert.deepEqual(got, ['cancel 200', 'invite 487']);
  assert.deepEqual(stray.map((r) => r.status), [180]);
});
