// Consistency rules of the target, accounts, groups and queues the schema cannot say: fields that belong
// to one target kind only, where an account's password comes from, and ring groups whose members
// and numbers must match the accounts.

import type { PathIssue } from '../../../ipbx/config/path-issue.ts';
import type { Scenario } from '../scenario-schema.ts';

const SIP_ONLY = ['host', 'port', 'transports', 'wss'] as const;
const EMBEDDED_ONLY = ['noAnswerTimeout'] as const;

function targetIssues(scenario: Scenario): PathIssue[] {
  const target = scenario.target;
  const issues: PathIssue[] = [];
  const misplaced = (fields: readonly string[], kind: string): void => {
    for (const field of fields) {
      if ((target as Record<string, unknown>)[field] !== undefined) issues.push({ path: ['target', field], pointAt: 'key', message: `is not an option of the ${kind} target` });
    }
  };
  if (target.kind !== 'embedded') {
    misplaced(EMBEDDED_ONLY, target.kind);
    if (scenario.groups !== undefined) issues.push({ path: ['groups'], pointAt: 'key', message: `groups are created by the embedded target only; on a ${target.kind} target, dial the group's number as written` });
    if (scenario.queues !== undefined) issues.push({ path: ['queues'], pointAt: 'key', message: `queues are created by the embedded target only; on a ${target.kind} target, dial the queue's number as written` });
    scenario.steps.forEach((step, i) => {
      if ('restart-target' in step) issues.push({ path: ['steps', i, 'restart-target'], pointAt: 'key', message: 'only the embedded target can be restarted' });
    });
  }
  if (target.kind === 'sip') {
    if (target.host === undefined) issues.push({ path: ['target'], message: 'a sip target needs host: the SIP server\'s name or address' });
    for (const [name, phone] of Object.entries(scenario.phones)) {
      const offered = target.transports ?? ['udp', 'tcp'];
      if (!offered.includes(phone.transport)) issues.push({ path: ['phones', name, 'transport'], message: `the sip target offers ${offered.join(' and ')} only` });
    }
  } else if (target.kind === 'embedded') {
    misplaced(SIP_ONLY, 'embedded');
  }
  return issues;
}

function accountIssues(scenario: Scenario): PathIssue[] {
  return scenario.accounts.flatMap((account, i): PathIssue[] => {
    if (account.password !== undefined && account.passwordEnv !== undefined) return [{ path: ['accounts', i, 'passwordEnv'], pointAt: 'key', message: 'give password or passwordEnv, not both' }];
    if (account.password === undefined && account.passwordEnv === undefined) return [{ path: ['accounts', i], message: 'an account needs password (may be "${ENV_NAME}") or passwordEnv' }];
    return [];
  });
}

/** Ring groups and queues: unique names, numbers that ring nothing else, members that are accounts. */
function groupIssues(scenario: Scenario): PathIssue[] {
  const issues: PathIssue[] = [];
  const extensions = new Set(scenario.accounts.map((a) => a.extension));
  const numbers = new Set<string>();
  for (const section of ['groups', 'queues'] as const) {
    const what = section === 'groups' ? 'group' : 'queue';
    const names = new Set<string>();
    (scenario[section] ?? []).forEach((entry, i) => {
      if (names.has(entry.name)) issues.push({ path: [section, i, 'name'], message: `${what} ${entry.name} is declared twice` });
      names.add(entry.name);
      if (extensions.has(entry.number) || numbers.has(entry.number)) issues.push({ path: [section, i, 'number'], message: `${entry.number} already rings an account, a group or a queue` });
      numbers.add(entry.number);
      entry.members.forEach((member, j) => {
        if (!extensions.has(member)) issues.push({ path: [section, i, 'members', j], message: `no account has extension ${JSON.stringify(member)} (accounts: ${[...extensions].join(', ')})` });
      });
    });
  }
  return issues;
}

export function checkTargetSemantics(scenario: Scenario): PathIssue[] {
  return [...targetIssues(scenario), ...accountIssues(scenario), ...groupIssues(scenario)];
}
