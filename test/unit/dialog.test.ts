// Dialogs (RFC 3261 §12): creation on both sides, in-dialog request construction, and the checks
// on what arrives within a dialog. Messages are parsed from text so that the views under test
// (To/From tags, Record-Route, Contact) are the ones a received message would have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dialog, DialogError, DialogState, dialogKey } from '../../ipbx/sip/dialog/index.ts';
import { parseNameAddr, type SipRequest } from '../../ipbx/sip/message/index.ts';
import { sipRequest, sipResponse } from '../helpers/memory-transport.ts';

const ALICE_CONTACT = parseNameAddr('<sip:alice@pc33.atlanta.example.com>', 'Contact');
const BOB_CONTACT = parseNameAddr('<sip:bob@192.0.2.4>', 'Contact');

/** Alice's INVITE as she sent it (no Record-Route: proxies add those on the way). */
const INVITE = `INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example.com>
`;

/** The same INVITE as Bob receives it, record-routed by two proxies (p1 first on the path). */
const INVITE_AT_BOB = `INVITE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP p2.biloxi.example.com;branch=z9hG4bK2
Via: SIP/2.0/UDP p1.atlanta.example.com;branch=z9hG4bK1
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8
Max-Forwards: 68
Record-Route: <sip:p2.biloxi.example.com;lr>
Record-Route: <sip:p1.atlanta.example.com;lr>
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example.com>
`;

/** Bob's answer to the INVITE as Alice receives it: Record-Route mirrored, in the same order. */
function answer(status: number, extra = ''): string {
  const reason = status === 180 ? 'Ringing' : status === 200 ? 'OK' : 'Whatever';
  return `SIP/2.0 ${status} ${reason}
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8
Record-Route: <sip:p2.biloxi.example.com;lr>
Record-Route: <sip:p1.atlanta.example.com;lr>
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:bob@192.0.2.4>
${extra}`;
}

/** An in-dialog request from Bob to Alice (the UAC's view: Bob is remote). */
function fromBob(method: string, seq: number, extra = ''): SipRequest {
  return sipRequest(`${method} sip:alice@pc33.atlanta.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK${method}${seq}
Max-Forwards: 70
From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
To: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: ${seq} ${method}
${extra}`);
}

/** An in-dialog request from Alice to Bob (the UAS's view: Alice is remote). */
function fromAlice(method: string, seq: number, extra = ''): SipRequest {
  return sipRequest(`${method} sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK${method}${seq}
Max-Forwards: 70
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
Call-ID: a84b4c76e66710
CSeq: ${seq} ${method}
${extra}`);
}

function uacDialog(status = 200): Dialog {
  return Dialog.fromUacResponse(sipRequest(INVITE), sipResponse(answer(status)), ALICE_CONTACT);
}

function uasDialog(): Dialog {
  return Dialog.fromUasRequest(sipRequest(INVITE_AT_BOB), 'a6c85cf', BOB_CONTACT);
}

const routeValues = (request: SipRequest): string[] => request.headers.getAll('Route');

// ---------------------------------------------------------------- creation

test('UAC: a 180 with a To tag creates an early dialog (RFC 3261 §12.1.2)', () => {
  const dialog = uacDialog(180);
  assert.equal(dialog.state, DialogState.Early);
  assert.deepEqual(dialog.id, { callId: 'a84b4c76e66710', localTag: '1928301774', remoteTag: 'a6c85cf' });
  assert.equal(dialog.remoteTarget.toString(), 'sip:bob@192.0.2.4');
  assert.equal(dialog.localSeq, 314159);
  assert.equal(dialog.remoteSeq, undefined, '§12.1.2: the remote sequence number MUST be empty');
  assert.equal(dialog.localUri.tag, '1928301774');
  assert.equal(dialog.remoteUri.tag, 'a6c85cf');
  assert.equal(dialog.secure, false);
});

test('UAC: a 200 creates a confirmed dialog (RFC 3261 §12.1.2)', () => {
  const dialog = uacDialog(200);
  assert.equal(dialog.state, DialogState.Confirmed);
  assert.equal(dialog.id.remoteTag, 'a6c85cf');
});

