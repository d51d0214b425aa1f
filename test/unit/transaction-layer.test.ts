// The transaction layer around the state machines: starting client transactions, error isolation
// (nothing a TU throws escapes `receive` or a timer), bookkeeping and close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { HeaderList, SipRequest, createResponse, parseUri, serializeMessage, type SipResponse } from '../../ipbx/sip/message/index.ts';
import type { SendTarget } from '../../ipbx/sip/transport/transport-types.ts';
import {
  ICT_TRANSITIONS, IctState, InviteServerTransaction, Transaction, TransactionError, TransactionLayer,
  type ClientTransactionHandlers, type TransactionContext, type TransactionUser,
} from '../../ipbx/sip/transaction/index.ts';
import { MemoryTransport, incoming, sipMessage, sipRequest } from '../helpers/memory-transport.ts';

const UDP: SendTarget = { protocol: 'udp', address: '198.51.100.7', port: 5060 };

function setup(tu: TransactionUser = { onRequest: () => undefined }, endpoint = { address: '192.0.2.1', port: 5062 }) {
  const clock = new FakeClock(0);
  const transport = new MemoryTransport({ clock, endpoint });
  const errors: unknown[] = [];
  const layer = new TransactionLayer({ transport, clock, tu, onError: (e) => errors.push(e) });
  return { clock, transport, layer, errors };
}

const quiet: ClientTransactionHandlers = { onResponse: () => undefined, onTimeout: () => undefined, onTransportError: () => undefined };

function message(method: string, via = 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKabc'): SipRequest {
  return sipRequest(`${method} sip:bob@biloxi.example.com SIP/2.0
Via: ${via}
Max-Forwards: 70
To: <sip:bob@biloxi.example.com>
From: <sip:alice@atlanta.example.com>;tag=a1
Call-ID: layer-test@atlanta.example.com
CSeq: 7 ${method}
`);
}

function withoutVia(method: string): SipRequest {
  const r = message(method);
  r.headers.remove('Via');
  return r;
}

const wire = (r: SipResponse) => incoming(sipMessage(serializeMessage(r).toString('utf8')));

void test('Layer: sendRequest adds a Via with a new z9hG4bK branch and rport when the request has none (RFC 3261 §8.1.1.7, RFC 3581 §3)', () => {
  const { layer, transport } = setup();
  const tx = layer.sendRequest(withoutVia('OPTIONS'), UDP, quiet);
  const via = tx.request.topVia;
  assert.ok(via !== undefined);
  assert.equal(via.transport, 'UDP');
  assert.equal(via.sentBy, '192.0.2.1:5062');
  assert.match(via.branch ?? '', /^z9hG4bK[0-9a-f]{16}$/);
  assert.equal(via.rport, true);
  assert.equal(sipRequest(transport.sent[0]?.wire ?? '').topVia?.branch, via.branch);
  assert.notEqual(layer.newBranch(), layer.newBranch());
});

void test('Layer: an IPv6 local address is bracketed in the Via sent-by (RFC 3261 §25.1)', () => {
  const { layer } = setup(undefined, { address: '2001:db8::1', port: 5060 });
  const tx = layer.sendRequest(withoutVia('OPTIONS'), { protocol: 'tcp', address: '2001:db8::2', port: 5060 }, quiet);
  assert.equal(tx.request.topVia?.sentBy, '[2001:db8::1]:5060');
  assert.equal(tx.request.topVia?.transport, 'TCP');
});

void test('Layer: a top Via without branch gets one; its other parameters stay (RFC 3261 §8.1.1.7)', () => {
  const { layer } = setup();
  const tx = layer.sendRequest(message('OPTIONS', 'SIP/2.0/UDP pc33.atlanta.example.com;rport'), UDP, quiet);
  assert.match(tx.request.topVia?.branch ?? '', /^z9hG4bK/);
  assert.equal(tx.request.topVia?.rport, true);
  assert.equal(tx.request.headers.getAll('Via').length, 1);
});

void test('Layer: sendRequest refuses an ACK, an RFC 2543 branch and a duplicate branch (RFC 3261 §17.1, §8.1.1.7)', () => {
  const { layer } = setup();
  assert.throws(() => layer.sendRequest(message('ACK'), UDP, quiet), (e: unknown) => e instanceof TransactionError && e.code === 'TRANSACTION_BAD_REQUEST');
  assert.throws(() => layer.sendRequest(message('OPTIONS', 'SIP/2.0/UDP h;branch=1234'), UDP, quiet), (e: unknown) => e instanceof TransactionError && e.code === 'TRANSACTION_BAD_REQUEST');
  layer.sendRequest(message('OPTIONS'), UDP, quiet);
  assert.throws(() => layer.sendRequest(message('OPTIONS'), UDP, quiet), (e: unknown) => e instanceof TransactionError && e.code === 'TRANSACTION_DUPLICATE');
  assert.equal(layer.counts.client, 1);
});

