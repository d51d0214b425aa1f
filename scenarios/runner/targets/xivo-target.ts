// The `xivo` target: a XiVO (or Wazo 20.06) reached over its REST APIs. Before the run, each of the
// scenario's accounts is made through confd with the lab's own planner and executor (user, SIP
// endpoint with the account's password, line, extension, associations); phones then register to
// the XiVO's SIP address; after the run, what was made is removed again (associations first, as
// confd requires), unless `keep`. Accounts whose extension or SIP user already exists on the XiVO
// and was not made by a scenario are refused: a scenario never changes a student's account.

import { applyXivoAction } from '../../../lab/commands/apply-xivo.ts';
import { observeXivo } from '../../../lab/commands/observe.ts';
import { loadTlsTrust } from '../../../lab/lab-file/lab-tls.ts';
import type { DesiredAccount, DesiredXivo } from '../../../lab/plan/desired-state.ts';
import { planXivo } from '../../../lab/plan/plan-xivo.ts';
import { endpointByUsername, extensionOf, userByMarker, type XivoInventory } from '../../../lab/plan/xivo-inventory.ts';
import {
  XIVO_FLAVOURS, XivoClient, deleteEndpointSip, deleteExtension, deleteLine, deleteUser, unlinkLineEndpointSip, unlinkLineExtension, unlinkUserLine,
} from '../../../lab/xivo/index.ts';
import { ScenarioError } from '../scenario-errors.ts';
import type { Scenario, TargetSpec } from '../scenario-schema.ts';
import type { ScenarioTarget } from './scenario-target.ts';

export interface XivoTargetOptions {
  /** confd and xivo-auth of the XiVO, with its admin. */
  client: XivoClient;
  /** Where phones send SIP (UDP and TCP). */
  sip: { host: string; port: number };
  /** The SIP domain phones register in; the SIP host when absent. */
  domain?: string;
  /** Internal context of the lines made; `default` when absent. */
  context?: string;
  /** Leave what was made in place after the run. */
  keep?: boolean;
}

/** Marks the confd users a scenario made (the lab's own are `voiplab:EXT`). */
export const SCENARIO_USER_MARKER = 'voiplab-scenario:';

interface Made {
  users: Set<number>;
  endpoints: Set<number | string>;
  lines: Set<number>;
  extensions: Set<number>;
}

function idsOf(inv: XivoInventory): Made {
  return {
    users: new Set(inv.users.map((u) => u.id)), endpoints: new Set(inv.endpoints.map((e) => e.id)),
    lines: new Set(inv.lines.map((l) => l.id)), extensions: new Set(inv.extensions.map((e) => e.id)),
  };
}

function desiredAccounts(scenario: Scenario, context: string, sipOptions: string[][]): DesiredAccount[] {
  return scenario.accounts.map((a) => {
    if (a.password === undefined) throw new ScenarioError('SCENARIO_TARGET_FAILED', `account ${a.extension}: no password to give the XiVO`);
    return {
      extension: a.extension, firstname: a.displayName ?? 'Scenario', lastname: a.extension, webrtc: false, context,
      username: a.extension, password: a.password, options: sipOptions, userfield: `${SCENARIO_USER_MARKER}${a.extension}`,
    };
  });
}

/** Extensions or SIP users that exist on the XiVO but are not a scenario's: refused, never changed. */
function clashes(inv: XivoInventory, accounts: DesiredAccount[]): string[] {
  return accounts.flatMap((a) => {
    if (userByMarker(inv, a.userfield) !== undefined) return [];
    const taken = [
      ...(endpointByUsername(inv, a.username) === undefined ? [] : [`SIP user ${a.username}`]),
      ...(extensionOf(inv, a.extension, a.context) === undefined ? [] : [`extension ${a.extension}@${a.context}`]),
    ];
    return taken.length === 0 ? [] : [`${taken.join(' and ')} already exist${taken.length === 1 ? 's' : ''} and were not made by a scenario`];
  });
}

async function removeMade(client: XivoClient, inv: XivoInventory, made: Made): Promise<void> {
  for (const line of inv.lines.filter((l) => made.lines.has(l.id))) {
    for (const user of line.users ?? []) if (user.uuid !== undefined) await unlinkUserLine(client, user.uuid, line.id);
    for (const extension of line.extensions ?? []) await unlinkLineExtension(client, line.id, extension.id);
    if (line.endpoint_sip !== undefined && line.endpoint_sip !== null) await unlinkLineEndpointSip(client, line.id, line.endpoint_sip.id);
    await deleteLine(client, line.id);
  }
  for (const id of made.endpoints) await deleteEndpointSip(client, id);
  for (const id of made.extensions) await deleteExtension(client, id);
  for (const id of made.users) await deleteUser(client, id);
}

