// createRouter: rules in order, the first match wins (Kamailio-style, not Asterisk's best match).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DialplanAction, DialplanRule } from '../../ipbx/config/config-schema.ts';
import { createRouter, DialplanError, type RouteDecision } from '../../ipbx/router/index.ts';

const rule = (match: string, action: DialplanAction): DialplanRule => ({ match, action, allowUnauthenticated: false });
const account: DialplanAction = { type: 'account' };
const reject: DialplanAction = { type: 'reject', code: 403 };
const group: DialplanAction = { type: 'group', group: 'sales' };

function ruleOf(decision: RouteDecision): string | undefined {
  return decision.kind === 'action' ? decision.rule.match : undefined;
}

describe('createRouter', () => {
  it('returns the action, the rule and the dialled number', () => {
    const rules = [rule('_1XXX', account)];
    const d = createRouter(rules).route('1001');
    assert.deepEqual(d, { kind: 'action', action: account, rule: rules[0], number: '1001' });
  });
  it('answers no-match with the number when no rule matches', () => {
    assert.deepEqual(createRouter([rule('_1XXX', account)]).route('2001'), { kind: 'no-match', number: '2001' });
    assert.deepEqual(createRouter([]).route('1001'), { kind: 'no-match', number: '1001' });
  });
  it('the first matching rule wins, even when a later one is more specific (not Asterisk best-match)', () => {
    assert.equal(ruleOf(createRouter([rule('_X.', group), rule('1001', reject)]).route('1001')), '_X.');
    assert.equal(ruleOf(createRouter([rule('1001', reject), rule('_X.', group)]).route('1001')), '1001');
  });
  it('keeps order between exact rules and patterns on both sides', () => {
    const router = createRouter([rule('_2XXX', group), rule('1001', reject), rule('_1XXX', account), rule('1002', reject)]);
    assert.equal(ruleOf(router.route('2001')), '_2XXX');
    assert.equal(ruleOf(router.route('1001')), '1001');
    assert.equal(ruleOf(router.route('1002')), '_1XXX');
  });
  it('the first of two identical exact rules wins', () => {
    const d = createRouter([rule('1001', account), rule('1001', reject)]).route('1001');
    assert.ok(d.kind === 'action');
    assert.equal(d.action, account);
  });
  it('exact rules written with separators match the normalized number', () => {
    assert.equal(ruleOf(createRouter([rule('01-23-45', account)]).route('012345')), '01-23-45');
  });
  it('refuses a dialplan with a bad pattern, naming the rule', () => {
    assert.throws(() => createRouter([rule('1001', account), rule('_1[X', account)]), (err: unknown) => {
      assert.ok(err instanceof DialplanError);
      assert.equal(err.code, 'IPBX_DIALPLAN_BAD_PATTERN');
      assert.match(err.message, /^dialplan\[1\]\.match "_1\[X": .* at position 2/);
      return true;
    });
  });
  it('numbers over 64 characters match nothing, not even _!', () => {
    assert.equal(createRouter([rule('_!', account)]).route('1'.repeat(65)).kind, 'no-match');
  });
  it('later changes to the rules array do not change a built router', () => {
    const rules = [rule('1001', account)];
    const router = createRouter(rules);
    rules[0] = rule('1001', reject);
    const d = router.route('1001');
    assert.ok(d.kind === 'action');
    assert.equal(d.action, account);
  });
});