void test('Layer: a TU that throws on a new request is reported, and the request gets a 500 instead of hanging (RFC 3261 §21.5.1)', () => {
  const { layer, transport, errors } = setup({ onRequest: () => { throw new Error('tu bug'); } });
  assert.doesNotThrow(() => layer.receive(incoming(message('INVITE'))));
  assert.deepEqual(errors.map((e) => (e as Error).message), ['tu bug']);
  assert.deepEqual(transport.responses().map((r) => r.message.status), [100, 500]);
});

void test('Layer: errors from client handlers, stray-response handlers and timer-driven handlers never escape', () => {
  const boom = (what: string) => () => { throw new Error(what); };
  const { clock, layer, transport, errors } = setup({ onRequest: () => undefined, onStrayResponse: boom('stray') });
  const tx = layer.sendRequest(message('INVITE'), UDP, { onResponse: boom('response'), onTimeout: boom('timeout'), onTransportError: boom('transport') });
  assert.doesNotThrow(() => layer.receive(wire(createResponse(tx.request, 486))));
  assert.equal(tx.state, IctState.Completed, 'the machine moved before the TU was called');
  assert.equal(transport.requests('ACK').length, 1);
  assert.doesNotThrow(() => layer.receive(wire(createResponse(message('OPTIONS', 'SIP/2.0/UDP h;branch=z9hG4bKnone'), 200))));
  layer.sendRequest(message('OPTIONS', 'SIP/2.0/UDP h;branch=z9hG4bKother'), UDP, { ...quiet, onTimeout: boom('timeout') });
  assert.doesNotThrow(() => clock.advance(40_000));
  assert.deepEqual(errors.map((e) => (e as Error).message), ['response', 'stray', 'timeout']);
});

void test('Layer: a message that cannot be matched (no Via) is reported and dropped, not thrown (RFC 3261 §17.2.3)', () => {
  const seen: unknown[] = [];
  const { layer, errors, transport } = setup({ onRequest: (r) => seen.push(r) });
  const broken = new SipRequest('OPTIONS', parseUri('sip:bob@biloxi.example.com'), new HeaderList());
  broken.headers.append('Call-ID', 'x');
  broken.headers.append('CSeq', '1 OPTIONS');
  assert.doesNotThrow(() => layer.receive(incoming(broken)));
  assert.equal(seen.length, 0);
  assert.equal(transport.sent.length, 0);
  assert.ok(errors[0] instanceof TransactionError && errors[0].code === 'TRANSACTION_UNMATCHABLE');
});

void test('Layer: live transactions are counted and forgotten once Terminated', () => {
  const { clock, layer } = setup();
  layer.sendRequest(message('OPTIONS'), UDP, quiet);
  layer.receive(incoming(message('INVITE', 'SIP/2.0/UDP pc1.example.com;branch=z9hG4bKin')));
  assert.deepEqual(layer.counts, { client: 1, server: 1 });
  clock.advance(32_000);
  assert.deepEqual(layer.counts, { client: 0, server: 1 }, 'an IST without a final response waits for its TU');
});

void test('Layer: close() cancels every timer, forgets every transaction, and is idempotent', () => {
  const seen: unknown[] = [];
  const { clock, layer, transport } = setup({ onRequest: (r, tx) => { seen.push(r); if (tx instanceof InviteServerTransaction) tx.respond(createResponse(r, 486)); } });
  layer.sendRequest(message('INVITE'), UDP, quiet);
  layer.sendRequest(message('OPTIONS'), UDP, quiet);
  layer.receive(incoming(message('INVITE', 'SIP/2.0/UDP pc1.example.com;branch=z9hG4bKin')));
  assert.ok(clock.pendingTimers > 0);
  layer.close();
  layer.close();
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(layer.counts, { client: 0, server: 0 });
  const sends = transport.sent.length;
  clock.advance(60_000);
  layer.receive(incoming(message('INVITE', 'SIP/2.0/UDP pc2.example.com;branch=z9hG4bKlate')));
  assert.equal(transport.sent.length, sends);
  assert.equal(seen.length, 1);
  assert.throws(() => layer.sendRequest(message('OPTIONS'), UDP, quiet), (e: unknown) => e instanceof TransactionError && e.code === 'TRANSACTION_CLOSED');
});

void test('Layer: transition() refuses moves the RFC 3261 / RFC 6026 figures do not draw', () => {
  const context: TransactionContext = {
    clock: new FakeClock(0),
    transport: new MemoryTransport(),
    config: { T1: 500, T2: 4000, T4: 5000 },
    report: (e) => { throw e; },
    terminated: () => undefined,
  };
  class Probe extends Transaction<IctState> {
    readonly kind = 'ict';
    constructor() {
      super(context, message('INVITE'), 'probe', false, IctState.Calling, ICT_TRANSITIONS);
    }
    move(to: IctState): void {
      this.transition(to);
    }
    protected transportFailed(): void {}
  }
  const probe = new Probe();
  probe.move(IctState.Completed);
  assert.throws(() => probe.move(IctState.Accepted), (e: unknown) => e instanceof TransactionError && e.code === 'TRANSACTION_ILLEGAL_TRANSITION');
  assert.throws(() => probe.move(IctState.Calling), TransactionError);
  assert.equal(probe.state, IctState.Completed);
  probe.move(IctState.Terminated);
  assert.throws(() => probe.move(IctState.Proceeding), TransactionError);
});
