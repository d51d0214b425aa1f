// What ending a call does, once, however it ended (BYE, CANCEL, no answer, failure, API):
// forks still ringing are cancelled, the caller gets a final response if it has none, legs still
// up get a BYE, the dialogs are forgotten, the media released, and one CDR is written.

import type { CdrStore } from '../store/cdr-store.ts';
import type { IpbxEvents } from '../events/ipbx-events.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { buildCdr } from './cdr-builder.ts';
import type { CallEnd } from './end-cause.ts';
import { respondOnce } from './sip-helpers.ts';

export interface TeardownSinks {
  events: IpbxEvents;
  cdrs: CdrStore;
}

export function tearDown(ctx: B2buaContext, sinks: TeardownSinks, call: Call, end: CallEnd): void {
  for (const fork of call.forks) fork.cancel();
  call.forks.clear();
  // A CANCELled INVITE is answered 487 by the stack itself (RFC 3261 §9.2).
  if (!call.invite.cancelled) {
    const status = end.status !== null && end.status >= 300 ? end.status : 500;
    respondOnce(call.invite, status);
  }
  for (const leg of [call.a, call.b]) {
    // A leg an attended transfer moved into another call lives on there.
    if (leg === undefined || call.departed.has(leg)) continue;
    leg.bye();
    // A leg whose BYE waits for its ACK (§15) stays known until the ACK (or its timeout) comes.
    if (leg.awaitingAck === undefined) ctx.dialogs.remove(leg);
  }
  ctx.media.release(call.id).catch((err: unknown) => ctx.report(err));
  const cdr = buildCdr(call, end, call.endedAt ?? ctx.clock.now());
  try {
    sinks.cdrs.insert(cdr);
  } catch (err) {
    ctx.report(err);
  }
  try {
    sinks.events.emit('cdr', cdr);
  } catch (err) {
    ctx.report(err);
  }
}
