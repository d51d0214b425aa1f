// What the dialplan's decision means for a call: either a final answer straight away (reject,
// redirect, unknown number, offline account, actions that need the media plane), a prompt, or a plan of
// ring steps — one step for an account (all its contacts in parallel), one per member for an
// in-turn group, one for all members of a simultaneous group — and a fallback number.

import type { GroupConfig } from '../config/config-schema.ts';
import type { AgentOperation } from '../queues/queue-service.ts';
import type { RouteDecision } from '../router/route-target.ts';
import type { Binding } from '../registrar/binding.ts';
import { SipUri, bareHost, parseUri, reasonPhrase, uriTransport, isSipUri, type SendTarget, type TransportProtocol, type Uri } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { CallerIdentity } from './caller-identity.ts';
import type { EndCause } from './end-cause.ts';
import type { FinalCandidate } from './response-selection.ts';
import { escapeUser } from './sip-helpers.ts';

export interface RingTarget {
  /** Request-URI of the fork: the registered Contact, or an external member's URI. */
  uri: Uri;
  /** The binding's flow; undefined for external members, whose URI is resolved (RFC 3263). */
  target: SendTarget | undefined;
  protocol: TransportProtocol;
  /** The account whose binding this is; undefined for external members. */
  extension?: string | undefined;
}

export interface RingStep {
  targets: RingTarget[];
  timeoutMs: number;
  /** What the step counts as when it has nobody to ring. */
  nobody: FinalCandidate;
}

export type RoutePlan =
  | {
    kind: 'ring';
    steps: RingStep[];
    /** Dialled through the dialplan again when nobody answered (ring groups). */
    fallback: string | undefined;
    /** Ring groups go on to the next member after a refusal; an account's refusal is final. */
    continueAfterRefusal: boolean;
  }
  | { kind: 'respond'; status: number; reason: string; cause: EndCause; headers: Array<[string, string]> }
  /** The IPBX answers with a prompt (announcement.ts); `next` is routed afterwards when given. */
  | { kind: 'announce'; file: string; next: string | undefined }
  /** The caller waits in a queue (queue-call.ts). */
  | { kind: 'queue'; queue: string; priority: number }
  /** A queue agent's feature code (queue-agent-code.ts). */
  | { kind: 'queue-agent'; operation: AgentOperation; queue: string | undefined };

type PlanContext = Pick<B2buaContext, 'accounts' | 'location' | 'groups' | 'domain' | 'noAnswerTimeoutMs' | 'media' | 'promptFile'>;

const OFFLINE: FinalCandidate = { status: 480, reason: 'Temporarily Unavailable', cause: 'offline', local: false };

function respond(status: number, cause: EndCause, reason = reasonPhrase(status), headers: Array<[string, string]> = []): RoutePlan {
  return { kind: 'respond', status, reason, cause, headers };
}

