// Which final response the caller gets when no fork answered: RFC 3261 §16.7 step 6, as a
// forking proxy chooses it, with the B2BUA's own "responses" (nobody answered in time, nobody
// registered) taking part on equal terms.

import type { SipResponse } from '../sip/index.ts';
import { causeOfFailure, type EndCause } from './end-cause.ts';
import { isLocalFailure } from './sip-helpers.ts';

export interface FinalCandidate {
  status: number;
  reason: string;
  cause: EndCause;
  /** The callee's response when one came: some of its headers are relayed (Retry-After, 3xx Contact). */
  response?: SipResponse | undefined;
  local: boolean;
}

export function candidateOf(response: SipResponse): FinalCandidate {
  const local = isLocalFailure(response);
  // A callee's challenge is for its own realm: the caller cannot answer it through us.
  if (response.status === 401 || response.status === 407) {
    return { status: 403, reason: 'Forbidden', cause: 'rejected', local };
  }
  return { status: response.status, reason: response.reason, cause: causeOfFailure(response.status, local), response, local };
}

/**
 * §16.7 step 6: a 6xx when there is one; otherwise "the proxy SHOULD choose from the lowest
 * response class stored in the response context"; within 4xx it "SHOULD give preference to
 * responses that provide information affecting resubmission of this request" — here busy (486)
 * before unavailable (480) before not found, and made-up timeouts and transport failures last.
 */
export function selectBest(candidates: readonly FinalCandidate[]): FinalCandidate | undefined {
  let best: FinalCandidate | undefined;
  for (const c of candidates) {
    if (best === undefined || compare(c, best) < 0) best = c;
  }
  return best;
}

/**
 * The status relayed to the caller. §16.7 step 6: a 503 from a branch "MUST NOT" be forwarded
 * upstream (it would say the IPBX itself is out of service): "the proxy SHOULD generate a 500".
 */
export function relayedStatus(c: FinalCandidate): { status: number; reason: string } {
  return c.status === 503 ? { status: 500, reason: 'Server Internal Error' } : { status: c.status, reason: c.reason };
}

// Most telling first; statuses not listed rank after these, in arrival order.
const PREFERRED_4XX = [486, 484, 415, 420, 488, 403, 480, 404, 410, 408, 487];

function compare(a: FinalCandidate, b: FinalCandidate): number {
  const sixA = a.status >= 600;
  const sixB = b.status >= 600;
  if (sixA !== sixB) return sixA ? -1 : 1;
  if (sixA) return 0;
  const classA = Math.floor(a.status / 100);
  const classB = Math.floor(b.status / 100);
  if (classA !== classB) return classA - classB;
  if (a.local !== b.local) return a.local ? 1 : -1;
  return rank(a.status) - rank(b.status);
}

function rank(status: number): number {
  const i = PREFERRED_4XX.indexOf(status);
  return i === -1 ? PREFERRED_4XX.length : i;
}
