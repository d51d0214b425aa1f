// The re-INVITEs a transfer sends on its own (as a third-party call controller does, RFC 3725):
// with an offer (the new party's SDP, through the media hook) or without one, so that the 2xx
// offers the phone's current media; glare with the phone's own re-INVITE is resolved the way
// RFC 3261 §14.1 says. And the answer that refuses an offer the B2BUA must answer but cannot use.

import { isLocalFailure } from './sip-helpers.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Leg } from './leg.ts';
import type { SipRequest, SipResponse } from '../sip/index.ts';

export type ReinviteResult =
  | { ok: true; request: SipRequest; response: SipResponse }
  /** `gone`: the phone's dialog is over (§12.2.1.2: 481 or 408, or it could not be reached). */
  | { ok: false; status: number; reason: string; gone: boolean };

/** Tries after a 491 or while the leg's own re-INVITE is in progress, before giving up. */
const GLARE_ATTEMPTS = 4;

/**
 * A re-INVITE on `leg`, with `offer` or (empty) without. The 2xx updates the leg's dialog; its
 * ACK is the caller's to send (`leg.ack`), since without an offer it carries the answer.
 */
export async function reinvite(ctx: B2buaContext, leg: Leg, offer: Buffer): Promise<ReinviteResult> {
  for (let attempt = 1; ; attempt++) {
    if (leg.ended) return { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist', gone: true };
    // §14.1: "a UAC MUST NOT initiate a new INVITE transaction within a dialog while another INVITE transaction is in progress in either direction".
    if (!leg.sendingInvite && !leg.receivingInvite) {
      leg.sendingInvite = true;
      let sent: { request: SipRequest; response: SipResponse };
      try {
        sent = await leg.request('INVITE', offer.length > 0 ? { body: offer, contentType: 'application/sdp' } : {});
      } finally {
        leg.sendingInvite = false;
      }
      const { request, response } = sent;
      if (response.status >= 200 && response.status < 300) {
        leg.dialog.receiveResponse(request, response);
        return { ok: true, request, response };
      }
      if (response.status !== 491 || attempt >= GLARE_ATTEMPTS) {
        const gone = response.status === 481 || response.status === 408 || isLocalFailure(response);
        return { ok: false, status: response.status, reason: response.reason, gone };
      }
    } else if (attempt >= GLARE_ATTEMPTS) {
      return { ok: false, status: 491, reason: 'Request Pending', gone: false };
    }
    await new Promise<void>((resolve) => ctx.clock.setTimer(glareDelayMs(leg), resolve));
  }
}

/**
 * §14.1 after a 491: "If the UAC is the owner of the Call-ID of the dialog ID (meaning it
 * generated the value), T has a randomly chosen value between 2.1 and 4 seconds in units of 10
 * ms. If the UAC is not the owner of the Call-ID of the dialog ID, T has a randomly chosen value
 * of between 0 and 2 seconds in units of 10 ms." We own the Call-ID of the legs we called out on.
 */
function glareDelayMs(leg: Leg): number {
  const tens = leg.role === 'b' ? 210 + Math.floor(Math.random() * 191) : Math.floor(Math.random() * 201);
  return tens * 10;
}

/**
 * An answer that refuses every stream of `offer`. RFC 3261 §13.2.2.4: a UAC that does not want a
 * session offered in a 2xx "MUST generate a valid answer in the ACK and then send a BYE
 * immediately"; RFC 3264 §6: "To reject an offered stream, the port number in the corresponding
 * stream in the answer MUST be set to zero."
 */
export function refusingAnswer(offer: Buffer): Buffer {
  const lines = ['v=0', 'o=- 0 0 IN IP4 0.0.0.0', 's=-', 'c=IN IP4 0.0.0.0', 't=0 0'];
  for (const raw of offer.toString('utf8').split(/\r?\n/)) {
    const m = /^m=(\S+) \S+ (\S+) (\S+)/.exec(raw.trim());
    if (m !== null) lines.push(`m=${m[1] ?? 'audio'} 0 ${m[2] ?? 'RTP/AVP'} ${m[3] ?? '0'}`);
  }
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

export interface TransferFailure {
  status: number;
  reason: string;
  /** The transferee's dialog is over (§12.2.1.2), and with it its call. */
  transfereeGone: boolean;
}

export const TERMINATED: TransferFailure = { status: 487, reason: 'Request Terminated', transfereeGone: false };

/**
 * Connects the media of `target` and `transferee` (both legs of `call` once the transfer is done):
 * the offer `target` made in its 2xx to our INVITE of CSeq `seq` (not acknowledged yet) goes to
 * the transferee in a re-INVITE, and the transferee's answer to the target in that ACK. Undefined
 * once done; on failure the target's 2xx is still to be acknowledged (`refusingAnswer`).
 */
export async function crossOffer(
  ctx: B2buaContext, call: { id: string; ended: boolean }, transferee: Leg, target: Leg, seq: number, targetOffer: Buffer,
): Promise<TransferFailure | undefined> {
  // §13.2.1: a 2xx to an INVITE without offer carries one; without it there is nothing to give the transferee.
  if (targetOffer.length === 0) return { status: 488, reason: 'Not Acceptable Here', transfereeGone: false };
  const offer = await ctx.media.offer(targetOffer, target.mediaInfo(call.id), transferee.mediaInfo(call.id));
  if (call.ended || transferee.ended || target.ended) return TERMINATED;
  const result = await reinvite(ctx, transferee, offer);
  if (!result.ok) return { status: result.status, reason: result.reason, transfereeGone: result.gone };
  await transferee.ack(result.request.cseq.seq);
  const answer = await ctx.media.answer(result.response.body, transferee.mediaInfo(call.id), target.mediaInfo(call.id));
  await target.ack(seq, answer);
  return call.ended || target.ended ? TERMINATED : undefined;
}
