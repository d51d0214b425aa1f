// Passwords kept out of scenario files: `passwordEnv: NAME`, or `${NAME}` inside a password, are
// read from the environment when a scenario starts. A variable that is not set stops the scenario
// before anything is started, naming the account and the variable (never a value).

import { ScenarioError } from '../scenario-errors.ts';
import type { Scenario } from '../scenario-schema.ts';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function variable(env: NodeJS.ProcessEnv, name: string, owner: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ScenarioError('SCENARIO_TARGET_FAILED', `${owner}: the environment variable ${name} (its password) is not set`);
  return value;
}

/** `${NAME}` parts replaced by the environment's values. */
export function expandSecret(text: string, env: NodeJS.ProcessEnv, owner: string): string {
  return text.replace(REFERENCE, (_, name: string) => variable(env, name, owner));
}

/** The scenario with every account's and phone's password read from the environment where asked. */
export function resolveScenarioSecrets(scenario: Scenario, env: NodeJS.ProcessEnv = process.env): Scenario {
  const accounts = scenario.accounts.map((account) => {
    const owner = `account ${account.extension}`;
    const password = account.passwordEnv === undefined ? expandSecret(account.password ?? '', env, owner) : variable(env, account.passwordEnv, owner);
    return { ...account, password };
  });
  const phones = Object.fromEntries(Object.entries(scenario.phones).map(([name, phone]) => [name,
    phone.password === undefined ? phone : { ...phone, password: expandSecret(phone.password, env, `phone ${name}`) }]));
  return { ...scenario, accounts, phones };
}
