// INVITE dialogs between two SipStacks over real sockets on 127.0.0.1: the basic call on every
// transport the stack can use, CANCEL (§9), the UAS's 2xx retransmissions until the ACK
// (§13.3.1.4) and the UAC's ACK re-sent for each retransmitted 2xx (§13.2.2.4), and the CSeq
// check on in-dialog requests (§12.2.2).
//
// Retransmissions are driven by a FakeClock on the UAS stack: sockets are real, time is not, so
// counts are exact and nothing depends on how fast the machine is.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { Dialog, DialogState, dialogKey } from '../../ipbx/sip/dialog/index.ts';
import type { NameAddr, SipRequest, SipResponse } from '../../ipbx/sip/message/index.ts';
import type { IncomingRequest, SipStack } from '../../ipbx/sip/ua/index.ts';
import { startStackPair, within, type PairProtocol, type StackPair } from '../helpers/stack-pair.ts';

const OFFER = [
  'v=0', 'o=alice 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 41000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');
const ANSWER = OFFER.replace('o=alice', 'o=bob').replace('41000', '42000');
const T1 = 500;

/**
 * The called party: rings, then answers (unless told to only ring), keeps one dialog per call and
 * checks every in-dialog request against it (§12.2.2), answering 481 when there is none.
 */
class Callee {
  readonly requests: IncomingRequest[] = [];
  readonly dialogs = new Map<string, Dialog>();
  readonly answered: SipResponse[] = [];
  answer = true;

  constructor(readonly stack: SipStack) {
    stack.onRequest((req) => this.#handle(req));
  }

  methods(): string[] {
    return this.requests.map((r) => r.method);
  }

  #handle(req: IncomingRequest): void {
    this.requests.push(req);
    const request = req.request;
    if (request.method === 'INVITE' && request.to.tag === undefined) {
      const contact = this.stack.contactFor(req.source.protocol, 'bob');
      req.respond(180, { headers: [['Contact', contact.toString()]] });
      if (!this.answer) return;
      const dialog = Dialog.fromUasRequest(request, req.toTag, contact);
      this.dialogs.set(dialog.key, dialog);
      this.answered.push(req.respond(200, { headers: [['Contact', contact.toString()]], body: Buffer.from(ANSWER), contentType: 'application/sdp' }));
      return;
    }
    const dialog = this.dialogs.get(dialogKey({ callId: request.callId, localTag: request.to.tag ?? '', remoteTag: request.from.tag ?? '' }));
    if (dialog === undefined) {
      if (request.method !== 'ACK') req.respond(481);
      return;
    }
    const check = dialog.receiveRequest(request);
    if (request.method === 'ACK') return;
    if (!check.ok) {
      req.respond(check.status, { reason: check.reason });
      return;
    }
    req.respond(200);
    if (request.method === 'BYE') dialog.terminate();
  }
}

interface Call {
  invite: SipRequest;
  contact: NameAddr;
  final: SipResponse;
  provisional: SipResponse[];
  dialog: Dialog | undefined;
}

/** Sends an INVITE from the UAC; the dialog is created by the first 180 and confirmed by the 200. */
async function call(pair: StackPair): Promise<Call> {
  const contact = pair.uac.contactFor(pair.protocol, 'alice');
  const invite = pair.uac.createRequest('INVITE', pair.uasUri('bob'), { from: '"Alice" <sip:alice@127.0.0.1>', contact, body: OFFER });
  const provisional: SipResponse[] = [];
  let dialog: Dialog | undefined;
  const final = await within(pair.uac.send(invite, {
    onProvisional: (r) => {
      provisional.push(r);
      if (r.status === 180) dialog ??= Dialog.fromUacResponse(invite, r, contact);
    },
  }), 'the final response to the INVITE');
  if (final.status >= 200 && final.status < 300) {
    dialog ??= Dialog.fromUacResponse(invite, final, contact);
    dialog.receiveResponse(invite, final);
  }
  return { invite, contact, final, provisional, dialog };
}

function established(c: Call): Dialog {
  assert.equal(c.final.status, 200, `the INVITE ended with ${c.final.status} ${c.final.reason}`);
  assert.ok(c.dialog !== undefined);
  return c.dialog;
}

function topBranch(message: SipRequest | SipResponse): string | undefined {
  return message.topVia?.branch;
}

// ---------------------------------------------------------------- the basic call

