// Rules the schema cannot say: names that must refer to something declared, and expectations that
// must ask for something. Each problem is a PathIssue, placed in the file by the loader.

import type { PathIssue } from '../../ipbx/config/path-issue.ts';
import type { Expectation, Scenario, ScenarioStep } from './scenario-schema.ts';
import { checkTargetSemantics } from './targets/target-semantic-checks.ts';

/** The phones a step acts on or looks at, with the field that names each. */
function phonesNamed(step: ScenarioStep): Array<{ phone: string; field: string[] }> {
  const [kind, value] = Object.entries(step)[0] ?? [];
  if (kind === undefined || kind === 'wait') return [];
  if (typeof value === 'string') return [{ phone: value, field: [kind] }];
  const v = value as Record<string, unknown>;
  const named: Array<{ phone: string; field: string[] }> = [];
  if (typeof v['phone'] === 'string') named.push({ phone: v['phone'], field: [kind, 'phone'] });
  if (typeof v['from'] === 'string') named.push({ phone: v['from'], field: [kind, 'from'] });
  return named;
}

const EXPECTED_THINGS = ['call', 'hears', 'silence', 'dtmf', 'registration', 'cdr', 'queue'] as const;
/** Expectations about the IPBX, not about a phone. */
const SERVER_THINGS: ReadonlySet<string> = new Set(['cdr', 'queue']);

function checkExpectation(expectation: Expectation, at: Array<string | number>): PathIssue[] {
  const issues: PathIssue[] = [];
  const asked = EXPECTED_THINGS.filter((k) => expectation[k] !== undefined);
  if (asked.length === 0) issues.push({ path: at, message: `an expectation needs one of ${EXPECTED_THINGS.join(', ')}` });
  if (asked.some((k) => !SERVER_THINGS.has(k)) && expectation.phone === undefined) issues.push({ path: [...at, 'phone'], at, message: `is required to expect ${asked.filter((k) => !SERVER_THINGS.has(k)).join(', ')}` });
  if (expectation.cause !== undefined && expectation.call !== 'ended') issues.push({ path: [...at, 'cause'], pointAt: 'key', message: 'goes with call: ended' });
  if (expectation.status !== undefined && expectation.call !== 'ended' && expectation.registration === undefined) issues.push({ path: [...at, 'status'], pointAt: 'key', message: 'goes with call: ended or registration' });
  if (expectation.hears !== undefined && expectation.silence !== undefined) issues.push({ path: [...at, 'silence'], pointAt: 'key', message: 'cannot be expected with hears in one expectation' });
  return issues;
}

export function checkScenarioSemantics(scenario: Scenario): PathIssue[] {
  const issues: PathIssue[] = [];
  const extensions = new Set<string>();
  scenario.accounts.forEach((account, i) => {
    if (extensions.has(account.extension)) issues.push({ path: ['accounts', i, 'extension'], message: `account ${account.extension} is declared twice` });
    extensions.add(account.extension);
  });
  for (const [name, phone] of Object.entries(scenario.phones)) {
    if (!extensions.has(phone.account)) issues.push({ path: ['phones', name, 'account'], message: `no account has extension ${JSON.stringify(phone.account)} (accounts: ${[...extensions].join(', ')})` });
  }
  if (Object.keys(scenario.phones).length === 0) issues.push({ path: ['phones'], message: 'a scenario needs at least one phone' });
  scenario.steps.forEach((step, i) => {
    for (const { phone, field } of phonesNamed(step)) {
      if (scenario.phones[phone] === undefined) issues.push({ path: ['steps', i, ...field], message: `no phone is named ${JSON.stringify(phone)} (phones: ${Object.keys(scenario.phones).join(', ')})` });
    }
    const expectation = (step as { expect?: Expectation }).expect;
    if (expectation !== undefined) issues.push(...checkExpectation(expectation, ['steps', i, 'expect']));
  });
  issues.push(...checkTargetSemantics(scenario));
  return issues;
}
