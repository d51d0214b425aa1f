// What the API and the wallboard see of calls in progress, and can do to them.

import type { CallState } from '../events/ipbx-events.ts';

export interface ActiveCall {
  id: string;
  caller: string;
  callerName: string;
  callee: string;
  state: CallState;
  startedAt: number;
  answeredAt: number | null;
}

export interface CallControl {
  list(): ActiveCall[];
  /** Ends the call on both legs (BYE, or CANCEL/487 while ringing); false when unknown. */
  hangup(id: string): Promise<boolean>;
}