for (const protocol of ['udp', 'tcp', 'tls', 'ws'] as const satisfies readonly PairProtocol[]) {
  test(`INVITE → 180 → 200 → ACK → BYE between two stacks over ${protocol.toUpperCase()} (RFC 3261 §12, §13, §15)`, async (t) => {
    const pair = await startStackPair(protocol);
    t.after(() => pair.close());
    const callee = new Callee(pair.uas);

    const c = await call(pair);
    assert.deepEqual(c.provisional.map((r) => r.status).filter((s) => s !== 100), [180]);
    const ringing = c.provisional.find((r) => r.status === 180);
    assert.ok(ringing !== undefined);
    // §12.1.1: the To tag of the 180 and of the 200 is the same: one dialog, early then confirmed.
    assert.equal(ringing.to.tag, c.final.to.tag);
    const dialog = established(c);
    assert.equal(dialog.state, DialogState.Confirmed);
    assert.equal(dialog.id.remoteTag, c.final.to.tag);
    assert.equal(c.final.body.toString(), ANSWER);
    assert.equal(dialog.remoteTarget.toString(), pair.uasUri('bob').toString(), 'the remote target is the 200\'s Contact');

    await within(pair.uac.ack(dialog, c.invite.cseq.seq), 'sending the ACK');
    await pair.uasTap.until(() => callee.methods().includes('ACK'), 'the ACK at the UAS');
    const ack = callee.requests.find((r) => r.method === 'ACK')?.request;
    assert.ok(ack !== undefined);
    // §13.2.2.4: same CSeq number as the INVITE, method ACK; its own branch (a 2xx ACK is a new transaction).
    assert.deepEqual(ack.cseq, { seq: c.invite.cseq.seq, method: 'ACK' });
    assert.equal(ack.to.tag, c.final.to.tag);
    assert.notEqual(topBranch(ack), topBranch(c.invite));

    const bye = await within(pair.uac.sendInDialog(dialog, 'BYE'), 'the response to the BYE');
    assert.equal(bye.status, 200);
    dialog.terminate();
    const byeAtUas = callee.requests.find((r) => r.method === 'BYE')?.request;
    assert.deepEqual(byeAtUas?.cseq, { seq: c.invite.cseq.seq + 1, method: 'BYE' });
    assert.equal(byeAtUas.uri.toString(), dialog.remoteTarget.toString());
    assert.deepEqual(callee.methods(), ['INVITE', 'ACK', 'BYE'], 'each request reaches the application once');
    assert.equal([...callee.dialogs.values()][0]?.state, DialogState.Terminated);
    assert.deepEqual(pair.errors, []);
  });
}

// ---------------------------------------------------------------- CANCEL

for (const protocol of ['udp', 'tcp'] as const) {
  test(`CANCEL after 180: 200 to the CANCEL, 487 to the INVITE, the UAS sees it cancelled over ${protocol.toUpperCase()} (RFC 3261 §9)`, async (t) => {
    const pair = await startStackPair(protocol);
    t.after(() => pair.close());
    let ringing: IncomingRequest | undefined;
    let cancelEvents = 0;
    pair.uas.onRequest((req) => {
      if (req.method !== 'INVITE') return;
      ringing = req;
      req.onCancel(() => cancelEvents++);
      req.respond(180);
    });

    const invite = pair.uac.createRequest('INVITE', pair.uasUri('bob'), { from: '<sip:alice@127.0.0.1>', contact: pair.uac.contactFor(protocol, 'alice'), body: OFFER });
    let rang!: () => void;
    const rung = new Promise<void>((resolve) => { rang = resolve; });
    const final = pair.uac.send(invite, { target: pair.uasTarget, onProvisional: (r) => { if (r.status === 180) rang(); } });
    await within(rung, 'the 180');
    assert.ok(ringing !== undefined);
    assert.equal(ringing.cancelled, false);

    const cancelled = await within(pair.uac.cancel(invite, pair.uasTarget), 'the response to the CANCEL');
    assert.equal(cancelled.status, 200);
    const inviteFinal = await within(final, 'the final response to the INVITE');
    assert.equal(inviteFinal.status, 487);
    assert.equal(ringing.cancelled, true);
    assert.equal(cancelEvents, 1, 'onCancel fired once');
    assert.equal(ringing.finalResponse?.status, 487);
    // §9.2: the 200 to the CANCEL SHOULD carry the To tag of the INVITE's responses.
    assert.equal(cancelled.to.tag, inviteFinal.to.tag);

    // §9.1: the CANCEL has the INVITE's Request-URI, Call-ID, From, To, CSeq number and top Via.
    const cancel = pair.uasTap.receivedRequests('CANCEL')[0];
    assert.ok(cancel !== undefined);
    assert.equal(topBranch(cancel), topBranch(invite));
    assert.deepEqual(cancel.cseq, { seq: invite.cseq.seq, method: 'CANCEL' });
    assert.equal(cancel.uri.toString(), invite.uri.toString());
    // §17.1.1.3: the ICT acknowledges the 487 itself, on the INVITE's branch.
    await pair.uasTap.until(() => pair.uasTap.receivedRequests('ACK').length > 0, 'the ACK for the 487');
    assert.equal(topBranch(pair.uasTap.receivedRequests('ACK')[0] ?? invite), topBranch(invite));
    assert.deepEqual(pair.errors, []);
  });
}

