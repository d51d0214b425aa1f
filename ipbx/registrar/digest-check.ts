// One digest check for REGISTER (401/WWW-Authenticate) and for calls and messages
// (407/Proxy-Authenticate). Unknown accounts, disabled accounts and wrong passwords get the same
// answer — a fresh challenge — so nobody can enumerate extensions; failures feed the ban guard.

import type { Account, AccountDirectory } from '../accounts/account.ts';
import { parseAuthValue, type DigestServer, type IncomingRequest } from '../sip/index.ts';

/** The part of the security guard the digest check needs (ipbx/security). */
export interface AuthGuard {
  mayTryAccount(address: string, extension: string): boolean;
  recordFailure(address: string, extension: string): void;
  recordSuccess(address: string, extension: string): void;
}

export type DigestCheck = { ok: true; account: Account } | { ok: false };

export interface DigestCheckDeps {
  digest: DigestServer;
  accounts: AccountDirectory;
  guard?: AuthGuard | undefined;
}

/**
 * Verifies the request's credentials; on failure it answers the challenge itself.
 * `proxy` selects 407 + Proxy-Authenticate (calls, messages) over 401 + WWW-Authenticate (REGISTER).
 */
export function checkDigest(incoming: IncomingRequest, deps: DigestCheckDeps, proxy: boolean): DigestCheck {
  const request = incoming.request;
  const values = proxy ? request.proxyAuthorization : request.authorization;
  const source = incoming.source.address;
  if (values.length === 0) return challenge(incoming, deps, proxy, false);
  const claimed = claimedUser(values);
  if (claimed !== undefined && deps.guard !== undefined && !deps.guard.mayTryAccount(source, claimed)) {
    // The account is under a guessing attack and this address never logged in: same answer as a wrong password.
    deps.guard.recordFailure(source, claimed);
    return challenge(incoming, deps, proxy, false);
  }
  const result = deps.digest.verify({
    authorizationValue: values,
    method: request.method,
    body: request.body,
    lookupHa1: (username, _realm, algorithm) => {
      const account = deps.accounts.get(username);
      return account?.enabled === true ? account.ha1[algorithm] : undefined;
    },
  });
  if (result.ok) {
    const account = deps.accounts.get(result.username);
    if (account === undefined) return challenge(incoming, deps, proxy, false);
    deps.guard?.recordSuccess(source, account.extension);
    return { ok: true, account };
  }
  // A stale nonce with the right password is not a failure (RFC 7616 §3.3): the UA retries at once.
  if (!result.stale) deps.guard?.recordFailure(source, claimed ?? '');
  return challenge(incoming, deps, proxy, result.stale);
}

function claimedUser(values: readonly string[]): string | undefined {
  for (const value of values) {
    try {
      const parsed = parseAuthValue(value);
      const username = parsed.params.get('username');
      if (parsed.scheme === 'Digest' && username !== undefined) return username;
    } catch {
      // A malformed credential claims nobody; verify() reports it as malformed.
    }
  }
  return undefined;
}

function challenge(incoming: IncomingRequest, deps: DigestCheckDeps, proxy: boolean, stale: boolean): DigestCheck {
  const header = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  incoming.respond(proxy ? 407 : 401, {
    headers: deps.digest.challenge({ stale }).map((value): [string, string] => [header, value]),
  });
  return { ok: false };
}
