// The call detail record of an ended call: one per call, whatever the way it ended.

import type { Cdr } from '../events/ipbx-events.ts';
import type { Call } from './call.ts';
import type { CallEnd } from './end-cause.ts';

export function buildCdr(call: Call, end: CallEnd, endedAt: number): Cdr {
  const answeredAt = call.answeredAt;
  return {
    id: call.id,
    caller: call.caller.extension,
    callerName: call.caller.displayName,
    callee: call.callee,
    startedAt: call.startedAt,
    answeredAt,
    endedAt,
    // Whole seconds of conversation, as billing-minded CDRs count them.
    duration: answeredAt === null ? 0 : Math.max(0, Math.round((endedAt - answeredAt) / 1000)),
    cause: end.cause,
    status: end.status,
  };
}
