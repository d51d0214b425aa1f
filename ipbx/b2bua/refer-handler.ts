// REFER inside a call (RFC 3515): the IPBX is the REFER's recipient and carries it out itself,
// never forwarding it (as Asterisk does). The referrer must be the party at the other end of the
// leg the REFER came on (the dialog's identifiers and the device it comes from), in an answered
// call with no other transfer under way. A REFER that can be carried out is answered 202 and the
// implicit subscription starts with `SIP/2.0 100 Trying`; the transfer itself is blind or
// attended (transfer-blind.ts, transfer-attended.ts) depending on the Refer-To.

import type { IncomingRequest } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { DialogEntry } from './dialog-table.ts';
import { readRefer } from './refer-request.ts';
import { ReferSubscription } from './refer-subscription.ts';
import { attendedTransfer } from './transfer-attended.ts';
import { blindTransfer } from './transfer-blind.ts';
import { cameFromParty } from './transfer-party.ts';

/** Seconds the subscription is announced for: beyond the time the target may ring. */
function subscriptionSeconds(ctx: B2buaContext): number {
  return Math.ceil(ctx.noAnswerTimeoutMs / 1000) + 60;
}

export function handleRefer(ctx: B2buaContext, entry: DialogEntry, incoming: IncomingRequest): void {
  const { leg, call } = entry;
  const request = incoming.request;
  // RFC 3261 §12.2.2: a request naming a dialog the B2BUA holds for someone else (another device
  // on the network), or one a transfer already took out of the call, is answered as unknown.
  if (call.ended || leg.ended || (leg !== call.a && leg !== call.b) || !cameFromParty(leg, incoming.source)) {
    incoming.respond(481);
    return;
  }
  const check = leg.dialog.receiveRequest(request);
  if (!check.ok) {
    incoming.respond(check.status, { reason: check.reason });
    return;
  }
  // RFC 3515 §2.4.2: if approval "is immediately denied, the UA MAY decline the request".
  const transferee = leg.peer;
  if (call.answeredAt === null || transferee === undefined || transferee.ended) {
    incoming.respond(403, { reason: 'Call Not Connected' });
    return;
  }
  if (call.transfer !== undefined) {
    incoming.respond(491, { reason: 'Transfer In Progress' });
    return;
  }
  const reading = readRefer(request);
  if (!reading.ok) {
    incoming.respond(reading.status, { reason: reading.reason });
    return;
  }
  // RFC 4488 §4: a recipient that will not create the subscription "MUST insert the Refer-Sub
  // header field set to false in the 2xx response".
  const headers: Array<[string, string]> = [['Contact', leg.dialog.localContact.toString()]];
  if (!reading.subscribe) headers.push(['Refer-Sub', 'false']);
  incoming.respond(202, { headers });
  const subscription = new ReferSubscription(leg, request.cseq.seq, {
    enabled: reading.subscribe, expiresS: subscriptionSeconds(ctx), report: (err) => ctx.report(err),
  });
  // RFC 3515 §2.4.5: "A minimal, but complete, implementation can respond with a single NOTIFY
  // containing either the body: SIP/2.0 100 Trying if the subscription is pending ..."
  subscription.progress(100, 'Trying');
  const target = reading.target;
  const transfer = target.kind === 'blind'
    ? blindTransfer(ctx, call, leg, target.number, subscription)
    : attendedTransfer(ctx, call, leg, target.replaces, incoming.source, subscription);
  transfer.catch((err: unknown) => {
    ctx.report(err);
    void subscription.final(500, 'Server Internal Error');
  });
}