test('CANCEL after the 200 gets 200 and changes nothing (RFC 3261 §9.2)', async (t) => {
  const pair = await startStackPair('udp');
  t.after(() => pair.close());
  const callee = new Callee(pair.uas);
  const c = await call(pair);
  const dialog = established(c);
  const cancelled = await within(pair.uac.cancel(c.invite, pair.uasTarget), 'the response to the late CANCEL');
  assert.equal(cancelled.status, 200, 'the INVITE transaction still exists, so the CANCEL matched it');
  assert.equal(cancelled.to.tag, c.final.to.tag);
  assert.equal(callee.requests[0]?.cancelled, false);
  assert.equal(pair.uasTap.sentResponses(487).length, 0);
  await pair.uac.ack(dialog, c.invite.cseq.seq);
});

test('CANCEL matching no INVITE gets 481 (RFC 3261 §9.2)', async (t) => {
  const pair = await startStackPair('udp');
  t.after(() => pair.close());
  new Callee(pair.uas);
  const invite = pair.uac.createRequest('INVITE', pair.uasUri('bob'), { from: '<sip:alice@127.0.0.1>' });
  invite.headers.prepend('Via', `SIP/2.0/UDP 127.0.0.1:${pair.uac.transport.localEndpoint('udp').port};branch=${pair.uac.transactions.newBranch()};rport`);
  const cancelled = await within(pair.uac.cancel(invite, pair.uasTarget), 'the response to the CANCEL');
  assert.equal(cancelled.status, 481);
});

// ---------------------------------------------------------------- 2xx reliability over UDP

