// What the dialplan decides for a dialled number: the B2BUA carries it out.

import type { DialplanAction, DialplanRule } from '../config/config-schema.ts';

export type RouteDecision =
  | { kind: 'action'; action: DialplanAction; rule: DialplanRule; number: string }
  | { kind: 'no-match'; number: string };

export interface Router {
  /** The first rule whose pattern matches `number`, in dialplan order. */
  route(number: string): RouteDecision;
}
