// re-INVITE and UPDATE from either side (hold, resume, codec changes): relayed to the peer leg in
// that leg's own dialog, the offer through the media hook one way and the answer the other, the
// response relayed back, and for a re-INVITE the ACKs on both legs. Glare is resolved as RFC 3261
// §14.2 says, and a peer that is gone (§12.2.1.2: 481 or 408) ends the call.

import type { IncomingRequest } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import { watchAck } from './ack-watch.ts';
import type { Call } from './call.ts';
import { CallStates } from './call-state.ts';
import type { Leg } from './leg.ts';
import { endIfPeerGone, relayedHeaders } from './request-relay.ts';
import { isHoldOffer, isInactive, withDirection } from './sdp-direction.ts';
import { ALLOW, respondOnce } from './sip-helpers.ts';

export async function relaySessionChange(ctx: B2buaContext, call: Call, leg: Leg, incoming: IncomingRequest): Promise<void> {
  const isInvite = incoming.method === 'INVITE';
  const peer = leg.peer;
  if (call.ended || (peer?.ended ?? false)) {
    // While a transfer brings in the new party, the one that left is not the end of this dialog:
    // the change waits (§14.1: 491, retried later) instead of a 481 that would end the session.
    incoming.respond(!call.ended && call.transfer !== undefined ? 491 : 481);
    return;
  }
  if (peer === undefined) {
    // An UPDATE on the caller's early dialog: nobody has answered yet to take the offer.
    incoming.respond(491);
    return;
  }
  if (isInvite && leg.receivingInvite) {
    // §14.2: "A UAS that receives a second INVITE before it sends the final response to a first
    // INVITE with a lower CSeq sequence number on the same dialog MUST return a 500 ... and MUST
    // include a Retry-After header field with a randomly chosen value of between 0 and 10 seconds."
    incoming.respond(500, { headers: [['Retry-After', String(Math.floor(Math.random() * 11))]] });
    return;
  }
  if (isInvite && leg.sendingInvite) {
    // §14.2: "A UAS that receives an INVITE on a dialog while an INVITE it had sent on that dialog is
    // in progress MUST return a 491 (Request Pending)".
    incoming.respond(491);
    return;
  }
  if (isInvite) {
    leg.receivingInvite = true;
    peer.sendingInvite = true;
  }
  try {
    await relay(ctx, call, leg, peer, incoming);
  } finally {
    if (isInvite) {
      leg.receivingInvite = false;
      peer.sendingInvite = false;
    }
  }
}

async function relay(ctx: B2buaContext, call: Call, leg: Leg, peer: Leg, incoming: IncomingRequest): Promise<void> {
  const request = incoming.request;
  const isInvite = request.method === 'INVITE';
  const contentType = request.headers.get('Content-Type');
  const offer = request.body.length > 0 && isSdp(contentType) ? request.body : undefined;
  let body = request.body;
  // An inactive hold is relayed as sendonly when the IPBX plays music: rtpengine sends nothing
  // towards a party whose peer is inactive. The holder's answer is made inactive again below.
  const inactiveHold = offer !== undefined && ctx.media.bridgesMedia && isInactive(offer);
  if (offer !== undefined) {
    body = await ctx.media.offer(inactiveHold ? withDirection(offer, 'sendonly') : offer, leg.mediaInfo(call.id), peer.mediaInfo(call.id));
  }
  if (call.ended || peer.ended) {
    respondOnce(incoming, 481);
    return;
  }
  const { request: out, response } = await peer.request(request.method, { body, contentType, headers: relayedHeaders(request) });
  if (response.status < 200 || response.status >= 300) {
    respondOnce(incoming, response.status === 503 ? 500 : response.status, {
      reason: response.status === 503 ? 'Server Internal Error' : response.reason,
      headers: response.headers.getAll('Retry-After').map((v): [string, string] => ['Retry-After', v]),
    });
    endIfPeerGone(call, peer, response);
    return;
  }
  // §12.2.1.2: a 2xx to a target refresh updates the peer's remote target.
  peer.dialog.receiveResponse(out, response);
  if (isInvite) {
    // With the offer in the request the peer's ACK is due now; without, the answer rides the originator's ACK.
    if (offer !== undefined) await peer.ack(out.cseq.seq);
    else peer.owedAck = out.cseq.seq;
  }
  let back = response.body;
  if (back.length > 0 && isSdp(response.headers.get('Content-Type'))) {
    back = offer !== undefined
      ? await ctx.media.answer(back, peer.mediaInfo(call.id), leg.mediaInfo(call.id)).then((b) => (inactiveHold ? withDirection(b, 'inactive') : b))
      // No offer in the request: the 2xx offers and the ACK will answer (§14.1, §13.2.1).
      : await ctx.media.offer(back, peer.mediaInfo(call.id), leg.mediaInfo(call.id));
  }
  const sent = respondOnce(incoming, response.status, {
    reason: response.reason,
    headers: [['Contact', leg.dialog.localContact.toString()], ['Allow', ALLOW]],
    ...(back.length > 0 ? { body: back, contentType: response.headers.get('Content-Type') ?? 'application/sdp' } : {}),
  });
  if (isInvite && sent !== undefined) {
    leg.awaitingAck = { seq: request.cseq.seq, relayTo: offer === undefined ? { leg: peer, seq: out.cseq.seq } : undefined };
    watchAck(ctx, call, leg, sent);
  }
  if (offer !== undefined) {
    // RFC 3264 §8.4: sendonly/inactive holds the call, a later sendrecv offer resumes it. The
    // held party (the peer) hears music on hold meanwhile, when media flows through the IPBX.
    if (isHoldOffer(offer)) {
      call.moveTo(CallStates.Held);
      ctx.media.hold(peer.mediaInfo(call.id)).catch((err: unknown) => ctx.report(err));
    } else if (call.state === CallStates.Held) {
      call.moveTo(CallStates.Answered);
      ctx.media.resume(peer.mediaInfo(call.id)).catch((err: unknown) => ctx.report(err));
    }
  }
}

function isSdp(contentType: string | undefined): boolean {
  return contentType === undefined || contentType.split(';')[0]?.trim().toLowerCase() === 'application/sdp';
}