test('UAS re-sends its 2xx at T1, 2·T1, 4·T1… capped at T2 and reports the missing ACK after 64·T1 (RFC 3261 §13.3.1.4)', async (t) => {
  const clock = new FakeClock(0);
  const pair = await startStackPair('udp', { uas: { clock } });
  t.after(() => pair.close());
  let ackTimeouts = 0;
  pair.uas.onRequest((req) => {
    if (req.method !== 'INVITE') return;
    const ok = req.respond(200, { headers: [['Contact', pair.uas.contactFor('udp', 'bob').toString()]] });
    pair.uas.onAckTimeout(ok, () => ackTimeouts++);
  });

  const c = await call(pair);
  assert.equal(c.final.status, 200);
  // The UAC never ACKs: record (fake) time at every copy of the 200 the UAS hands to its transport.
  const sent = () => pair.uasTap.sentResponses(200, 'INVITE').length;
  const times: number[] = [];
  assert.equal(sent(), 1);
  for (let elapsed = 0; elapsed <= 64 * T1 + 10 * T1; elapsed += 100) {
    const before = sent();
    clock.advance(100);
    if (sent() > before) times.push(clock.now());
  }
  const intervals = times.map((at, i) => at - (i === 0 ? 0 : (times[i - 1] ?? 0)));
  assert.deepEqual(intervals, [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
  assert.equal(ackTimeouts, 1, 'onAckTimeout fired once, at 64·T1');
  await pair.uacTap.until(() => pair.uacTap.receivedResponses(200, 'INVITE').length === 11, 'the eleven copies of the 200 at the UAC');
});

test('UAS stops re-sending its 2xx once the ACK arrives (RFC 3261 §13.3.1.4)', async (t) => {
  const clock = new FakeClock(0);
  const pair = await startStackPair('udp', { uas: { clock } });
  t.after(() => pair.close());
  let ackTimeouts = 0;
  const callee = new Callee(pair.uas);
  const c = await call(pair);
  const dialog = established(c);
  const answered = callee.answered[0];
  assert.ok(answered !== undefined);
  pair.uas.onAckTimeout(answered, () => ackTimeouts++);

  // Three retransmissions while the UAC "delays" its ACK.
  const sent = () => pair.uasTap.sentResponses(200, 'INVITE').length;
  clock.advance(T1);
  clock.advance(2 * T1);
  clock.advance(4 * T1);
  assert.equal(sent(), 4);
  await pair.uacTap.until(() => pair.uacTap.receivedResponses(200, 'INVITE').length === 4, 'the four copies of the 200 at the UAC');

  await pair.uac.ack(dialog, c.invite.cseq.seq);
  await pair.uasTap.until(() => callee.methods().includes('ACK'), 'the ACK at the UAS');
  clock.advance(64 * T1);
  assert.equal(sent(), 4, 'no 200 after the ACK');
  assert.equal(ackTimeouts, 0);
  assert.equal(pair.uacTap.sentRequests('ACK').length, 1, 'retransmissions that came before the ACK are not ACKed again');
});

test('UAC re-sends the same ACK for each retransmission of the 2xx (RFC 3261 §13.2.2.4)', async (t) => {
  const clock = new FakeClock(0);
  const pair = await startStackPair('udp', { uas: { clock } });
  t.after(() => pair.close());
  let ackTimeouts = 0;
  const callee = new Callee(pair.uas);
  const c = await call(pair);
  const dialog = established(c);
  const answered = callee.answered[0];
  assert.ok(answered !== undefined);
  pair.uas.onAckTimeout(answered, () => ackTimeouts++);

  // The first ACK is lost on its way to the UAS.
  let dropped = 0;
  pair.uasTap.dropIncoming = ({ message }) => message.isRequest() && message.method === 'ACK' && dropped++ === 0;
  await pair.uac.ack(dialog, c.invite.cseq.seq);
  await pair.uasTap.until(() => pair.uasTap.receivedRequests('ACK').length === 1, 'the (lost) first ACK');
  assert.equal(callee.methods().includes('ACK'), false);

  clock.advance(T1); // the UAS re-sends its 200…
  await pair.uasTap.until(() => pair.uasTap.receivedRequests('ACK').length === 2, 'the ACK re-sent for the retransmitted 200');
  assert.equal(callee.methods().filter((m) => m === 'ACK').length, 1);

  const [first, second] = pair.uacTap.sentRequests('ACK');
  assert.ok(first !== undefined && second !== undefined);
  assert.equal(second, first, 'the very same ACK is passed to the transport again');
  clock.advance(64 * T1);
  assert.equal(pair.uasTap.sentResponses(200, 'INVITE').length, 2, 'the second ACK stopped the retransmissions');
  assert.equal(ackTimeouts, 0);
  assert.deepEqual(pair.errors, []);
});

test('over TCP the 2xx is not re-sent, but a missing ACK is still reported after 64·T1 (RFC 3261 §13.3.1.4)', async (t) => {
  const clock = new FakeClock(0);
  const pair = await startStackPair('tcp', { uas: { clock } });
  t.after(() => pair.close());
  const callee = new Callee(pair.uas);
  const timeouts: string[] = [];
  const acked = await call(pair);
  const unacked = await call(pair);
  for (const [name, ok] of [['acked', callee.answered[0]], ['unacked', callee.answered[1]]] as const) {
    assert.ok(ok !== undefined);
    pair.uas.onAckTimeout(ok, () => timeouts.push(name));
  }
  await pair.uac.ack(established(acked), acked.invite.cseq.seq);
  await pair.uasTap.until(() => callee.methods().includes('ACK'), 'the ACK at the UAS');
  established(unacked);

  clock.advance(64 * T1 - 1);
  assert.deepEqual(timeouts, []);
  clock.advance(1);
  assert.deepEqual(timeouts, ['unacked'], 'only the 2xx nobody acknowledged');
  assert.equal(pair.uasTap.sentResponses(200, 'INVITE').length, 2, 'one 200 per call: TCP delivers it');
});

test('2xx retransmissions go where the first 2xx went: the Via sent-by port when there is no rport (RFC 3261 §18.2.2)', async (t) => {
  const clock = new FakeClock(0);
  const pair = await startStackPair('udp', { uas: { clock } });
  t.after(() => pair.close());
  pair.uas.onRequest((req) => {
    if (req.method === 'INVITE') req.respond(200, { headers: [['Contact', pair.uas.contactFor('udp', 'bob').toString()]] });
  });
  // An RFC 2543-era phone: it sends from one port and names another in Via, without rport.
  const sender = createSocket('udp4');
  const listener = createSocket('udp4');
  t.after(() => { sender.close(); listener.close(); });
  const atSender: string[] = [];
  const atListener: string[] = [];
  sender.on('message', (data) => atSender.push(data.toString('utf8').split('\r\n')[0] ?? ''));
  listener.on('message', (data) => atListener.push(data.toString('utf8').split('\r\n')[0] ?? ''));
  sender.bind(0, '127.0.0.1');
  listener.bind(0, '127.0.0.1');
  await within(Promise.all([once(sender, 'listening'), once(listener, 'listening')]), 'the raw UDP sockets to bind');
  const invite = [
    `INVITE sip:bob@127.0.0.1:${pair.uasTarget.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${listener.address().port};branch=z9hG4bK${Date.now().toString(36)}old`,
    'Max-Forwards: 70',
    'From: <sip:carol@127.0.0.1>;tag=c1',
    'To: <sip:bob@127.0.0.1>',
    'Call-ID: rfc2543-style-phone',
    'CSeq: 1 INVITE',
    `Contact: <sip:carol@127.0.0.1:${listener.address().port}>`,
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  sender.send(invite, pair.uasTarget.port, '127.0.0.1');
  await pair.uasTap.until(() => pair.uasTap.sentResponses(200, 'INVITE').length === 1, 'the 200');
  clock.advance(T1);
  assert.equal(pair.uasTap.sentResponses(200, 'INVITE').length, 2);
  await within(new Promise<void>((resolve) => {
    const check = () => { if (atListener.filter((l) => l.startsWith('SIP/2.0 200')).length === 2) resolve(); };
    listener.on('message', check);
    check();
  }), 'both copies of the 200 at the sent-by port');
  assert.deepEqual(atSender, [], 'nothing goes to the source port without rport');
});

// ---------------------------------------------------------------- in-dialog CSeq

test('an in-dialog request with a lower CSeq is rejected 500, a later one accepted (RFC 3261 §12.2.2)', async (t) => {
  const pair = await startStackPair('udp');
  t.after(() => pair.close());
  new Callee(pair.uas);
  const c = await call(pair);
  const dialog = established(c);
  await pair.uac.ack(dialog, c.invite.cseq.seq);

  const seq = dialog.localSeq ?? 0;
  dialog.localSeq = seq - 10;
  const stale = await within(pair.uac.sendInDialog(dialog, 'INFO'), 'the response to the out-of-order INFO');
  assert.equal(stale.status, 500);
  dialog.localSeq = seq;
  const fresh = await within(pair.uac.sendInDialog(dialog, 'INFO'), 'the response to the in-order INFO');
  assert.equal(fresh.status, 200);
  const bye = await within(pair.uac.sendInDialog(dialog, 'BYE'), 'the response to the BYE');
  assert.equal(bye.status, 200);
  // After the BYE the callee's dialog is terminated: a request on it gets 481 (§12.2.2).
  const late = await within(pair.uac.sendInDialog(dialog, 'INFO'), 'the response to an INFO after BYE');
  assert.equal(late.status, 481);
});

test('the callee hangs up: the UAS sends BYE to the caller\'s Contact over UDP, TCP and WS (RFC 3261 §15.1.1)', async (t) => {
  for (const protocol of ['udp', 'tcp', 'ws'] as const) {
    const pair = await startStackPair(protocol);
    t.after(() => pair.close());
    const callee = new Callee(pair.uas);
    const byes: SipRequest[] = [];
    pair.uac.onRequest((req) => {
      if (req.method !== 'BYE') return;
      byes.push(req.request);
      req.respond(200);
    });
    const c = await call(pair);
    await pair.uac.ack(established(c), c.invite.cseq.seq);
    await pair.uasTap.until(() => callee.methods().includes('ACK'), `the ACK at the UAS over ${protocol}`);

    const uasDialog = [...callee.dialogs.values()][0];
    assert.ok(uasDialog !== undefined);
    const bye = await within(pair.uas.sendInDialog(uasDialog, 'BYE'), `the response to the callee's BYE over ${protocol}`);
    assert.equal(bye.status, 200, `over ${protocol}`);
    assert.equal(byes.length, 1);
    assert.equal(byes[0]?.uri.toString(), c.contact.uri.toString(), 'the BYE goes to the caller\'s Contact');
    assert.equal(byes[0]?.from.tag, c.final.to.tag);
    assert.equal(byes[0]?.to.tag, c.invite.from.tag);
  }
});
