// From the dialplan's decision to an answered or failed call: the plan's ring steps one after the
// other (in-turn groups), the fallback number routed again when nobody answered, and the best
// final response (RFC 3261 §16.7 step 6) when nothing worked.

import type { RouteDecision } from '../router/route-target.ts';
import type { SipResponse } from '../sip/index.ts';
import { announce, playToEnd } from './announcement.ts';
import { answerCall, connectAnswered } from './answer-call.ts';
import type { EndCause } from './end-cause.ts';
import { answeredLocally } from './local-answer.ts';
import { runAgentCode } from './queue-agent-code.ts';
import { waitInQueue } from './queue-call.ts';
import { callNeedsInjection } from './dtmf-translation.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { CallStates } from './call-state.ts';
import type { Fork } from './fork.ts';
import { relayProvisional } from './provisional-relay.ts';
import { relayedStatus, selectBest, type FinalCandidate } from './response-selection.ts';
import { planRoute, type RoutePlan } from './ring-plan.ts';
import { ringStep } from './ring-step.ts';
import { respondOnce } from './sip-helpers.ts';

/** A fallback may lead to another group with a fallback: bounded, so a loop in the config ends. */
export const MAX_FALLBACKS = 5;

/** What a step that ran out of time counts as (the caller's "no answer"). */
export const NO_ANSWER: FinalCandidate = { status: 480, reason: 'Temporarily Unavailable', cause: 'no-answer', local: false };

/** Headers of a callee's failure worth relaying: when to retry, and where a 3xx points. */
const RELAYED_FAILURE_HEADERS = ['Retry-After', 'Warning'];

/** `callerFlow`: the connection the INVITE came over, whose device is not rung for its own call. */
export async function setUpCall(ctx: B2buaContext, call: Call, decision: RouteDecision, callerFlow: string): Promise<void> {
  const tried: FinalCandidate[] = [];
  let current = decision;
  for (let fallbacks = 0; ; fallbacks++) {
    if (current.kind === 'action' && current.rule.record === true) call.recordRequested = true;
    const plan = planRoute(current, ctx, call.caller, callerFlow);
    if (plan.kind === 'respond') {
      finishUnanswered(call, { status: plan.status, reason: plan.reason, cause: plan.cause, local: false }, plan.headers);
      return;
    }
    if (plan.kind === 'announce') {
      const goOn = await announce(ctx, call, plan);
      if (!goOn || plan.next === undefined || fallbacks >= MAX_FALLBACKS) return;
      toRouting(call);
      current = ctx.router.route(plan.next);
      continue;
    }
    if (plan.kind === 'queue-agent') {
      await runAgentCode(ctx, call, plan);
      return;
    }
    if (plan.kind === 'queue') {
      const exit = await waitInQueue(ctx, call, plan);
      if (exit.kind === 'done') return;
      if (exit.kind === 'refused') {
        finishUnanswered(call, exit.candidate, []);
        return;
      }
      if (exit.kind === 'hangup' || fallbacks >= MAX_FALLBACKS) {
        await hangUpWithPrompt(ctx, call, exit.kind === 'hangup' ? exit : { prompt: 'unavailable', cause: 'no-answer' });
        return;
      }
      current = ctx.router.route(exit.number);
      continue;
    }
    if (ctx.media.bridgesMedia && !call.dtmfInjection && callNeedsInjection(ctx, call, plan.steps.flatMap((step) => step.targets))) {
      call.dtmfInjection = true;
      ctx.media.enableDtmfInjection(call.id);
    }
    const result = await ring(ctx, call, plan);
    if (result === 'done') return;
    tried.push(...result);
    if (plan.fallback === undefined || fallbacks >= MAX_FALLBACKS || call.ended) break;
    toRouting(call);
    current = ctx.router.route(plan.fallback);
  }
  const best = selectBest(tried) ?? NO_ANSWER;
  finishUnanswered(call, best, failureHeaders(best));
}

/** Runs the steps; 'done' once the call is answered or over, else what each step ended with. */
async function ring(ctx: B2buaContext, call: Call, plan: Extract<RoutePlan, { kind: 'ring' }>): Promise<'done' | FinalCandidate[]> {
  const candidates: FinalCandidate[] = [];
  const hooks = { onProvisional: (fork: Fork, response: SipResponse) => relayProvisional(ctx, call, fork, response) };
  for (const step of plan.steps) {
    if (call.ended) return 'done';
    const outcome = await ringStep(ctx, call, step, hooks);
    switch (outcome.kind) {
      case 'answered':
        // A caller the IPBX answered itself (sent on by a queue) is connected without a new answer.
        if (answeredLocally(call)) await connectAnswered(ctx, call, outcome.fork, outcome.response);
        else await answerCall(ctx, call, outcome.fork, outcome.response);
        return 'done';
      case 'ended':
        return 'done';
      case 'timeout':
        candidates.push(...outcome.candidates, NO_ANSWER);
        break;
      case 'failed':
        candidates.push(...outcome.candidates);
        if (outcome.refused && !plan.continueAfterRefusal) return candidates;
        break;
    }
  }
  return candidates;
}

function failureHeaders(best: FinalCandidate): Array<[string, string]> {
  const response = best.response;
  if (response === undefined) return [];
  const names = best.status >= 300 && best.status < 400 ? [...RELAYED_FAILURE_HEADERS, 'Contact'] : RELAYED_FAILURE_HEADERS;
  return names.flatMap((name) => response.headers.getAll(name).map((value): [string, string] => [name, value]));
}

/** A call routed again (a fallback, an announcement's next number); one the IPBX answered stays answered. */
function toRouting(call: Call): void {
  if (!answeredLocally(call)) call.moveTo(CallStates.Routing);
}

/** The IPBX tells an answered caller why it hangs up (a queue with no overflow number), then does. */
async function hangUpWithPrompt(ctx: B2buaContext, call: Call, end: { prompt: string; cause: EndCause }): Promise<void> {
  if (!answeredLocally(call)) {
    finishUnanswered(call, { status: 480, reason: 'Temporarily Unavailable', cause: end.cause, local: false }, []);
    return;
  }
  const file = ctx.promptFile(end.prompt);
  if (file !== undefined && !call.ended) {
    await ctx.media.stop(call.a.mediaInfo(call.id));
    await playToEnd(ctx, call, file);
  }
  call.finish({ cause: end.cause, status: 200, by: 'system' });
}

/** The caller's final failure response, and the end of the call. */
export function finishUnanswered(call: Call, candidate: FinalCandidate, headers: Array<[string, string]>): void {
  if (call.ended) return;
  const { status, reason } = relayedStatus(candidate);
  respondOnce(call.invite, status, { reason, headers });
  call.finish({ cause: candidate.cause, status, by: 'system' });
}
