// Ringing the target of a blind transfer: the Refer-To number goes through the dialplan as if
// the referrer had dialled it (its own devices and groups it belongs to are not rung), ring step
// after ring step and group fallbacks like a new call, but the INVITEs are the transfer's: the
// transferee's identity in From (the target sees who it will talk to), the referrer in
// Referred-By (RFC 3892), and no SDP (RFC 3261 §13.2.1: the target's 2xx offers its media, which
// the transferee is then re-INVITEd with). The forks belong to the transferred call: its end
// cancels them, like a caller's CANCEL would.

import type { NameAddr, SipResponse } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { MAX_FALLBACKS, NO_ANSWER } from './call-setup.ts';
import type { CallerIdentity } from './caller-identity.ts';
import { Fork } from './fork.ts';
import { relayedStatus, selectBest, type FinalCandidate } from './response-selection.ts';
import { planRoute } from './ring-plan.ts';
import { ringStep, type ForkFactory } from './ring-step.ts';

export interface TransferDial {
  number: string;
  /** Who the target sees calling: the transferee. */
  from: CallerIdentity;
  /** Who asked for it (RFC 3892 Referred-By), and as whom the number is routed. */
  referrer: CallerIdentity;
  /** The referrer's device, not rung for its own transfer. */
  referrerFlow: string | undefined;
  referredBy: NameAddr;
}

export type DialOutcome =
  | { kind: 'answered'; fork: Fork; response: SipResponse }
  | { kind: 'failed'; status: number; reason: string }
  /** The transferred call ended meanwhile. */
  | { kind: 'ended' };

export async function dialTransferTarget(ctx: B2buaContext, call: Call, dial: TransferDial): Promise<DialOutcome> {
  const invites: ForkFactory = {
    create: (ring, maxForwards) => {
      const fork = new Fork(ctx, ring, dial.from, dial.number, maxForwards);
      // RFC 3892 §3: the REFER-Recipient copies the referrer's identity into the request it sends.
      fork.invite.headers.append('Referred-By', dial.referredBy.toString());
      return fork;
    },
    offer: () => Promise.resolve(Buffer.alloc(0)),
  };
  const hooks = { onProvisional: () => undefined, invites };
  const tried: FinalCandidate[] = [];
  let decision = ctx.router.route(dial.number);
  for (let fallbacks = 0; ; fallbacks++) {
    const plan = planRoute(decision, ctx, dial.referrer, dial.referrerFlow);
    if (plan.kind === 'respond') {
      tried.push({ status: plan.status, reason: plan.reason, cause: plan.cause, local: false });
      break;
    }
    if (plan.kind === 'announce' || plan.kind === 'queue' || plan.kind === 'queue-agent') {
      // A transfer joins two parties; a number that plays a prompt or queues the caller is not one
      // (a transfer into a queue would need the transferee answered by the IPBX: not done yet).
      tried.push({ status: 488, reason: 'Not Acceptable Here', cause: 'rejected', local: false });
      break;
    }
    for (const step of plan.steps) {
      if (call.ended) return { kind: 'ended' };
      const outcome = await ringStep(ctx, call, step, hooks);
      if (outcome.kind === 'answered' || outcome.kind === 'ended') return outcome;
      tried.push(...outcome.candidates);
      if (outcome.kind === 'timeout') tried.push(NO_ANSWER);
      else if (outcome.refused && !plan.continueAfterRefusal) break;
    }
    if (plan.fallback === undefined || fallbacks >= MAX_FALLBACKS || call.ended) break;
    decision = ctx.router.route(plan.fallback);
  }
  if (call.ended) return { kind: 'ended' };
  return { kind: 'failed', ...relayedStatus(selectBest(tried) ?? NO_ANSWER) };
}
