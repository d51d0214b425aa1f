// The dialplan's announcement action: the IPBX itself answers the caller with media from
// rtpengine's player and plays a prompt. Without a next number the call is answered (200) and
// hung up once the prompt has played, as Asterisk's Answer+Playback+Hangup; with one the prompt is
// early media (183 with SDP, RFC 3960's gateway model) and the call then goes on to that number.

import { DialogState, randomToken } from '../sip/index.ts';
import { watchAck } from './ack-watch.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { CallStates } from './call-state.ts';
import { ALLOW } from './sip-helpers.ts';

/** Time after the prompt's end before the IPBX hangs up, so its last syllable is heard. */
const TAIL_MS = 500;

export interface AnnouncementPlan {
  file: string;
  /** The number dialled once the prompt has played; none = hang up. */
  next: string | undefined;
}

/** Plays the prompt; resolves when it has played (or the call ended), true when the call should go on to `next`. */
export async function announce(ctx: B2buaContext, call: Call, plan: AnnouncementPlan): Promise<boolean> {
  const a = call.a;
  const sdp = await ctx.media.answerLocally(call.invite.request.body, a.mediaInfo(call.id), `player-${randomToken(8)}`);
  if (call.ended || call.invite.finalResponse !== undefined || call.invite.cancelled) return false;
  const headers: Array<[string, string]> = [['Contact', a.dialog.localContact.toString()], ['Allow', ALLOW]];
  if (plan.next === undefined) {
    const ok = call.invite.respond(200, { headers, body: sdp, contentType: 'application/sdp' });
    a.dialog.transition(DialogState.Confirmed);
    a.awaitingAck = { seq: call.invite.request.cseq.seq, relayTo: undefined };
    watchAck(ctx, call, a, ok);
    call.moveTo(CallStates.Answered);
  } else {
    call.invite.respond(183, { reason: 'Session Progress', headers, body: sdp, contentType: 'application/sdp' });
  }
  const durationMs = await ctx.media.play(a.mediaInfo(call.id), plan.file);
  await new Promise<void>((resolve) => call.setTimer(durationMs + TAIL_MS, resolve));
  if (call.ended) return false;
  if (plan.next === undefined) {
    call.finish({ cause: 'answered', status: 200, by: 'system' });
    return false;
  }
  return true;
}
