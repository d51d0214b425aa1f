// The dialplan's announcement action: the IPBX itself answers the caller with media from
// rtpengine's player and plays a prompt. Without a next number the call is answered (200) and
// hung up once the prompt has played, as Asterisk's Answer+Playback+Hangup; with one the prompt is
// early media (183 with SDP, RFC 3960's gateway model) and the call then goes on to that number.
// A caller the IPBX answered already (a queue's overflow) just hears the prompt.

import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { answerLocally } from './local-answer.ts';

/** Time after the prompt's end before the IPBX hangs up, so its last syllable is heard. */
const TAIL_MS = 500;

export interface AnnouncementPlan {
  file: string;
  /** The number dialled once the prompt has played; none = hang up. */
  next: string | undefined;
}

/** Plays the prompt; resolves when it has played (or the call ended), true when the call should go on to `next`. */
export async function announce(ctx: B2buaContext, call: Call, plan: AnnouncementPlan): Promise<boolean> {
  if (!await answerLocally(ctx, call, plan.next === undefined ? 200 : 183)) return false;
  await playToEnd(ctx, call, plan.file);
  if (call.ended) return false;
  if (plan.next === undefined) {
    call.finish({ cause: 'answered', status: 200, by: 'system' });
    return false;
  }
  return true;
}

/** Plays a prompt to the caller and resolves once it has been heard (or the call ended). */
export async function playToEnd(ctx: B2buaContext, call: Call, file: string): Promise<void> {
  const durationMs = await ctx.media.play(call.a.mediaInfo(call.id), file);
  if (call.ended) return;
  await new Promise<void>((resolve) => {
    const stop = call.onEnd(() => resolve());
    call.setTimer(durationMs + TAIL_MS, () => {
      stop();
      resolve();
    });
  });
}
