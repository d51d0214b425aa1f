// The winning fork's 2xx connects the call: the callee's leg (b) is acknowledged, its SDP goes
// back through the media hook, the caller gets the 2xx on its own leg (a), and each leg becomes
// the other's peer. With a late offer (RFC 3261 §13.2.1: no SDP in the INVITE) the 2xx carries
// the offer and the callee's ACK waits for the answer in the caller's ACK.

import { DialogState, type SipResponse } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { CallStates } from './call-state.ts';
import type { Fork } from './fork.ts';
import type { Leg } from './leg.ts';
import { watchAck } from './ack-watch.ts';
import { startDtmfTranslation } from './dtmf-translation.ts';
import { ALLOW } from './sip-helpers.ts';

export async function answerCall(ctx: B2buaContext, call: Call, fork: Fork, response: SipResponse): Promise<void> {
  const a = call.a;
  const bridged = await bridgeCallee(ctx, call, fork, response);
  if (bridged === undefined) return;
  const { b, body, seq } = bridged;
  // The caller may have cancelled while the 2xx was on its way: the callee's session is hung up.
  if (call.ended || call.invite.finalResponse !== undefined || call.invite.cancelled) {
    b.bye();
    return;
  }
  join(ctx, call, b, fork);
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

/**
 * Connects the answering callee to a caller the IPBX answered itself (a queue, an announcement):
 * the caller keeps its session with rtpengine, whose ports for it do not change when its stream
 * is given to the callee instead of the player, so the caller needs no re-INVITE; what played to
 * it (music on hold, a prompt) stops.
 */
export async function connectAnswered(ctx: B2buaContext, call: Call, fork: Fork, response: SipResponse): Promise<void> {
  const bridged = await bridgeCallee(ctx, call, fork, response);
  if (bridged === undefined) return;
  const { b } = bridged;
  try {
    await ctx.media.stop(call.a.mediaInfo(call.id));
  } catch (err) {
    ctx.report(err);
  }
  if (call.ended) {
    b.bye();
    return;
  }
  join(ctx, call, b, fork);
  startDtmfTranslation(ctx, call).catch((err: unknown) => ctx.report(err));
}

/** Acknowledges the callee's 2xx and puts its SDP through the media hook; undefined when that failed (the callee is hung up, the error thrown). */
async function bridgeCallee(ctx: B2buaContext, call: Call, fork: Fork, response: SipResponse): Promise<{ b: Leg; body: Buffer; seq: number } | undefined> {
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
  return { b, body, seq };
}

/** Each leg becomes the other's peer; the callee's dialog joins the call. */
function join(ctx: B2buaContext, call: Call, b: Leg, fork: Fork): void {
  call.b = b;
  call.answeredBy = fork.ring.extension;
  b.peer = call.a;
  call.a.peer = b;
  ctx.dialogs.add(b, call);
}

/** The dialplan rule, the caller's account or the answering account asks for a recording. */
function recorded(ctx: B2buaContext, call: Call, fork: Fork): boolean {
  if (call.recordRequested) return true;
  if (ctx.accounts.get(call.caller.extension)?.record === true) return true;
  return fork.ring.extension !== undefined && ctx.accounts.get(fork.ring.extension)?.record === true;
}
