// Attended transfer (RFC 5589 §7), carried out by the IPBX: the referrer has a call with the
// transferee (call 1, where the REFER came) and a call with the target (call 2, named by the
// Replaces in the Refer-To, with the identifiers of the referrer's own leg of it). The IPBX does
// what the transferee's INVITE with Replaces would have done in a proxied network: it asks the
// target for its current media (a re-INVITE without offer, RFC 3725 style), gives it to the
// transferee in a re-INVITE, answers the target with the transferee's answer (the other way round
// when the target is a browser, see `bridge`), and connects the
// two: the target's leg moves into call 1 in the referrer's place, call 2 ends (cause
// `transferred`, a BYE to the referrer's leg of it, as the target would send, RFC 5589 §7.1), and
// the referrer's leg of call 1 is hung up after the final NOTIFY unless the referrer does it.
//
// When the transferee refuses the target's media after the target gave it, the target's offer
// is answered with every stream refused (RFC 3264 §6): its call with the referrer goes on without
// media until the referrer re-INVITEs it (retrieving the call does).

import type { MessageSource } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import type { DialogEntry } from './dialog-table.ts';
import type { Leg } from './leg.ts';
import type { ReferSubscription } from './refer-subscription.ts';
import { crossOffer, refusingAnswer, reinvite, TERMINATED, type TransferFailure } from './transfer-media.ts';
import { cameFromParty, partyOf } from './transfer-party.ts';
import { findReplaced, type ReplacesId } from './transfer-replaces.ts';
import { releaseLeaving, swapLeg } from './transfer-swap.ts';

interface Consultation {
  /** Call 2 and the referrer's leg of it. */
  call: Call;
  leg: Leg;
  /** The target's leg of call 2. */
  target: Leg;
}

export async function attendedTransfer(
  ctx: B2buaContext, call: Call, referrer: Leg, replaces: ReplacesId, source: MessageSource, subscription: ReferSubscription,
): Promise<void> {
  const transferee = referrer.peer;
  if (transferee === undefined) throw new Error('an attended transfer needs a connected call');
  const found = findConsultation(ctx, call, replaces, source);
  if ('status' in found) {
    await subscription.final(found.status, found.reason);
    return;
  }
  const other = found;
  call.transfer = { leaving: referrer };
  other.call.transfer = { leaving: other.leg };
  let failure: TransferFailure | undefined;
  try {
    failure = await bridge(ctx, call, transferee, other);
    if (failure === undefined) {
      const party = partyOf(ctx, other.call, other.target);
      other.call.departed.add(other.target);
      other.leg.peer = undefined;
      swapLeg(ctx, call, referrer, other.target, party);
      other.call.transfer = undefined;
      other.call.finish({ cause: 'transferred', status: 200, by: 'system' });
    }
  } finally {
    if (call.transfer?.leaving === referrer) call.transfer = undefined;
    if (other.call.transfer?.leaving === other.leg) other.call.transfer = undefined;
  }
  if (failure === undefined) {
    await subscription.final(200, 'OK');
    releaseLeaving(ctx, call, referrer);
    return;
  }
  if (failure.transfereeGone && !call.ended) {
    // RFC 3261 §12.2.1.2: the transferee's dialog is over (481/408), and so is its call.
    transferee.terminate();
    call.finish({ cause: 'failed', status: failure.status, by: 'system' });
  }
  // A call whose referrer's leg hung up while the transfer was tried has nobody on that side left.
  for (const [c, leg] of [[call, referrer], [other.call, other.leg]] as const) {
    if (leg.ended && !c.ended) c.finish({ cause: 'answered', status: 200, by: 'system' });
  }
  await subscription.final(failure.status, failure.reason);
}

/**
 * Call 2, from the Replaces: the referrer's own leg of another answered call. RFC 3891 §3 gives the
 * answers a UAS gives to an INVITE with Replaces; they go to the referrer as the NOTIFY's status.
 */
function findConsultation(ctx: B2buaContext, call: Call, replaces: ReplacesId, source: MessageSource): Consultation | { status: number; reason: string } {
  const entry: DialogEntry | undefined = findReplaced(ctx.dialogs, replaces);
  // §3: "If no match is found, the UAS rejects the INVITE and returns a 481 Call/Transaction Does Not Exist response."
  if (entry === undefined || entry.call.ended || entry.leg.ended) return { status: 481, reason: 'Call/Transaction Does Not Exist' };
  const { call: other, leg } = entry;
  // Only the referrer's own calls: its device is at the other end of that leg too.
  if (other === call || (leg !== other.a && leg !== other.b) || !cameFromParty(leg, source)) return { status: 403, reason: 'Forbidden' };
  const target = leg.peer;
  // §3: an early dialog "that was not initiated by this UA" is answered 481; a call still ringing is one.
  if (other.answeredAt === null || target === undefined || target.ended) return { status: 481, reason: 'Call/Transaction Does Not Exist' };
  // §3: "If the Replaces header field matches a confirmed dialog, it checks for the presence of the
  // "early-only" flag ... If the flag is present, the UA rejects the request with a 486 Busy response."
  if (replaces.earlyOnly) return { status: 486, reason: 'Busy Here' };
  if (other.transfer !== undefined) return { status: 491, reason: 'Request Pending' };
  return { call: other, leg, target };
}

/**
 * The target's current media to the transferee and back; undefined once both have each other's.
 * One party is asked for its current media (a re-INVITE without offer), which goes to the other
 * in a re-INVITE; the other's answer goes back in the ACK. The target is asked, unless it is a
 * browser: a browser moving in must be the one offered to, since only an offer lets rtpengine show
 * it a new DTLS fingerprint, without which it keeps its old DTLS association (rtpengine-media-hook.ts).
 */
async function bridge(ctx: B2buaContext, call: Call, transferee: Leg, other: Consultation): Promise<TransferFailure | undefined> {
  const { target } = other;
  const [asked, offered] = isWebRtc(target) ? [transferee, target] : [target, transferee];
  // RFC 3261 §14.2: "A UAS providing an offer in a 2xx (because the INVITE did not contain an
  // offer) SHOULD construct the offer as if the UAS were making a brand new call": its media as it is.
  const reply = await reinvite(ctx, asked, Buffer.alloc(0));
  if (!reply.ok) return { status: reply.status, reason: reply.reason, transfereeGone: asked === transferee && reply.gone };
  const seq = reply.request.cseq.seq;
  asked.owedAck = seq;
  const offer = reply.response.body;
  let failure: TransferFailure | undefined = { status: 500, reason: 'Server Internal Error', transfereeGone: false };
  try {
    failure = call.ended || other.call.ended ? TERMINATED : await crossOffer(ctx, call, offered, asked, seq, offer);
    // crossOffer re-INVITEd `offered`: when that is the target, its dialog ending is not the transferee's.
    if (failure !== undefined && failure !== TERMINATED && offered !== transferee) failure = { ...failure, transfereeGone: false };
  } finally {
    // RFC 3261 §13.2.2.4: an offer in a 2xx is answered in the ACK even when it cannot be used.
    if (failure !== undefined && asked.owedAck !== undefined) {
      await asked.ack(seq, offer.length > 0 ? refusingAnswer(offer) : undefined);
    }
  }
  return failure;
}

function isWebRtc(leg: Leg): boolean {
  return leg.protocol === 'ws' || leg.protocol === 'wss';
}