test('UAC: the route set is the Record-Route of the response in reverse order (RFC 3261 §12.1.2)', () => {
  const dialog = uacDialog();
  assert.deepEqual(dialog.routeSet.map((r) => r.uri.toString()), ['sip:p1.atlanta.example.com;lr', 'sip:p2.biloxi.example.com;lr']);
});

test('UAS: the route set is the Record-Route of the request in order; target and remote CSeq from the request (RFC 3261 §12.1.1)', () => {
  const dialog = uasDialog();
  assert.equal(dialog.state, DialogState.Confirmed);
  assert.deepEqual(dialog.routeSet.map((r) => r.uri.toString()), ['sip:p2.biloxi.example.com;lr', 'sip:p1.atlanta.example.com;lr']);
  assert.deepEqual(dialog.id, { callId: 'a84b4c76e66710', localTag: 'a6c85cf', remoteTag: '1928301774' });
  assert.equal(dialog.remoteTarget.toString(), 'sip:alice@pc33.atlanta.example.com');
  assert.equal(dialog.remoteSeq, 314159);
  assert.equal(dialog.localSeq, undefined, '§12.1.1: the local sequence number MUST be empty');
  assert.equal(dialog.localUri.tag, 'a6c85cf', 'the local URI is the To of the request with our tag');
});

test('UAS: a dialog may start early, when created for a 1xx (RFC 3261 §12.1.1)', () => {
  const dialog = Dialog.fromUasRequest(sipRequest(INVITE_AT_BOB), 'a6c85cf', BOB_CONTACT, DialogState.Early);
  assert.equal(dialog.state, DialogState.Early);
});

test('a sips Request-URI makes the dialog secure (RFC 3261 §12.1.1)', () => {
  const dialog = Dialog.fromUasRequest(sipRequest(INVITE_AT_BOB.replace('INVITE sip:bob@192.0.2.4', 'INVITE sips:bob@192.0.2.4')), 'a6c85cf', BOB_CONTACT);
  assert.equal(dialog.secure, true);
});

test('both ends compute the same dialog key once local and remote tags are swapped', () => {
  const uac = uacDialog();
  const uas = uasDialog();
  assert.equal(uac.key, dialogKey({ callId: uas.id.callId, localTag: uas.id.remoteTag, remoteTag: uas.id.localTag }));
});

test('a 2xx confirming an early dialog recomputes the route set from its Record-Route (RFC 3261 §13.2.2.4)', () => {
  // An RFC 2543 proxy need not mirror Record-Route in a 1xx: the 180 had none.
  const invite = sipRequest(INVITE);
  const ringing = sipResponse(answer(180).replace(/Record-Route: .*\n/g, ''));
  const dialog = Dialog.fromUacResponse(invite, ringing, ALICE_CONTACT);
  assert.equal(dialog.routeSet.length, 0);
  dialog.receiveResponse(invite, sipResponse(answer(200)));
  assert.equal(dialog.state, DialogState.Confirmed);
  assert.deepEqual(dialog.routeSet.map((r) => r.uri.toString()), ['sip:p1.atlanta.example.com;lr', 'sip:p2.biloxi.example.com;lr']);
});

// ---------------------------------------------------------------- RFC 2543 peers

test('UAC: a response without a To tag (RFC 2543 peer) gives an empty remote tag (RFC 3261 §12.1.2)', () => {
  const response = sipResponse(answer(200).replace(';tag=a6c85cf', ''));
  const dialog = Dialog.fromUacResponse(sipRequest(INVITE), response, ALICE_CONTACT);
  assert.equal(dialog.id.remoteTag, '');
  const bye = dialog.createRequest('BYE');
  assert.equal(bye.to.tag, undefined);
});

test('UAS: a request without a From tag (RFC 2543 peer) gives an empty remote tag (RFC 3261 §12.1.1)', () => {
  const request = sipRequest(INVITE_AT_BOB.replace(';tag=1928301774', ''));
  const dialog = Dialog.fromUasRequest(request, 'a6c85cf', BOB_CONTACT);
  assert.equal(dialog.id.remoteTag, '');
});

