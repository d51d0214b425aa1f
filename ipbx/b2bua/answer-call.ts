// The winning fork's 2xx connects the call: the callee's leg (b) is acknowledged, its SDP goes
// back through the media hook, the caller gets the 2xx on its own leg (a), and each leg becomes
// the other's peer. With a late offer (RFC 3261 §13.2.1: no SDP in the INVITE) the 2xx carries
// the offer and the callee's ACK waits for the answer in the caller's ACK.

import { DialogState, type SipResponse } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { CallStates } from './call-state.ts';
import type { Fork } from './fork.ts';
import { watchAck } from './ack-watch.ts';
import { startDtmfTranslation } from './dtmf-translation.ts';
import { ALLOW } from './sip-helpers.ts';

export async function answerCall(ctx: B2buaContext, call: Call, fork: Fork, response: SipResponse): Promise<void> {
  const b = fork.legFor(response);
  const seq = fork.invite.cseq.seq;
  const a = call.a;
  if (call.lateOffer) b.owedAck = seq;
  else await b.ack(seq);
  let body = response.body;
  try {
    // Recording starts before the answer goes through rtpengine, so its files hold both SDPs and
    // tell the caller's stream from the callee's.
    if (ctx.media.bridgesMedia && recorded(ctx, call, fork)) {
      await ctx.media.record(call.id, { caller: call.caller.extension, callee: call.callee, startedAt: ctx.clock.now() });
    }
    if (body.length > 0) {
      body = call.lateOffer
        ? await ctx.media.offer(body, b.mediaInfo(call.id), a.mediaInfo(call.id))
        : await ctx.media.answer(body, b.mediaInfo(call.id), a.mediaInfo(call.id));
    }
  } catch (err) {
    // The callee's session is not part of the call yet: it is hung up here, the caller by the failure.
    b.bye();
    throw err;
  }
  // The caller may have cancelled while the 2xx was on its way: the callee's session is hung up.
  if (call.ended || call.invite.finalResponse !== undefined || call.invite.cancelled) {
    b.bye();
    return;
  }
  call.b = b;
  b.peer = a;
  a.peer = b;
  ctx.dialogs.add(b, call);
  a.dialog.transition(DialogState.Confirmed);
  // No await since the check above: the caller's INVITE is still unanswered.
  const ok = call.invite.respond(response.status, {
    reason: response.reason,
    headers: [['Contact', a.dialog.localContact.toString()], ['Allow', ALLOW]],
    ...(body.length > 0 ? { body, contentType: 'application/sdp' } : {}),
  });
  a.awaitingAck = { seq: call.invite.request.cseq.seq, relayTo: call.lateOffer ? { leg: b, seq } : undefined };
  watchAck(ctx, call, a, ok);
  call.moveTo(CallStates.Answered);
  startDtmfTranslation(ctx, call).catch((err: unknown) => ctx.report(err));
}

/** The dialplan rule, the caller's account or the answering account asks for a recording. */
function recorded(ctx: B2buaContext, call: Call, fork: Fork): boolean {
  if (call.recordRequested) return true;
  if (ctx.accounts.get(call.caller.extension)?.record === true) return true;
  return fork.ring.extension !== undefined && ctx.accounts.get(fork.ring.extension)?.record === true;
}
