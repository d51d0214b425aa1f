// The check run after provisioning: confd must list every account complete (user, SIP endpoint
// with the right password, line, extension, associations), every call group and queue. The smoke
// scenario itself needs the scenario runner (issue 6), which does not exist yet: that is recorded
// as not run, never as passed.

import type { DesiredGroup } from '../plan/desired-state.ts';
import { planXivo } from '../plan/plan-xivo.ts';
import type { XivoInventory } from '../plan/xivo-inventory.ts';
import type { XivoFlavour } from '../xivo/index.ts';

export interface SmokeResult {
  check: 'passed' | 'failed' | 'not checked';
  detail: string;
  scenario: string;
}

export const SCENARIO_NOT_RUN = 'not run: the scenario runner (issue 6) is not built yet';

export function smokeCheck(desired: DesiredGroup, inv: XivoInventory | undefined, flavour: XivoFlavour, scenario: string | undefined): SmokeResult {
  const scenarioText = scenario === undefined ? 'none configured' : `${scenario}: ${SCENARIO_NOT_RUN}`;
  if (inv === undefined) return { check: 'not checked', detail: 'XiVO not reachable', scenario: scenarioText };
  const missing = planXivo(desired, inv, flavour.nameOf);
  if (missing.length === 0) {
    return { check: 'passed', detail: `confd lists all ${desired.accounts.length} accounts complete, ${desired.huntGroups.length} call groups, ${desired.queues.length} queues`, scenario: scenarioText };
  }
  return { check: 'failed', detail: `confd lacks: ${missing.map((a) => (a.kind === 'wizard' ? 'wizard' : a.kind === 'account' ? a.account.extension : a.kind === 'group' ? a.group.name : a.queue.name)).join(', ')}`, scenario: scenarioText };
}