test('UAC: our own request without a From tag cannot make a dialog (DIALOG_NO_TAG)', () => {
  const request = sipRequest(INVITE.replace(';tag=1928301774', ''));
  assert.throws(() => Dialog.fromUacResponse(request, sipResponse(answer(200)), ALICE_CONTACT),
    (err: unknown) => err instanceof DialogError && err.code === 'DIALOG_NO_TAG');
});

// ---------------------------------------------------------------- in-dialog requests

test('in-dialog request: Request-URI is the remote target, Route the loose route set, tags and Call-ID of the dialog (RFC 3261 §12.2.1.1)', () => {
  const dialog = uacDialog();
  const bye = dialog.createRequest('BYE');
  assert.equal(bye.method, 'BYE');
  assert.equal(bye.uri.toString(), 'sip:bob@192.0.2.4');
  assert.deepEqual(routeValues(bye), ['<sip:p1.atlanta.example.com;lr>', '<sip:p2.biloxi.example.com;lr>']);
  assert.equal(bye.from.uri.toString(), 'sip:alice@atlanta.example.com');
  assert.equal(bye.from.tag, '1928301774');
  assert.equal(bye.to.uri.toString(), 'sip:bob@biloxi.example.com');
  assert.equal(bye.to.tag, 'a6c85cf');
  assert.equal(bye.callId, 'a84b4c76e66710');
  assert.deepEqual(bye.cseq, { seq: 314160, method: 'BYE' });
  assert.equal(bye.maxForwards, 70);
  assert.equal(bye.headers.has('Contact'), false, 'BYE is not a target refresh');
  assert.equal(bye.headers.has('Via'), false, 'the transport user adds the Via');
});

test('in-dialog request: an empty route set gives no Route header (RFC 3261 §12.2.1.1)', () => {
  const response = sipResponse(answer(200).replace(/Record-Route: .*\n/g, ''));
  const dialog = Dialog.fromUacResponse(sipRequest(INVITE), response, ALICE_CONTACT);
  const info = dialog.createRequest('INFO');
  assert.equal(info.uri.toString(), 'sip:bob@192.0.2.4');
  assert.equal(info.headers.has('Route'), false);
});

test('in-dialog request: a strict router becomes the Request-URI and the remote target the last Route (RFC 3261 §12.2.1.1)', () => {
  const response = sipResponse(answer(200).replace('Record-Route: <sip:p1.atlanta.example.com;lr>', 'Record-Route: <sip:p1.atlanta.example.com;method=INVITE;maddr=192.0.2.9?Subject=x>'));
  const dialog = Dialog.fromUacResponse(sipRequest(INVITE), response, ALICE_CONTACT);
  const bye = dialog.createRequest('BYE');
  // Parameters not allowed in a Request-URI (method, headers: §19.1.1 table) are stripped; others stay.
  assert.equal(bye.uri.toString(), 'sip:p1.atlanta.example.com;maddr=192.0.2.9');
  assert.deepEqual(routeValues(bye), ['<sip:p2.biloxi.example.com;lr>', '<sip:bob@192.0.2.4>']);
  // The route set keeps the entry as it was learned.
  assert.match(dialog.routeSet[0]?.uri.toString() ?? '', /method=INVITE/);
});

test('in-dialog request: CSeq increases by one per request (RFC 3261 §12.2.1.1)', () => {
  const dialog = uacDialog();
  assert.equal(dialog.createRequest('INFO').cseq.seq, 314160);
  assert.equal(dialog.createRequest('INFO').cseq.seq, 314161);
  assert.equal(dialog.createRequest('BYE').cseq.seq, 314162);
  assert.equal(dialog.localSeq, 314162);
});

test('in-dialog request: a UAS with no local CSeq yet starts below 2^31 and then increments (RFC 3261 §8.1.1.5, §12.2.1.1)', () => {
  const dialog = uasDialog();
  const first = dialog.createRequest('INFO').cseq.seq;
  assert.ok(Number.isInteger(first) && first >= 0 && first < 2 ** 31, `CSeq ${first} is out of range`);
  assert.equal(dialog.createRequest('BYE').cseq.seq, first + 1);
});

