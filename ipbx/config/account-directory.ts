// The accounts of a validated config as the registrar, router and B2BUA read them.

import type { Account, AccountDirectory } from '../accounts/account.ts';
import type { AccountConfig, VoiplabConfig } from './config-schema.ts';

export function toAccount(a: AccountConfig): Account {
  return { extension: a.extension, displayName: a.displayName, ha1: { ...a.ha1 }, enabled: a.enabled, transports: [...a.transports], maxContacts: a.maxContacts, ...(a.record === true ? { record: true } : {}), ...(a.dtmfMode === undefined ? {} : { dtmfMode: a.dtmfMode }) };
}

/** A directory whose contents are swapped on every config change; holders keep one reference. */
export class ConfigAccountDirectory implements AccountDirectory {
  #byExtension = new Map<string, Account>();

  constructor(config: VoiplabConfig) {
    this.update(config);
  }

  update(config: VoiplabConfig): void {
    this.#byExtension = new Map(config.accounts.map((a) => [a.extension, toAccount(a)]));
  }

  get(extension: string): Account | undefined {
    return this.#byExtension.get(extension);
  }

  list(): Account[] {
    return [...this.#byExtension.values()];
  }
}
