// Who calls, as the callee sees it. RFC 3261 §8.1.1.3: From "indicates the logical identity of
// the initiator of the request"; a B2BUA originates the outbound leg, so it writes the From itself
// from the authenticated account: display name and extension at the IPBX's domain, never what
// the caller's phone put in its own From.

import type { Account } from '../accounts/account.ts';
import { NameAddr, SipUri, isSipUri, unescapeUriPart, type SipRequest } from '../sip/index.ts';
import { aorUri } from './sip-helpers.ts';

export interface CallerIdentity {
  extension: string;
  displayName: string;
  /** The From of outbound legs (without tag). */
  nameAddr: NameAddr;
  /** False when a dialplan rule let the caller in without authentication. */
  authenticated: boolean;
}

export function identityOfAccount(account: Account, domain: string): CallerIdentity {
  return {
    extension: account.extension,
    displayName: account.displayName,
    nameAddr: new NameAddr(aorUri(account.extension, domain), account.displayName === '' ? undefined : account.displayName),
    authenticated: true,
  };
}

/**
 * An unauthenticated caller (a rule with `allowUnauthenticated`): its From is presented as given,
 * at its own host, so it never looks like one of our accounts.
 */
export function identityOfUnauthenticated(request: SipRequest): CallerIdentity {
  const from = request.from;
  const user = isSipUri(from.uri) && from.uri.user !== undefined ? unescapeUriPart(from.uri.user) : 'anonymous';
  const uri = isSipUri(from.uri) ? new SipUri({ scheme: from.uri.scheme, user: from.uri.user, host: from.uri.host }) : from.uri;
  return {
    extension: user,
    displayName: from.displayName ?? '',
    nameAddr: new NameAddr(uri, from.displayName),
    authenticated: false,
  };
}
