// The dialplan as the B2BUA asks it: rules in config order, and the first rule that matches wins,
// as in a Kamailio script. This is NOT Asterisk's "most specific pattern wins" ordering: put
// exact numbers and narrow patterns before broad ones (`_X.` last), and the file reads top-down
// like the decision it makes.

import type { DialplanRule } from '../config/config-schema.ts';
import { compilePattern, MAX_DIALLED_LENGTH, type DialplanPattern } from './dialplan-pattern.ts';
import type { RouteDecision, Router } from './route-target.ts';

interface PatternRule {
  index: number;
  pattern: DialplanPattern;
}

/**
 * Compiles every rule (throws DialplanError('IPBX_DIALPLAN_BAD_PATTERN') naming `dialplan[i].match`)
 * and returns a Router. `route(number)` expects the number from normalizeDialled(uri.user).
 */
export function createRouter(dialplan: readonly DialplanRule[]): Router {
  // A copy: a config reload builds a new router rather than changing this one under a call.
  const rules = [...dialplan];
  // Exact rules go in a map (first occurrence wins); patterns are tried in order only up to the
  // index of the exact hit, so a long dialplan of extensions costs one lookup.
  const exact = new Map<string, number>();
  const patterns: PatternRule[] = [];
  rules.forEach((rule, index) => {
    const pattern = compilePattern(rule.match, `dialplan[${index}].match`);
    if (pattern.exact === undefined) patterns.push({ index, pattern });
    else if (!exact.has(pattern.exact)) exact.set(pattern.exact, index);
  });

  const decide = (index: number, number: string): RouteDecision => {
    const rule = rules[index];
    return rule === undefined ? { kind: 'no-match', number } : { kind: 'action', action: rule.action, rule, number };
  };

  return {
    route(number: string): RouteDecision {
      if (number.length > MAX_DIALLED_LENGTH) return { kind: 'no-match', number };
      const exactIndex = exact.get(number) ?? rules.length;
      for (const { index, pattern } of patterns) {
        if (index > exactIndex) break;
        if (pattern.matches(number)) return decide(index, number);
      }
      return decide(exactIndex, number);
    },
  };
}
