// Requests inside a call's dialogs, from either side (RFC 3261 §12.2.2): checked against the
// leg's dialog (CSeq order, remote target refresh), then ACK, BYE, session changes (re-INVITE,
// UPDATE) and anything else (INFO for DTMF, MESSAGE, NOTIFY…) each go their way to the peer leg.
// REFER is not relayed: the B2BUA carries it out itself (refer-handler.ts).

import type { IncomingRequest, SipRequest } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import { followNewFlow } from './flow-follow.ts';
import { translateInfo } from './dtmf-translation.ts';
import type { Call } from './call.ts';
import type { DialogEntry } from './dialog-table.ts';
import type { AwaitedAck, Leg } from './leg.ts';
import { relayRequest } from './request-relay.ts';
import { relaySessionChange } from './session-change.ts';
import { respondOnce } from './sip-helpers.ts';

export function handleInDialog(ctx: B2buaContext, entry: DialogEntry, incoming: IncomingRequest): void {
  const { leg, call } = entry;
  const request = incoming.request;
  if (request.method === 'ACK') {
    onAck(ctx, call, leg, request);
    return;
  }
  if (leg.ended) {
    // Our BYE crossed theirs: the session is over either way, so their BYE is simply accepted.
    incoming.respond(request.method === 'BYE' ? 200 : 481);
    return;
  }
  const check = leg.dialog.receiveRequest(request);
  if (!check.ok) {
    incoming.respond(check.status, { reason: check.reason });
    return;
  }
  const failed = (err: unknown) => {
    ctx.report(err);
    respondOnce(incoming, 500);
  };
  switch (request.method) {
    case 'BYE':
      onBye(ctx, call, leg, incoming);
      return;
    case 'INVITE':
    case 'UPDATE':
      followNewFlow(ctx, leg, incoming.source);
      relaySessionChange(ctx, call, leg, incoming).catch(failed);
      return;
    case 'INFO':
      if (translateInfo(ctx, call, leg, incoming)) return;
      relayRequest(call, leg, incoming).catch(failed);
      return;
    default:
      relayRequest(call, leg, incoming).catch(failed);
  }
}

/**
 * §15.1.2: a BYE is answered 200 and ends the session; the B2BUA ends the other leg with its own BYE.
 * A leg a transfer takes out of the call (phones doing a blind transfer often hang up as soon as
 * the REFER is accepted), or has taken out, ends alone: the call goes on with its other parties.
 */
function onBye(ctx: B2buaContext, call: Call, leg: Leg, incoming: IncomingRequest): void {
  incoming.respond(200);
  leg.terminate();
  ctx.dialogs.remove(leg);
  if (call.transfer?.leaving === leg || (leg !== call.a && leg !== call.b)) return;
  const by = leg === call.a ? 'caller' : 'callee';
  if (call.answeredAt !== null) {
    call.finish({ cause: 'answered', status: 200, by });
    return;
  }
  // §15: "The caller's UA MAY send a BYE for either confirmed or early dialogs": before the answer
  // it gives up like a CANCEL would, and its INVITE is ended with 487 (§15.1.2).
  respondOnce(call.invite, 487);
  call.finish({ cause: 'cancelled', status: 487, by });
}

/** The ACK for a 2xx we sent on this leg; with a late offer it carries the answer the peer awaits. */
function onAck(ctx: B2buaContext, call: Call, leg: Leg, ack: SipRequest): void {
  const awaited = leg.awaitingAck;
  // Retransmitted or stray ACKs (for a 2xx acknowledged already) change nothing.
  if (awaited?.seq !== ack.cseq.seq) return;
  leg.acknowledged();
  if (call.ended) ctx.dialogs.remove(leg);
  const relay = awaited.relayTo;
  if (relay !== undefined) relayAck(ctx, call, leg, relay, ack);
}

function relayAck(ctx: B2buaContext, call: Call, leg: Leg, relay: NonNullable<AwaitedAck['relayTo']>, ack: SipRequest): void {
  if (ack.body.length === 0) {
    void relay.leg.ack(relay.seq);
    return;
  }
  ctx.media.answer(ack.body, leg.mediaInfo(call.id), relay.leg.mediaInfo(call.id))
    .then((body) => relay.leg.ack(relay.seq, body))
    .catch((err: unknown) => ctx.report(err));
}
