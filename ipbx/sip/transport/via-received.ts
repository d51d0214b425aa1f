// What the server transport writes into the top Via of a request it receives (RFC 3261
// §18.2.1, RFC 3581 §4). Where responses go (§18.2.2) is the transaction layer's business.

import type { SipRequest } from '../message/index.ts';
import { normalizeAddress, sameIpAddress } from './ip-address.ts';
import type { MessageSource } from './transport-types.ts';

/**
 * Adds `received` when the sent-by host is a name or another address than the packet's source
 * (RFC 3261 §18.2.1), and fills a valueless `rport` with the source port, in which case
 * `received` is added even when it equals sent-by (RFC 3581 §4). The Via header text is
 * rewritten, so the change survives serialization. Returns whether anything changed.
 */
export function stampVia(request: SipRequest, source: MessageSource): boolean {
  const top = request.topVia;
  if (top === undefined) return false;
  const via = top.clone();
  const wantsRport = via.rport === true;
  if (wantsRport) via.params.set('rport', String(source.port));
  const needsReceived = wantsRport || !sameIpAddress(via.host, source.address);
  if (needsReceived) via.params.set('received', normalizeAddress(source.address));
  if (!wantsRport && !needsReceived) return false;
  replaceTopVia(request, via.toString());
  return true;
}

function replaceTopVia(request: SipRequest, value: string): void {
  // Only the first value of a `Via: a, b` line changes; the line keeps its place and spelling.
  request.headers.replaceFirstValue('Via', value);
}
