// One ring step: INVITEs to every target at once (parallel forking, RFC 3261 §16.6/§16.7 as a
// B2BUA does it), the first 2xx wins and the other forks are cancelled; a 6xx ends the step
// (§16.7 step 5: "the stateful proxy SHOULD cancel all client pending transactions"); the
// step's timer cancels whatever still rings. The step resolves once; forks that answer after
// it are acknowledged and hung up.

import type { SipResponse } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { ANSWERED_ELSEWHERE, Fork } from './fork.ts';
import { candidateOf, type FinalCandidate } from './response-selection.ts';
import type { RingStep, RingTarget } from './ring-plan.ts';
import { outboundMaxForwards } from './sip-helpers.ts';

export type StepOutcome =
  | { kind: 'answered'; fork: Fork; response: SipResponse }
  /** Every fork failed, or one refused with a 6xx (`refused`). */
  | { kind: 'failed'; candidates: FinalCandidate[]; refused: boolean }
  /** The step's time ran out; `candidates` holds the forks that had failed by then. */
  | { kind: 'timeout'; candidates: FinalCandidate[] }
  /** The call ended meanwhile (caller CANCEL, API hangup). */
  | { kind: 'ended' };

export interface StepHooks {
  /** A provisional response of a fork, while the step is undecided. */
  onProvisional(fork: Fork, response: SipResponse): void;
  /** How the step's INVITEs are made: by default the caller's (its identity and offer); a transfer makes its own. */
  invites?: ForkFactory | undefined;
}

export interface ForkFactory {
  create(ring: RingTarget, maxForwards: number): Fork;
  /** The fork's offer; an empty buffer sends none (RFC 3261 §13.2.1: the 2xx will offer). */
  offer(fork: Fork): Promise<Buffer>;
}

export async function ringStep(ctx: B2buaContext, call: Call, step: RingStep, hooks: StepHooks): Promise<StepOutcome> {
  if (step.targets.length === 0) return { kind: 'failed', candidates: [step.nobody], refused: false };
  const maxForwards = outboundMaxForwards(call.invite.request.maxForwards);
  const invites = hooks.invites;
  const forks = step.targets.map((ring) => invites?.create(ring, maxForwards) ?? new Fork(ctx, ring, call.caller, call.callee, maxForwards));
  const offers = await Promise.all(forks.map((fork) => invites?.offer(fork) ?? offerFor(ctx, call, fork)));
  if (call.ended) return { kind: 'ended' };

  return new Promise<StepOutcome>((resolve) => {
    const candidates: FinalCandidate[] = [];
    let settled = false;
    let finals = 0;
    const settle = (outcome: StepOutcome, cancelReason?: string) => {
      settled = true;
      timer.cancel();
      stopWatching();
      for (const fork of forks) if (!fork.settled) fork.cancel(cancelReason);
      resolve(outcome);
    };
    const timer = call.setTimer(step.timeoutMs, () => {
      if (!settled) settle({ kind: 'timeout', candidates });
    });
    const stopWatching = call.onEnd(() => {
      if (!settled) settle({ kind: 'ended' });
    });
    const listener = {
      onProvisional: (fork: Fork, response: SipResponse) => {
        if (!settled && !call.ended) hooks.onProvisional(fork, response);
      },
      onFinal: (fork: Fork, response: SipResponse) => {
        call.forks.delete(fork);
        finals++;
        if (response.status >= 200 && response.status < 300) {
          if (settled || call.ended) fork.discard(response);
          else settle({ kind: 'answered', fork, response }, ANSWERED_ELSEWHERE);
          return;
        }
        if (settled) return;
        candidates.push(candidateOf(response));
        if (response.status >= 600) settle({ kind: 'failed', candidates, refused: true });
        else if (finals === forks.length) settle({ kind: 'failed', candidates, refused: false });
      },
    };
    forks.forEach((fork, i) => {
      if (settled) return;
      call.forks.add(fork);
      fork.start(listener, offers[i] ?? Buffer.alloc(0));
    });
  });
}

/** The caller's offer rewritten for this fork by the media hook; none for a late offer. */
async function offerFor(ctx: B2buaContext, call: Call, fork: Fork): Promise<Buffer> {
  if (call.lateOffer) return Buffer.alloc(0);
  return ctx.media.offer(call.invite.request.body, call.a.mediaInfo(call.id), fork.mediaInfo(call.id));
}
