// MESSAGE outside a dialog (RFC 3428, pager mode): authenticated like a call, routed by the
// dialplan, sent to every contact the target has (From: the sender's account, To: the number),
// the first 2xx answers the sender; otherwise the best failure (RFC 3261 §16.7 step 6).

import type { RequestAuthenticator } from '../registrar/request-authenticator.ts';
import type { IncomingRequest, SipResponse } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import { identifyCaller } from './identify-caller.ts';
import { candidateOf, relayedStatus, selectBest, type FinalCandidate } from './response-selection.ts';
import { planRoute, type RingTarget } from './ring-plan.ts';
import { aorUri, dialledNumber, madeUpResponse, outboundMaxForwards, respondOnce } from './sip-helpers.ts';

export function relayMessage(ctx: B2buaContext, authenticator: RequestAuthenticator, incoming: IncomingRequest): void {
  const request = incoming.request;
  if (request.maxForwards === 0) {
    incoming.respond(483);
    return;
  }
  const number = dialledNumber(request.uri) ?? '';
  const decision = ctx.router.route(number);
  const sender = identifyCaller(incoming, decision, authenticator, ctx.domain);
  if (sender === undefined) return;
  const plan = planRoute(decision, ctx, sender, incoming.source.flowId);
  if (plan.kind === 'respond') {
    incoming.respond(plan.status, { reason: plan.reason, headers: plan.headers });
    return;
  }
  if (plan.kind === 'announce' || plan.kind === 'queue' || plan.kind === 'queue-agent') {
    // A prompt cannot be heard in a text message, nor can a message wait in a queue.
    incoming.respond(488, { reason: 'Not Acceptable Here' });
    return;
  }
  // Ring steps mean nothing to a message: every target gets it at once.
  const targets = plan.steps.flatMap((s) => s.targets);
  if (targets.length === 0) {
    incoming.respond(480);
    return;
  }
  const candidates: FinalCandidate[] = [];
  let pending = targets.length;
  const onResponse = (response: SipResponse) => {
    pending--;
    if (response.status >= 200 && response.status < 300) {
      respondOnce(incoming, response.status, { reason: response.reason });
      return;
    }
    candidates.push(candidateOf(response));
    if (pending > 0 || incoming.finalResponse !== undefined) return;
    const best = selectBest(candidates);
    const { status, reason } = best === undefined ? { status: 480, reason: 'Temporarily Unavailable' } : relayedStatus(best);
    respondOnce(incoming, status, { reason });
  };
  for (const target of targets) {
    send(ctx, incoming, sender.nameAddr.toString(), number, target).then(onResponse, (err: unknown) => {
      ctx.report(err);
      onResponse(madeUpResponse(request, 503));
    });
  }
}

function send(ctx: B2buaContext, incoming: IncomingRequest, from: string, number: string, target: RingTarget): Promise<SipResponse> {
  const original = incoming.request;
  const contentType = original.headers.get('Content-Type');
  const message = ctx.stack.createRequest('MESSAGE', target.uri, {
    from,
    to: `<${aorUri(number, ctx.domain).toString()}>`,
    ...(original.body.length > 0 ? { body: original.body, contentType: contentType ?? 'text/plain' } : {}),
  });
  message.headers.set('Max-Forwards', String(outboundMaxForwards(original.maxForwards)));
  return ctx.stack.send(message, target.target === undefined ? {} : { target: target.target });
}
