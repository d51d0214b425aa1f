// What a queue member is doing now, as the wallboard shows it and the dispatcher asks it: only an
// `available` member is rung.

export const MEMBER_STATUSES = ['available', 'ringing', 'in-call', 'wrap-up', 'paused', 'offline'] as const;

export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export interface MemberFacts {
  paused: boolean;
  /** It has a live registration. */
  reachable: boolean;
  ringing: boolean;
  /** In any call (a queue's, or one of its own: app_queue's ringinuse=no). */
  busy: boolean;
  /** Its wrap-up time after a queue call has not run out. */
  wrappingUp: boolean;
}

export function memberStatus(facts: MemberFacts): MemberStatus {
  if (facts.paused) return 'paused';
  if (!facts.reachable) return 'offline';
  if (facts.ringing) return 'ringing';
  if (facts.busy) return 'in-call';
  if (facts.wrappingUp) return 'wrap-up';
  return 'available';
}
