// The target a scenario names, started (embedded) or reached (sip; xivo, its accounts made through confd).

import type { Scenario } from '../scenario-schema.ts';
import { startEmbeddedTarget } from './embedded-target.ts';
import type { ScenarioTarget } from './scenario-target.ts';
import { startSipTarget } from './sip-target.ts';
import { startXivoTargetFromSpec } from './xivo-target.ts';

export function startTarget(scenario: Scenario): Promise<ScenarioTarget> {
  if (scenario.target.kind === 'xivo') return startXivoTargetFromSpec(scenario, scenario.target);
  return scenario.target.kind === 'sip' ? startSipTarget(scenario.target) : startEmbeddedTarget(scenario);
}
