// Other in-dialog requests (INFO with DTMF, MESSAGE, NOTIFY, OPTIONS…): the same method sent in
// the peer leg's dialog with the body and the headers that give it meaning, and the peer's
// response relayed back with its body.

import type { IncomingRequest, SipRequest, SipResponse } from '../sip/index.ts';
import type { Call } from './call.ts';
import type { Leg } from './leg.ts';
import { isLocalFailure, respondOnce } from './sip-helpers.ts';

/** Headers that travel with a relayed body: the INFO package (RFC 6086), event packages (RFC 6665), Reason (RFC 3326). */
const RELAYED = ['Info-Package', 'Recv-Info', 'Content-Disposition', 'Event', 'Subscription-State', 'Reason', 'Subject'];

export function relayedHeaders(request: SipRequest): Array<[string, string]> {
  return RELAYED.flatMap((name) => request.headers.getAll(name).map((v): [string, string] => [name, v]));
}

export async function relayRequest(call: Call, leg: Leg, incoming: IncomingRequest): Promise<void> {
  const request = incoming.request;
  const peer = leg.peer;
  if (peer === undefined || peer.ended || call.ended) {
    // §12.2.1.2: a 481 ends the sender's dialog; while a transfer brings in the new party it is
    // only refused for now (491, as for a session change then, RFC 3261 §14.1).
    incoming.respond(!call.ended && call.transfer !== undefined ? 491 : 481);
    return;
  }
  const { response } = await peer.request(request.method, {
    body: request.body,
    contentType: request.headers.get('Content-Type'),
    headers: relayedHeaders(request),
  });
  const contentType = response.headers.get('Content-Type');
  respondOnce(incoming, response.status === 503 ? 500 : response.status, {
    reason: response.status === 503 ? 'Server Internal Error' : response.reason,
    headers: response.headers.getAll('Retry-After').map((v): [string, string] => ['Retry-After', v]),
    ...(response.body.length > 0 && contentType !== undefined ? { body: response.body, contentType } : {}),
  });
  endIfPeerGone(call, peer, response);
}

/**
 * §12.2.1.2: "If the response for a request within a dialog is a 481 (Call/Transaction Does Not
 * Exist) or a 408 (Request Timeout), the UAC SHOULD terminate the dialog"; so does a transport
 * failure. The call ends (cause failed) and the other leg gets a BYE.
 */
export function endIfPeerGone(call: Call, peer: Leg, response: SipResponse): void {
  if (response.status === 481 || response.status === 408 || isLocalFailure(response)) {
    peer.terminate();
    call.finish({ cause: 'failed', status: response.status, by: 'system' });
  }
}
