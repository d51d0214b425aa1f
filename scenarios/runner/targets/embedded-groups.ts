// The scenario's accounts, ring groups and queues as the IPBX config's `groups`, `queues` and
// `dialplan`: one rule per account (dialling an extension rings its phones), one per group or
// queue number.

import { parseDuration } from '../duration.ts';
import type { Scenario } from '../scenario-schema.ts';

/** The IPBX config counts whole seconds: a scenario's duration, rounded up, at least 1. */
export const wholeSeconds = (duration: string): number => Math.max(1, Math.ceil(parseDuration(duration) / 1000));

/** Seconds for settings where 0 means "none" (wrap-up, announcements): `0s` stays 0. */
const seconds = (duration: string): number => Math.ceil(parseDuration(duration) / 1000);

export function embeddedGroups(scenario: Scenario): { groups: unknown[]; queues: unknown[]; dialplan: unknown[] } {
  const groups = scenario.groups ?? [];
  const queues = scenario.queues ?? [];
  return {
    groups: groups.map((g) => ({
      name: g.name, strategy: g.strategy ?? 'simultaneous', members: g.members,
      ...(g.memberTimeout === undefined ? {} : { memberTimeout: wholeSeconds(g.memberTimeout) }),
      ...(g.fallback === undefined ? {} : { fallback: g.fallback }),
    })),
    queues: queues.map((q) => ({
      name: q.name, members: q.members,
      ...(q.strategy === undefined ? {} : { strategy: q.strategy }),
      ...(q.memberTimeout === undefined ? {} : { memberTimeout: wholeSeconds(q.memberTimeout) }),
      ...(q.retryDelay === undefined ? {} : { retryDelay: seconds(q.retryDelay) }),
      ...(q.wrapUp === undefined ? {} : { wrapUp: seconds(q.wrapUp) }),
      ...(q.maxWait === undefined ? {} : { maxWait: wholeSeconds(q.maxWait) }),
      ...(q.maxCallers === undefined ? {} : { maxCallers: q.maxCallers }),
      ...(q.overflow === undefined ? {} : { overflow: q.overflow }),
      ...(q.announceEvery === undefined ? {} : { announce: { every: seconds(q.announceEvery) } }),
    })),
    dialplan: [
      ...scenario.accounts.map((a) => ({ match: a.extension, action: { type: 'account' } })),
      ...groups.map((g) => ({ match: g.number, action: { type: 'group', group: g.name } })),
      ...queues.map((q) => ({ match: q.number, action: { type: 'queue', queue: q.name } })),
    ],
  };
}
