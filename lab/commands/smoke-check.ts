// The check run after provisioning: confd must list every account complete (user, SIP endpoint
// with the right password, line, extension, associations), every call group and queue. With it
// goes the smoke scenario's verdict (smoke-scenario.ts): phones really registering and calling.

import type { DesiredGroup } from '../plan/desired-state.ts';
import { planXivo } from '../plan/plan-xivo.ts';
import type { XivoInventory } from '../plan/xivo-inventory.ts';
import type { XivoFlavour } from '../xivo/index.ts';
import type { SmokeOutcome } from './smoke-scenario.ts';

export interface SmokeResult {
  check: 'passed' | 'failed' | 'not checked';
  detail: string;
  scenario: SmokeOutcome;
}

export function smokeCheck(desired: DesiredGroup, inv: XivoInventory | undefined, flavour: XivoFlavour, scenario: SmokeOutcome): SmokeResult {
  if (inv === undefined) return { check: 'not checked', detail: 'XiVO not reachable', scenario };
  const missing = planXivo(desired, inv, flavour.nameOf);
  if (missing.length === 0) {
    return { check: 'passed', detail: `confd lists all ${desired.accounts.length} accounts complete, ${desired.huntGroups.length} call groups, ${desired.queues.length} queues`, scenario };
  }
  return { check: 'failed', detail: `confd lacks: ${missing.map((a) => (a.kind === 'wizard' ? 'wizard' : a.kind === 'account' ? a.account.extension : a.kind === 'group' ? a.group.name : a.queue.name)).join(', ')}`, scenario };
}

/** `passed`, `failed: …` or `not run: …`, for a line or a table cell. */
export function smokeText(outcome: SmokeOutcome): string {
  return `${outcome.verdict}: ${outcome.detail}`;
}
