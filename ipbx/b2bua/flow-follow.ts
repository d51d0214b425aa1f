// A phone whose connection dropped in a call (a browser's WebSocket reconnecting after a network
// change) comes back on a new connection, registers again and re-INVITEs (an ICE restart). Its
// leg's requests then follow it to that connection (RFC 5626 §5.3: requests to a UA go over the
// flow it registered), so the other party's BYE or re-INVITE still reaches it. Only a connection
// that holds a live registration of the leg's own account is followed: a request with a guessed
// dialog id from another device cannot pull the call to itself.

import { isReliable, type MessageSource } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Leg } from './leg.ts';

/** True when the leg now sends over `source`'s connection. */
export function followNewFlow(ctx: B2buaContext, leg: Leg, source: MessageSource): boolean {
  if (!isReliable(source.protocol) || source.protocol !== leg.protocol || source.flowId === leg.target.flowId) return false;
  const extension = leg.party?.extension;
  if (extension === undefined || !ctx.location.lookup(extension).some((b) => b.flowId === source.flowId)) return false;
  leg.target = { protocol: source.protocol, address: source.address, port: source.port, flowId: source.flowId };
  return true;
}