/** `callerFlow`: the device that sends the request is not one of its targets (calling one's own extension rings one's other devices). */
export function planRoute(decision: RouteDecision, ctx: PlanContext, caller: CallerIdentity, callerFlow?: string): RoutePlan {
  const targets = (extension: string) => bindingTargets(ctx, extension).filter((t) => t.target?.flowId !== callerFlow);
  if (decision.kind === 'no-match') return respond(404, 'unknown-number');
  const action = decision.action;
  switch (action.type) {
    case 'account': {
      const extension = action.extension ?? decision.number;
      const account = ctx.accounts.get(extension);
      if (account === undefined) return respond(404, 'unknown-number');
      const rung = account.enabled ? targets(extension) : [];
      if (rung.length === 0) return respond(480, 'offline');
      const timeoutMs = action.timeout === undefined ? ctx.noAnswerTimeoutMs : action.timeout * 1000;
      return { kind: 'ring', steps: [{ targets: rung, timeoutMs, nobody: OFFLINE }], fallback: undefined, continueAfterRefusal: false };
    }
    case 'group': {
      const group = ctx.groups().find((g) => g.name === action.group);
      if (group === undefined) return respond(404, 'unknown-number', 'Unknown Group');
      return groupPlan(ctx, group, caller, targets);
    }
    case 'reject':
      return respond(action.code, 'rejected', action.reason ?? reasonPhrase(action.code));
    case 'redirect': {
      // RFC 3261 §21.3.3: the client "SHOULD retry the request at the new address(es) given by the Contact header field".
      const contact = /^(sips?|tel):/i.test(action.target) ? action.target : `sip:${escapeUser(action.target)}@${ctx.domain}`;
      return respond(302, 'rejected', 'Moved Temporarily', [['Contact', `<${contact}>`]]);
    }
    case 'queue':
      if (!ctx.media.bridgesMedia) return respond(501, 'failed', 'Queues Need Media Mode rtpengine');
      return { kind: 'queue', queue: action.queue, priority: action.priority ?? 0 };
    case 'queue-agent':
      return { kind: 'queue-agent', operation: action.operation, queue: action.queue };
    case 'announcement': {
      if (!ctx.media.bridgesMedia) return respond(501, 'failed', 'Announcements Need Media Mode rtpengine');
      const file = ctx.promptFile(action.prompt);
      if (file === undefined) return respond(500, 'failed', 'Unknown Prompt');
      return { kind: 'announce', file, next: action.next };
    }
  }
}

function groupPlan(ctx: PlanContext, group: GroupConfig, caller: CallerIdentity, targets: (extension: string) => RingTarget[]): RoutePlan {
  const timeoutMs = group.memberTimeout * 1000;
  // The caller is not rung by a group it belongs to.
  const members = group.members.filter((m) => m !== caller.extension);
  const perMember = members.map((m) => memberTargets(ctx, m, targets));
  const steps: RingStep[] = group.strategy === 'in-turn'
    ? perMember.map((targets) => ({ targets, timeoutMs, nobody: OFFLINE }))
    : [{ targets: perMember.flat(), timeoutMs, nobody: OFFLINE }];
  return { kind: 'ring', steps, fallback: group.fallback, continueAfterRefusal: true };
}

/** What ringing queue members means: each one's live bindings (an unregistered member rings nowhere). */
export function queueMemberTargets(ctx: PlanContext, members: readonly string[]): RingTarget[] {
  return members.flatMap((m) => (ctx.accounts.get(m)?.enabled === true ? bindingTargets(ctx, m) : []));
}

/** An account's live bindings, or an external member's URI. */
function memberTargets(ctx: PlanContext, member: string, targets: (extension: string) => RingTarget[]): RingTarget[] {
  if (/^sips?:/i.test(member)) {
    try {
      const uri = parseUri(member);
      if (!isSipUri(uri)) return [];
      return [{ uri, target: undefined, protocol: uriTransport(uri) }];
    } catch {
      return [];
    }
  }
  const account = ctx.accounts.get(member);
  return account?.enabled === true ? targets(member) : [];
}

/**
 * Where to send a request for a binding. Streams: over the flow it registered on (RFC 5626 §5.3).
 * UDP: to the address the REGISTER came from (a NAT's public side), unless the Contact names that
 * very address: then nothing rewrote it, and its port is where the phone listens (a UA may
 * register from one port and take calls on another, as SIPp and some softphones do).
 */
function bindingTarget(b: Binding, uri: Uri): SendTarget {
  if (b.protocol === 'udp' && uri instanceof SipUri && uri.port !== undefined && uri.port !== b.source.port && bareHost(uri.host) === b.source.address) {
    return { protocol: 'udp', address: b.source.address, port: uri.port };
  }
  return { protocol: b.protocol, address: b.source.address, port: b.source.port, flowId: b.flowId };
}

function bindingTargets(ctx: PlanContext, extension: string): RingTarget[] {
  const targets: RingTarget[] = [];
  for (const b of ctx.location.lookup(extension)) {
    let uri: Uri;
    try {
      uri = parseUri(b.contact);
    } catch {
      continue;
    }
    targets.push({ uri, target: bindingTarget(b, uri), protocol: b.protocol, extension });
  }
  return targets;
}
