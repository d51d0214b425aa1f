// The states of a call as the API, the events and the CDRs see them, and the moves allowed
// between them. `routing` comes back while ringing when a group falls back to another number.

import type { CallState } from '../events/ipbx-events.ts';

export const CallStates = {
  Routing: 'routing',
  Ringing: 'ringing',
  Answered: 'answered',
  Held: 'held',
  Transferred: 'transferred',
  Ended: 'ended',
} as const satisfies Record<string, CallState>;

const ALLOWED: Record<CallState, readonly CallState[]> = {
  routing: ['ringing', 'answered', 'ended'],
  ringing: ['routing', 'answered', 'ended'],
  answered: ['held', 'transferred', 'ended'],
  held: ['answered', 'transferred', 'ended'],
  // A transfer swaps a leg, then the call is answered again (transfer-swap.ts).
  transferred: ['answered', 'held', 'ended'],
  ended: [],
};

export function canMove(from: CallState, to: CallState): boolean {
  return ALLOWED[from].includes(to);
}
