// The RequestAuthenticator the B2BUA uses for calls and messages: 407 challenges (RFC 3261 §22.3).

import type { IncomingRequest } from '../sip/index.ts';
import { checkDigest, type DigestCheckDeps } from './digest-check.ts';
import type { AuthOutcome, RequestAuthenticator } from './request-authenticator.ts';

export class DigestAuthenticator implements RequestAuthenticator {
  readonly #deps: DigestCheckDeps;

  constructor(deps: DigestCheckDeps) {
    this.#deps = deps;
  }

  authenticate(incoming: IncomingRequest): AuthOutcome {
    return checkDigest(incoming, this.#deps, true);
  }
}
