// The scenario's accounts and ring groups as the IPBX config's `groups` and `dialplan`: one rule
// per account (dialling an extension rings its phones) and one per group number.

import { parseDuration } from '../duration.ts';
import type { Scenario } from '../scenario-schema.ts';

/** The IPBX config counts whole seconds: a scenario's duration, rounded up, at least 1. */
export const wholeSeconds = (duration: string): number => Math.max(1, Math.ceil(parseDuration(duration) / 1000));

export function embeddedGroups(scenario: Scenario): { groups: unknown[]; dialplan: unknown[] } {
  const groups = scenario.groups ?? [];
  return {
    groups: groups.map((g) => ({
      name: g.name, strategy: g.strategy ?? 'simultaneous', members: g.members,
      ...(g.memberTimeout === undefined ? {} : { memberTimeout: wholeSeconds(g.memberTimeout) }),
      ...(g.fallback === undefined ? {} : { fallback: g.fallback }),
    })),
    dialplan: [
      ...scenario.accounts.map((a) => ({ match: a.extension, action: { type: 'account' } })),
      ...groups.map((g) => ({ match: g.number, action: { type: 'group', group: g.name } })),
    ],
  };
}