test('in-dialog request: ACK and CANCEL reuse the given CSeq and leave the local sequence alone (RFC 3261 §13.2.2.4, §9.1)', () => {
  const dialog = uacDialog();
  const ack = dialog.createRequest('ACK', { cseq: 314159 });
  assert.deepEqual(ack.cseq, { seq: 314159, method: 'ACK' });
  assert.equal(ack.to.tag, 'a6c85cf');
  const cancel = dialog.createRequest('CANCEL', { cseq: 314159 });
  assert.deepEqual(cancel.cseq, { seq: 314159, method: 'CANCEL' });
  assert.equal(dialog.localSeq, 314159);
  assert.equal(dialog.createRequest('BYE').cseq.seq, 314160);
});

test('in-dialog request: a target refresh carries our Contact (RFC 3261 §12.2.1.1, §14.1)', () => {
  const dialog = uacDialog();
  const reinvite = dialog.createRequest('INVITE');
  assert.deepEqual(reinvite.contacts.map((c) => c.uri.toString()), ['sip:alice@pc33.atlanta.example.com']);
  dialog.localContact = parseNameAddr('<sip:alice@198.51.100.20>', 'Contact');
  assert.equal(dialog.createRequest('UPDATE').contacts[0]?.uri.toString(), 'sip:alice@198.51.100.20');
});

test('a terminated dialog builds no more requests (DIALOG_TERMINATED)', () => {
  const dialog = uacDialog();
  dialog.terminate();
  assert.equal(dialog.state, DialogState.Terminated);
  assert.throws(() => dialog.createRequest('BYE'), (err: unknown) => err instanceof DialogError && err.code === 'DIALOG_TERMINATED');
});

