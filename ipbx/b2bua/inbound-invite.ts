// A new call: an INVITE from outside any dialog. Overload and merged-request checks first, then
// the dialled number is routed (so a rule can let unauthenticated callers in), the caller is
// authenticated, the call is opened with its inbound leg, and ringing starts. An INVITE with a
// Replaces header (RFC 3891) opens no call: it takes the place of a leg of one (transfer-replaces-invite.ts).

import type { RequestAuthenticator } from '../registrar/request-authenticator.ts';
import { reasonPhrase, type IncomingRequest } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import type { CallerIdentity } from './caller-identity.ts';
import { finishUnanswered, setUpCall } from './call-setup.ts';
import { identifyCaller } from './identify-caller.ts';
import { Leg } from './leg.ts';
import { dialledNumber, ourContact } from './sip-helpers.ts';
import { acceptReplacingInvite } from './transfer-replaces-invite.ts';

/** The B2BUA's table of calls in progress, as a new call needs it. */
export interface CallRegistry {
  readonly size: number;
  readonly maxCalls: number;
  /** RFC 3261 §8.2.2.2: a call opened by an INVITE with this Call-ID, From tag and CSeq. */
  hasInvite(callId: string, fromTag: string | undefined, seq: number): boolean;
  open(incoming: IncomingRequest, a: Leg, caller: CallerIdentity, callee: string): Call;
}

/** Seconds an overloaded B2BUA asks callers to wait (RFC 3261 §21.5.4). */
const RETRY_AFTER_S = 5;

export function acceptInvite(ctx: B2buaContext, calls: CallRegistry, authenticator: RequestAuthenticator, incoming: IncomingRequest): void {
  const request = incoming.request;
  if (calls.size >= calls.maxCalls) {
    incoming.respond(503, { reason: 'Too Many Calls', headers: [['Retry-After', String(RETRY_AFTER_S)]] });
    return;
  }
  // §8.2.2.2: the same request arriving again by another path (another branch) is a loop.
  if (calls.hasInvite(request.callId, request.from.tag, request.cseq.seq)) {
    incoming.respond(482, { reason: 'Loop Detected' });
    return;
  }
  // A request with no forwards left goes no further, as at a proxy (RFC 3261 §16.3 step 3).
  if (request.maxForwards === 0) {
    incoming.respond(483);
    return;
  }
  if (request.headers.has('Replaces')) {
    acceptReplacingInvite(ctx, authenticator, incoming);
    return;
  }
  const number = dialledNumber(request.uri) ?? '';
  const decision = ctx.router.route(number);
  const caller = identifyCaller(incoming, decision, authenticator, ctx.domain);
  if (caller === undefined) return;
  const a = Leg.inbound(incoming, ourContact(ctx.stack, incoming.source.protocol), ctx);
  a.party = caller;
  const call = calls.open(incoming, a, caller, number);
  // §9.2: the stack answers the CANCEL 200 and the INVITE 487; the forks are cancelled on the way out.
  incoming.onCancel(() => call.finish({ cause: 'cancelled', status: 487, by: 'caller' }));
  setUpCall(ctx, call, decision, incoming.source.flowId).catch((err: unknown) => {
    ctx.report(err);
    // A failure that names its SIP status (the media plane: 503 unreachable, 488 SDP refused) says it.
    const status = sipStatusOf(err) ?? 500;
    finishUnanswered(call, { status, reason: reasonPhrase(status), cause: 'failed', local: true }, []);
  });
}

function sipStatusOf(err: unknown): number | undefined {
  const status = err instanceof Error ? (err as { sipStatus?: unknown }).sipStatus : undefined;
  return typeof status === 'number' && status >= 400 && status < 700 ? status : undefined;
}
