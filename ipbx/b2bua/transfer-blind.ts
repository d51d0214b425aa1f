// Blind transfer (RFC 5589 §6), carried out by the IPBX as the REFER's recipient: the referrer
// asked for its peer (the transferee) to be connected to a number. The number is rung without an
// offer; when the target answers, its offer goes to the transferee in a re-INVITE (as a
// third-party call controller does, RFC 3725: the transferee, likely held by the referrer,
// answers with its own media again), the transferee's answer goes to the target in its ACK, and
// the target's leg takes the referrer's place. The referrer hears how it went (NOTIFY 200, or
// the failure) and is then hung up.
//
// On failure the transferee stays with the referrer, who can take the held call back; if the
// referrer has hung up meanwhile, the call ends.

import type { SipResponse } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import type { Fork } from './fork.ts';
import type { Leg } from './leg.ts';
import type { ReferSubscription } from './refer-subscription.ts';
import { dialTransferTarget } from './transfer-dial.ts';
import { crossOffer, refusingAnswer, type TransferFailure } from './transfer-media.ts';
import { identityOfNumber, partyOf } from './transfer-party.ts';
import { releaseLeaving, swapLeg } from './transfer-swap.ts';

const INTERNAL_ERROR: TransferFailure = { status: 500, reason: 'Server Internal Error', transfereeGone: false };

export async function blindTransfer(ctx: B2buaContext, call: Call, referrer: Leg, number: string, subscription: ReferSubscription): Promise<void> {
  const transferee = referrer.peer;
  if (transferee === undefined) throw new Error('a blind transfer needs a connected call');
  call.transfer = { leaving: referrer };
  try {
    const referrerParty = partyOf(ctx, call, referrer);
    const outcome = await dialTransferTarget(ctx, call, {
      number,
      from: partyOf(ctx, call, transferee),
      referrer: referrerParty,
      referrerFlow: referrer.target.flowId,
      referredBy: referrerParty.nameAddr,
    });
    switch (outcome.kind) {
      case 'ended':
        await subscription.final(487, 'Request Terminated');
        return;
      case 'failed':
        await giveUp(call, referrer, transferee, subscription, { ...outcome, transfereeGone: false });
        return;
      case 'answered':
        await connect(ctx, call, referrer, transferee, number, outcome.fork, outcome.response, subscription);
    }
  } finally {
    if (call.transfer?.leaving === referrer) call.transfer = undefined;
  }
}

async function connect(
  ctx: B2buaContext, call: Call, referrer: Leg, transferee: Leg, number: string,
  fork: Fork, response: SipResponse, subscription: ReferSubscription,
): Promise<void> {
  const target = fork.legFor(response);
  const seq = fork.invite.cseq.seq;
  // Until its ACK, a BYE on this leg first acknowledges the 2xx (leg.bye()).
  target.owedAck = seq;
  let failure: TransferFailure | undefined = INTERNAL_ERROR;
  try {
    failure = await crossOffer(ctx, call, transferee, target, seq, response.body);
  } finally {
    if (failure !== undefined) {
      // RFC 3261 §13.2.2.4: the target's offer is answered all the same, then its dialog hung up.
      if (target.owedAck !== undefined) await target.ack(seq, response.body.length > 0 ? refusingAnswer(response.body) : undefined);
      target.bye();
    }
  }
  if (failure !== undefined) {
    await giveUp(call, referrer, transferee, subscription, failure);
    return;
  }
  swapLeg(ctx, call, referrer, target, target.party ?? identityOfNumber(number, ctx.domain));
  call.transfer = undefined;
  await subscription.final(200, 'OK');
  releaseLeaving(ctx, call, referrer);
}

/** The failure goes to the referrer; a call left without its referrer or its transferee ends. */
async function giveUp(call: Call, referrer: Leg, transferee: Leg, subscription: ReferSubscription, failure: TransferFailure): Promise<void> {
  call.transfer = undefined;
  if (failure.transfereeGone && !call.ended) {
    // RFC 3261 §12.2.1.2: the transferee's dialog is over (481/408), and so is the call.
    transferee.terminate();
    call.finish({ cause: 'failed', status: failure.status, by: 'system' });
  }
  if (referrer.ended && !call.ended) call.finish({ cause: 'answered', status: 200, by: 'system' });
  await subscription.final(failure.status, failure.reason);
}
