// The configuration as the running IPBX and its API see it: read the current config, change
// accounts, groups and dialplan; every change is validated, written back to voiplab.yaml
// (comments kept, passwords only as HA1) and announced with `changed`.

import type { EventEmitter } from 'node:events';
import type { Account, AccountDirectory } from '../accounts/account.ts';
import type { DialplanRule, GroupConfig, QueueConfig, VoiplabConfig } from './config-schema.ts';

export interface AccountInput {
  extension: string;
  password?: string | undefined;
  displayName?: string | undefined;
  enabled?: boolean | undefined;
  transports?: Account['transports'] | undefined;
  maxContacts?: number | undefined;
}

export type AccountPatch = Partial<Omit<AccountInput, 'extension'>>;

export interface ConfigServiceEvents {
  changed: [VoiplabConfig];
}

export interface ConfigService extends EventEmitter<ConfigServiceEvents> {
  /** The validated config, defaults applied; accounts carry HA1 hashes, never passwords. */
  readonly current: VoiplabConfig;
  readonly accounts: AccountDirectory;
  /** Throws ConfigError (IPBX_ACCOUNT_EXISTS, IPBX_CONFIG_INVALID with the field). */
  createAccount(input: AccountInput): Promise<Account>;
  /** Throws ConfigError (IPBX_ACCOUNT_NOT_FOUND, IPBX_CONFIG_INVALID). */
  updateAccount(extension: string, patch: AccountPatch): Promise<Account>;
  /** False when there was no such account. */
  removeAccount(extension: string): Promise<boolean>;
  replaceDialplan(rules: DialplanRule[]): Promise<void>;
  replaceGroups(groups: GroupConfig[]): Promise<void>;
  replaceQueues(queues: QueueConfig[]): Promise<void>;
}
