// Who takes part in a transfer: the party at the other end of a leg (as the other parties are to
// see it), and whether a request really comes from that party's device.

import { NameAddr, isReliable, type MessageSource } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import type { CallerIdentity } from './caller-identity.ts';
import type { Leg } from './leg.ts';
import { aorUri } from './sip-helpers.ts';

/** Who is at the other end of a leg of this call. */
export function partyOf(ctx: Pick<B2buaContext, 'domain'>, call: Call, leg: Leg): CallerIdentity {
  if (leg.party !== undefined) return leg.party;
  if (leg === call.a) return call.caller;
  return identityOfNumber(call.callee, ctx.domain);
}

/** A party known only by the number that reached it (an external member, a number with no account). */
export function identityOfNumber(number: string, domain: string): CallerIdentity {
  return { extension: number, displayName: '', nameAddr: new NameAddr(aorUri(number, domain)), authenticated: false };
}

/**
 * Whether a request comes from the device at the other end of `leg`: over the leg's flow (over
 * UDP: the same address and port), or over a connection from the same address (a phone may open
 * a new connection). A request inside a dialog is not challenged again: the dialog was set up by
 * an authenticated INVITE and its random tags (RFC 3261 §19.3) are known only to its parties;
 * this check keeps another device on the network from using identifiers it has seen.
 */
export function cameFromParty(leg: Leg, source: MessageSource): boolean {
  const target = leg.target;
  if (source.flowId === target.flowId) return true;
  if (source.protocol !== target.protocol || source.address !== target.address) return false;
  return isReliable(source.protocol) || source.port === target.port;
}
