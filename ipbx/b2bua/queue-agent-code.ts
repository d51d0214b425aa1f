// A queue agent's feature code (dialplan action `queue-agent`, e.g. *31 log in, *32 log out, *33
// pause or resume, as XiVO's agent codes): the calling account's membership changes, and the IPBX
// answers with a confirmation prompt and hangs up. Without media (passthrough) there is no prompt
// to play: the result is the reason phrase of a 480 final response, which phones display.

import { QueueError } from '../queues/queue-errors.ts';
import type { AgentChange } from '../queues/queue-service.ts';
import { announce } from './announcement.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { finishUnanswered } from './call-setup.ts';
import type { RoutePlan } from './ring-plan.ts';

type AgentPlan = Extract<RoutePlan, { kind: 'queue-agent' }>;

const PROMPTS: Record<AgentChange['result'], { prompt: string; reason: string }> = {
  'logged-in': { prompt: 'agent-logged-in', reason: 'Agent Logged In' },
  'logged-out': { prompt: 'agent-logged-out', reason: 'Agent Logged Out' },
  'paused': { prompt: 'agent-paused', reason: 'Agent Paused' },
  'unpaused': { prompt: 'agent-unpaused', reason: 'Agent Available' },
};

export async function runAgentCode(ctx: B2buaContext, call: Call, plan: AgentPlan): Promise<void> {
  const extension = call.caller.extension;
  if (ctx.queues === undefined || !call.caller.authenticated || ctx.accounts.get(extension) === undefined) {
    finishUnanswered(call, { status: 403, reason: 'Queue Agents Must Be Accounts', cause: 'rejected', local: false }, []);
    return;
  }
  let changes: AgentChange[];
  try {
    changes = ctx.queues.agent(plan.operation, extension, plan.queue);
  } catch (err) {
    if (!(err instanceof QueueError)) throw err;
    const status = err.code === 'IPBX_QUEUE_NOT_FOUND' ? 404 : 403;
    finishUnanswered(call, { status, reason: reasonOf(err), cause: 'rejected', local: false }, [['Warning', `399 voiplab "${err.message.replaceAll('"', '\'')}"`]]);
    return;
  }
  // Several queues at once (no queue named) all changed the same way; a static member's login says it is in.
  const result = changes[0]?.result ?? (plan.operation === 'logout' ? 'logged-out' : 'logged-in');
  const { prompt, reason } = PROMPTS[result];
  const file = ctx.promptFile(prompt);
  if (!ctx.media.bridgesMedia || file === undefined) {
    finishUnanswered(call, { status: 480, reason, cause: 'rejected', local: false }, []);
    return;
  }
  await announce(ctx, call, { file, next: undefined });
}

function reasonOf(err: QueueError): string {
  switch (err.code) {
    case 'IPBX_QUEUE_NOT_FOUND': return 'Unknown Queue';
    case 'IPBX_QUEUE_AGENT_NOT_ALLOWED': return 'Not A Queue Agent';
    case 'IPBX_QUEUE_STATIC_MEMBER': return 'Static Queue Member';
    case 'IPBX_QUEUE_NOT_LOGGED_IN': return 'Agent Not Logged In';
  }
}