export async function startXivoTarget(scenario: Scenario, options: XivoTargetOptions): Promise<ScenarioTarget> {
  const { client, sip } = options;
  const product = `${client.flavour.product} at ${client.host}`;
  const logLines: string[] = [];
  // A desk-phone line as the flavour makes one (Wazo 26: its PJSIP templates and transport).
  const desired: DesiredXivo = { accounts: desiredAccounts(scenario, options.context ?? 'default', client.flavour.sip.options(false)), huntGroups: [], queues: [] };
  let inv: XivoInventory;
  try {
    inv = await observeXivo(client);
  } catch (err) {
    throw new ScenarioError('SCENARIO_TARGET_FAILED', `${product}: ${(err as Error).message}`, { cause: err });
  }
  if (!inv.configured) throw new ScenarioError('SCENARIO_TARGET_FAILED', `${product} has not been through its setup wizard; run voiplab lab up (or the wizard) first`);
  const refused = clashes(inv, desired.accounts);
  if (refused.length > 0) throw new ScenarioError('SCENARIO_TARGET_FAILED', `${product}: ${refused.join('; ')}; give the scenario's accounts numbers nobody uses`);
  const before = idsOf(inv);
  const made = (): Made => {
    const now = idsOf(inv);
    const added = <T>(all: Set<T>, old: Set<T>): Set<T> => new Set([...all].filter((id) => !old.has(id)));
    return { users: added(now.users, before.users), endpoints: added(now.endpoints, before.endpoints), lines: added(now.lines, before.lines), extensions: added(now.extensions, before.extensions) };
  };
  const cleanUp = async (): Promise<void> => {
    if (options.keep === true) return;
    await removeMade(client, inv, made());
  };
  try {
    for (const action of planXivo(desired, inv, client.flavour.nameOf)) {
      await applyXivoAction(client, desired, inv, action, () => Promise.reject(new Error('the wizard is not a scenario\'s to run')));
      if (action.kind === 'account') logLines.push(`xivo: account ${action.account.extension}: ${action.steps.join(', ')}`);
    }
  } catch (err) {
    await cleanUp().catch(() => undefined);
    throw new ScenarioError('SCENARIO_TARGET_FAILED', `${product}: provisioning the scenario's accounts failed: ${(err as Error).message}`, { cause: err });
  }
  return {
    domain: options.domain ?? sip.host,
    logLines,
    proxy: (protocol) => ({ protocol, address: sip.host, port: sip.port }),
    close: async () => {
      try {
        await cleanUp();
      } catch (err) {
        throw new ScenarioError('SCENARIO_TARGET_FAILED', `${product}: removing the scenario's accounts failed (${(err as Error).message}); remove the users marked ${SCENARIO_USER_MARKER}… by hand`, { cause: err });
      }
    },
  };
}

/** The embedded target's default domain: a xivo target given no domain registers in its host's. */
const UNSET_DOMAIN = 'voiplab.test';

/** `target: { kind: xivo, host, port, xivo: {…} }` of a scenario file; secrets from the environment. */
export async function startXivoTargetFromSpec(scenario: Scenario, spec: TargetSpec, env: NodeJS.ProcessEnv = process.env): Promise<ScenarioTarget> {
  const x = spec.xivo;
  if (spec.host === undefined || x === undefined) throw new ScenarioError('SCENARIO_TARGET_FAILED', 'a xivo target needs host (the XiVO\'s address) and xivo: { tls, … }');
  const passwordEnv = x.passwordEnv ?? 'XIVO_ADMIN_PASSWORD';
  const password = env[passwordEnv];
  if (password === undefined || password === '') throw new ScenarioError('SCENARIO_TARGET_FAILED', `xivo target: the environment variable ${passwordEnv} (the XiVO admin's password) is not set`);
  const username = x.usernameEnv === undefined ? 'root' : env[x.usernameEnv];
  if (username === undefined || username === '') throw new ScenarioError('SCENARIO_TARGET_FAILED', `xivo target: the environment variable ${x.usernameEnv ?? ''} (the XiVO admin) is not set`);
  let trust;
  try {
    trust = await loadTlsTrust(x.tls, process.cwd(), 'target.xivo.tls');
  } catch (err) {
    throw new ScenarioError('SCENARIO_TARGET_FAILED', (err as Error).message, { cause: err });
  }
  const client = new XivoClient({
    host: spec.host, confdPort: x.confdPort ?? 9486, authPort: x.authPort ?? 9497, trust, flavour: XIVO_FLAVOURS[x.flavour ?? 'xivo-16.15'], username, password,
  });
  return startXivoTarget(scenario, {
    client, sip: { host: spec.host, port: spec.port ?? 5060 }, context: x.context ?? 'default', keep: x.keep ?? false,
    ...(spec.domain === UNSET_DOMAIN ? {} : { domain: spec.domain }),
  });
}