test('a terminated dialog answers an incoming request 481 (RFC 3261 §12.2.2)', () => {
  const dialog = uacDialog();
  dialog.terminate();
  assert.deepEqual(dialog.receiveRequest(fromBob('INFO', 10)), { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist' });
});

// ---------------------------------------------------------------- incoming requests

test('incoming request: a CSeq lower than the remote sequence is rejected with 500 (RFC 3261 §12.2.2)', () => {
  const dialog = uasDialog();
  const check = dialog.receiveRequest(fromAlice('INFO', 314158));
  assert.equal(check.ok, false);
  assert.equal(check.ok ? undefined : check.status, 500);
  assert.equal(dialog.remoteSeq, 314159, 'an out-of-order request does not move the remote sequence');
});

test('incoming request: an equal or higher CSeq is accepted and becomes the remote sequence (RFC 3261 §12.2.2)', () => {
  const dialog = uasDialog();
  assert.deepEqual(dialog.receiveRequest(fromAlice('INFO', 314159)), { ok: true });
  assert.deepEqual(dialog.receiveRequest(fromAlice('INFO', 314170)), { ok: true });
  assert.equal(dialog.remoteSeq, 314170);
});

test('incoming request: the first one sets an empty remote sequence (RFC 3261 §12.2.2)', () => {
  const dialog = uacDialog();
  assert.deepEqual(dialog.receiveRequest(fromBob('BYE', 7)), { ok: true });
  assert.equal(dialog.remoteSeq, 7);
});

test('incoming request: ACK carries the INVITE\'s CSeq and is never out of order (RFC 3261 §13.2.2.4)', () => {
  const dialog = uasDialog();
  dialog.receiveRequest(fromAlice('INVITE', 314160, 'Contact: <sip:alice@pc33.atlanta.example.com>\n'));
  assert.deepEqual(dialog.receiveRequest(fromAlice('ACK', 314160)), { ok: true });
  assert.deepEqual(dialog.receiveRequest(fromAlice('ACK', 314159)), { ok: true });
  assert.equal(dialog.remoteSeq, 314160);
});

test('incoming request: a re-INVITE with a new Contact refreshes the remote target (RFC 3261 §12.2.2)', () => {
  const dialog = uasDialog();
  dialog.receiveRequest(fromAlice('INVITE', 314160, 'Contact: <sip:alice@198.51.100.20:5070>\n'));
  assert.equal(dialog.remoteTarget.toString(), 'sip:alice@198.51.100.20:5070');
  const bye = dialog.createRequest('BYE');
  assert.equal(bye.uri.toString(), 'sip:alice@198.51.100.20:5070');
});

test('incoming request: a Contact in a request that is not a target refresh changes nothing (RFC 3261 §12.2)', () => {
  const dialog = uasDialog();
  dialog.receiveRequest(fromAlice('INFO', 314160, 'Contact: <sip:alice@198.51.100.20:5070>\n'));
  assert.equal(dialog.remoteTarget.toString(), 'sip:alice@pc33.atlanta.example.com');
});

test('incoming request: an out-of-order re-INVITE does not refresh the target (RFC 3261 §12.2.2)', () => {
  const dialog = uasDialog();
  const check = dialog.receiveRequest(fromAlice('INVITE', 3, 'Contact: <sip:alice@198.51.100.20:5070>\n'));
  assert.equal(check.ok, false);
  assert.equal(dialog.remoteTarget.toString(), 'sip:alice@pc33.atlanta.example.com');
});

// ---------------------------------------------------------------- responses within the dialog

test('response: a 2xx to our re-INVITE refreshes the remote target (RFC 3261 §12.2.1.2)', () => {
  const dialog = uacDialog();
  const reinvite = dialog.createRequest('INVITE');
  dialog.receiveResponse(reinvite, sipResponse(answer(200).replace('CSeq: 314159', 'CSeq: 314160').replace('<sip:bob@192.0.2.4>', '<sip:bob@203.0.113.5:5080>')));
  assert.equal(dialog.remoteTarget.toString(), 'sip:bob@203.0.113.5:5080');
  assert.equal(dialog.createRequest('BYE').uri.toString(), 'sip:bob@203.0.113.5:5080');
});

test('response: a non-2xx to our re-INVITE leaves the remote target (RFC 3261 §12.2.1.2)', () => {
  const dialog = uacDialog();
  const reinvite = dialog.createRequest('INVITE');
  dialog.receiveResponse(reinvite, sipResponse(answer(491).replace('<sip:bob@192.0.2.4>', '<sip:bob@203.0.113.5:5080>')));
  assert.equal(dialog.remoteTarget.toString(), 'sip:bob@192.0.2.4');
});

test('response: a 2xx to a non-target-refresh request leaves the remote target', () => {
  const dialog = uacDialog();
  const info = dialog.createRequest('INFO');
  dialog.receiveResponse(info, sipResponse(answer(200).replace('<sip:bob@192.0.2.4>', '<sip:bob@203.0.113.5:5080>')));
  assert.equal(dialog.remoteTarget.toString(), 'sip:bob@192.0.2.4');
});

test('response: a 2xx to the INVITE confirms an early dialog, and updates its target (RFC 3261 §13.2.2.4)', () => {
  const invite = sipRequest(INVITE);
  const dialog = Dialog.fromUacResponse(invite, sipResponse(answer(180)), ALICE_CONTACT);
  dialog.receiveResponse(invite, sipResponse(answer(200).replace('<sip:bob@192.0.2.4>', '<sip:bob@192.0.2.44>')));
  assert.equal(dialog.state, DialogState.Confirmed);
  assert.equal(dialog.remoteTarget.toString(), 'sip:bob@192.0.2.44');
  assert.equal(dialog.localSeq, 314159, 'sequence numbers are not recomputed (§13.2.2.4)');
});

// ---------------------------------------------------------------- state machine

test('state: early → confirmed → terminated are the only moves; others are refused (DIALOG_ILLEGAL_TRANSITION)', () => {
  const dialog = uacDialog(180);
  dialog.transition(DialogState.Early); // staying put is not a move
  dialog.transition(DialogState.Confirmed);
  const illegal = (err: unknown) => err instanceof DialogError && err.code === 'DIALOG_ILLEGAL_TRANSITION';
  assert.throws(() => dialog.transition(DialogState.Early), illegal);
  dialog.transition(DialogState.Terminated);
  assert.throws(() => dialog.transition(DialogState.Confirmed), illegal);
  assert.throws(() => dialog.transition(DialogState.Early), illegal);
  assert.equal(dialog.state, DialogState.Terminated);
});

test('state: an early dialog may end without being confirmed (RFC 3261 §12.3)', () => {
  const dialog = uacDialog(180);
  dialog.transition(DialogState.Terminated);
  assert.equal(dialog.state, DialogState.Terminated);
});
