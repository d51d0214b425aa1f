// Who is calling, before anything is routed: the registrar's digest check for every INVITE and
// MESSAGE from outside a dialog, unless the matched rule lets unauthenticated callers in (and
// even then credentials that are sent are checked, so a known caller keeps its identity).

import type { RequestAuthenticator } from '../registrar/request-authenticator.ts';
import type { RouteDecision } from '../router/route-target.ts';
import type { IncomingRequest } from '../sip/index.ts';
import { identityOfAccount, identityOfUnauthenticated, type CallerIdentity } from './caller-identity.ts';

/** The caller, or undefined when authentication failed (the authenticator has answered 401/403). */
export function identifyCaller(
  incoming: IncomingRequest, decision: RouteDecision, authenticator: RequestAuthenticator, domain: string,
): CallerIdentity | undefined {
  const request = incoming.request;
  const open = decision.kind === 'action' && decision.rule.allowUnauthenticated;
  if (open && request.authorization.length === 0 && request.proxyAuthorization.length === 0) {
    return identityOfUnauthenticated(request);
  }
  const outcome = authenticator.authenticate(incoming);
  return outcome.ok ? identityOfAccount(outcome.account, domain) : undefined;
}
