// The end of a successful transfer: the new leg takes the place of the leaving one in the call
// (each leg the other's peer, the dialog table pointing at the call), the call's labels name the
// parties connected now, and the state says `transferred`, then `answered` again. The leaving
// leg is hung up a moment later unless its phone does it first, as phones do after the final
// NOTIFY (RFC 5589 §6.1, §7.1: the transferor sends the BYE).
//
// CDRs: a transferred call keeps one record. Its start and answer times are the original call's;
// its caller and callee are the parties connected when it ended (the transfer target in place of
// the side that left); its cause is how that last conversation ended. A call whose remaining leg
// an attended transfer moved into another call ends with cause `transferred`.

import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { CallStates } from './call-state.ts';
import type { CallerIdentity } from './caller-identity.ts';
import type { Leg } from './leg.ts';

/** How long a transferor's phone has to hang up by itself after the final NOTIFY before the IPBX does. */
export const TRANSFEROR_BYE_DELAY_MS = 1000;

/** Puts `joining` where `leaving` was in `call`, connected to `leaving`'s peer. */
export function swapLeg(ctx: B2buaContext, call: Call, leaving: Leg, joining: Leg, party: CallerIdentity): void {
  const staying = leaving.peer;
  if (call.a === leaving) {
    call.a = joining;
    call.caller = party;
  } else {
    call.b = joining;
    call.callee = party.extension;
  }
  joining.party ??= party;
  joining.peer = staying;
  if (staying !== undefined) staying.peer = joining;
  leaving.peer = undefined;
  // The leaving leg stays known (its phone's BYE is answered 200) until it is hung up.
  ctx.dialogs.add(joining, call);
  // A party the transferor had put on hold hears the music until now: it talks to the new party.
  const wasHeld = call.state === CallStates.Held;
  call.moveTo(CallStates.Transferred);
  call.moveTo(CallStates.Answered);
  if (wasHeld && staying !== undefined) ctx.media.resume(staying.mediaInfo(call.id)).catch((err: unknown) => ctx.report(err));
}

/**
 * Hangs up a leg a transfer took out of `call`, unless its phone does within the delay; at once
 * if the call ends first (teardown only knows the call's current legs).
 */
export function releaseLeaving(ctx: B2buaContext, call: Call, leaving: Leg, delayMs = TRANSFEROR_BYE_DELAY_MS): void {
  if (leaving.ended || call.ended) {
    leaving.bye();
    ctx.dialogs.remove(leaving);
    return;
  }
  const hangUp = () => {
    timer.cancel();
    stopWatching();
    leaving.bye();
    ctx.dialogs.remove(leaving);
  };
  const timer = call.setTimer(delayMs, hangUp);
  const stopWatching = call.onEnd(hangUp);
}
