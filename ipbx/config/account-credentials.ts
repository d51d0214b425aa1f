// Plain passwords become digest HA1 hashes (realm = the SIP domain) as soon as a config is
// loaded: the running IPBX and the files voiplab writes never hold a password.

import { ha1For, type DigestHashName } from '../sip/index.ts';
import type { AccountConfig, VoiplabConfig } from './config-schema.ts';

/** Every algorithm voiplab can challenge with, so changing security.digestAlgorithms later needs no new passwords. */
export const HA1_ALGORITHMS: readonly DigestHashName[] = ['MD5', 'SHA-256', 'SHA-512-256'];

export type Ha1Hashes = Partial<Record<DigestHashName, string>>;

export function ha1Hashes(extension: string, domain: string, password: string): Ha1Hashes {
  return Object.fromEntries(HA1_ALGORITHMS.map((a) => [a, ha1For(extension, domain, password, a)]));
}

/** The account with `password` replaced by its HA1 hashes (a new object; input unchanged). */
export function withHa1(account: AccountConfig, domain: string): AccountConfig {
  if (account.password === undefined) return account;
  const { password, ...rest } = account;
  return { ...rest, ha1: ha1Hashes(account.extension, domain, password) };
}

export function resolveCredentials(config: VoiplabConfig): VoiplabConfig {
  return { ...config, accounts: config.accounts.map((a) => withHa1(a, config.domain)) };
}
