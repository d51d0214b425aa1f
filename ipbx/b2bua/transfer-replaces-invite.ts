// An INVITE with a Replaces header (RFC 3891) arriving at the IPBX: the new dialog takes the
// place of one of the IPBX's legs in an answered call — a user moving a call to another of their
// devices, or a phone completing a transfer that way. The caller is authenticated like any
// INVITE and must be the account at the other end of the replaced leg. The peer of that leg is
// re-INVITEd with the new device's media (through the media hook), the new device gets the
// peer's answer in the 200, and the replaced leg gets a BYE.

import type { RequestAuthenticator } from '../registrar/request-authenticator.ts';
import { DialogState, type IncomingRequest } from '../sip/index.ts';
import type { Account } from '../accounts/account.ts';
import { watchAck } from './ack-watch.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { identityOfAccount } from './caller-identity.ts';
import { Leg } from './leg.ts';
import { ALLOW, ourContact, respondOnce } from './sip-helpers.ts';
import { reinvite } from './transfer-media.ts';
import { findReplaced, parseReplaces } from './transfer-replaces.ts';
import { swapLeg } from './transfer-swap.ts';

export function acceptReplacingInvite(ctx: B2buaContext, authenticator: RequestAuthenticator, incoming: IncomingRequest): void {
  const values = incoming.request.headers.getAll('Replaces');
  // RFC 3891 §3: "If more than one Replaces header field is present in an INVITE ... the UAS MUST
  // reject the request with a 400 Bad Request response."
  const id = values.length === 1 ? parseReplaces(values[0] ?? '') : undefined;
  if (id === undefined) {
    incoming.respond(400, { reason: values.length === 1 ? 'Bad Replaces' : 'More Than One Replaces' });
    return;
  }
  const auth = authenticator.authenticate(incoming);
  if (!auth.ok) return;
  const entry = findReplaced(ctx.dialogs, id);
  // §3: "If no match is found, the UAS rejects the INVITE and returns a 481 Call/Transaction Does
  // Not Exist response"; an early dialog "that was not initiated by this UA" gets the same (a
  // caller's leg while it rings), and so does a leg that is over or no longer in its call.
  const replaced = entry?.leg;
  const call = entry?.call;
  if (replaced === undefined || call === undefined || call.ended || replaced.ended || (replaced !== call.a && replaced !== call.b)
    || call.answeredAt === null || replaced.peer === undefined || replaced.peer.ended) {
    incoming.respond(481);
    return;
  }
  // §3: a confirmed dialog with the "early-only" flag: "the UA rejects the request with a 486 Busy response".
  if (id.earlyOnly) {
    incoming.respond(486);
    return;
  }
  // §6.1 leaves who may replace a dialog to the UAS's policy: here only the account at its other end.
  if (replaced.party?.extension !== auth.account.extension) {
    incoming.respond(403);
    return;
  }
  if (call.transfer !== undefined) {
    incoming.respond(491, { reason: 'Transfer In Progress' });
    return;
  }
  replaceLeg(ctx, call, replaced, incoming, auth.account).catch((err: unknown) => {
    ctx.report(err);
    respondOnce(incoming, 500);
  });
}

async function replaceLeg(ctx: B2buaContext, call: Call, replaced: Leg, incoming: IncomingRequest, account: Account): Promise<void> {
  const peer = replaced.peer;
  if (peer === undefined) return;
  const joining = Leg.inbound(incoming, ourContact(ctx.stack, incoming.source.protocol), ctx);
  const party = identityOfAccount(account, ctx.domain);
  joining.party = party;
  call.transfer = { leaving: replaced };
  try {
    const request = incoming.request;
    // Without an offer in the INVITE (§13.2.1) the peer is asked for one, which the 200 carries.
    const offer = request.body.length > 0 ? await ctx.media.offer(request.body, joining.mediaInfo(call.id), peer.mediaInfo(call.id)) : Buffer.alloc(0);
    if (incoming.cancelled || call.ended || peer.ended) {
      respondOnce(incoming, 481);
      return;
    }
    const result = await reinvite(ctx, peer, offer);
    if (!result.ok) {
      respondOnce(incoming, result.status === 503 ? 500 : result.status, { reason: result.status === 503 ? 'Server Internal Error' : result.reason });
      if (result.gone && !call.ended) {
        peer.terminate();
        call.finish({ cause: 'failed', status: result.status, by: 'system' });
      }
      return;
    }
    const peerSeq = result.request.cseq.seq;
    let back = result.response.body;
    if (offer.length > 0) {
      await peer.ack(peerSeq);
      if (back.length > 0) back = await ctx.media.answer(back, peer.mediaInfo(call.id), joining.mediaInfo(call.id));
    } else {
      // The peer's 2xx offers; its ACK waits for the answer in the new device's ACK (in-dialog.ts relays it).
      peer.owedAck = peerSeq;
      if (back.length > 0) back = await ctx.media.offer(back, peer.mediaInfo(call.id), joining.mediaInfo(call.id));
    }
    joining.dialog.transition(DialogState.Confirmed);
    const sent = call.ended ? undefined : respondOnce(incoming, 200, {
      headers: [['Contact', joining.dialog.localContact.toString()], ['Allow', ALLOW]],
      ...(back.length > 0 ? { body: back, contentType: 'application/sdp' } : {}),
    });
    if (sent === undefined) {
      // Cancelled (or the call ended) on the way: the peer's session stays with the replaced leg.
      if (peer.owedAck !== undefined) await peer.ack(peerSeq);
      return;
    }
    joining.awaitingAck = { seq: request.cseq.seq, relayTo: offer.length === 0 ? { leg: peer, seq: peerSeq } : undefined };
    swapLeg(ctx, call, replaced, joining, party);
    watchAck(ctx, call, joining, sent);
    // §3: once the new dialog is set up, the replaced one is ended with a BYE.
    replaced.bye();
    ctx.dialogs.remove(replaced);
  } finally {
    if (call.transfer?.leaving === replaced) call.transfer = undefined;
  }
}
