// The IPBX answering a caller itself, with media from an rtpengine player leg: for an
// announcement (200, or 183 early media before going on) and for a queue (200, then music on hold
// until a member answers). A caller answered this way may later be connected to a callee
// (answer-call.ts connectAnswered).

import { DialogState, randomToken } from '../sip/index.ts';
import { watchAck } from './ack-watch.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { CallStates } from './call-state.ts';
import { ALLOW } from './sip-helpers.ts';

/** The IPBX has answered the caller's INVITE with a 2xx (it may be connected to someone later). */
export function answeredLocally(call: Call): boolean {
  const status = call.invite.finalResponse?.status;
  return status !== undefined && status >= 200 && status < 300;
}

/**
 * Answers the caller (200) or sends it early media (183); false when the call ended or was
 * answered meanwhile. A caller already answered by the IPBX is left as it is (true).
 * `connectsLater`: the caller will be connected to someone (a queue), so it must keep sending.
 */
export async function answerLocally(ctx: B2buaContext, call: Call, status: 200 | 183, connectsLater = false): Promise<boolean> {
  if (answeredLocally(call)) return true;
  const a = call.a;
  const sdp = await ctx.media.answerLocally(call.invite.request.body, a.mediaInfo(call.id), `player-${randomToken(8)}`, connectsLater);
  if (call.ended || call.invite.finalResponse !== undefined || call.invite.cancelled) return false;
  const headers: Array<[string, string]> = [['Contact', a.dialog.localContact.toString()], ['Allow', ALLOW]];
  if (status === 183) {
    call.invite.respond(183, { reason: 'Session Progress', headers, body: sdp, contentType: 'application/sdp' });
    return true;
  }
  const ok = call.invite.respond(200, { headers, body: sdp, contentType: 'application/sdp' });
  a.dialog.transition(DialogState.Confirmed);
  a.awaitingAck = { seq: call.invite.request.cseq.seq, relayTo: undefined };
  watchAck(ctx, call, a, ok);
  call.moveTo(CallStates.Answered);
  return true;
}
