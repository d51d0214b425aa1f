// What the steps of a running scenario share: its phones by name, the target, the default bound.

import type { ScenarioPhone } from './phones/scenario-phone.ts';
import { StepFailure } from './scenario-errors.ts';
import type { Scenario } from './scenario-schema.ts';
import type { ScenarioTarget } from './targets/scenario-target.ts';

export interface ScenarioContext {
  scenario: Scenario;
  target: ScenarioTarget;
  phones: Map<string, ScenarioPhone>;
  defaultWithinMs: number;
}

export function phoneNamed(context: ScenarioContext, name: string): ScenarioPhone {
  const phone = context.phones.get(name);
  if (phone === undefined) throw new StepFailure(`no phone is named ${name}`);
  return phone;
}

/** A `call` step's `to`: a phone's name dials its account's extension, anything else is dialled as written. */
export function dialledNumber(context: ScenarioContext, to: string): string {
  const phone = context.scenario.phones[to];
  return phone === undefined ? to : phone.account;
}
