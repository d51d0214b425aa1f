// Small SIP helpers the B2BUA's files share: answering the caller at most once, telling made-up
// failures from a peer's responses, the dialled number, our Contact and a leg's flow.

import {
  SipUri, TelUri, createResponse, isLocalResponse, type SipRequest,
  type IncomingRequest, type MessageSource, type NameAddr, type ResponseOptions, type SendTarget, type SipResponse,
  type SipStack, type TransportProtocol, type Uri,
} from '../sip/index.ts';
import { normalizeDialled, stripTelSeparators } from '../router/normalize-dialled.ts';

/**
 * Responds unless a final response was already sent: a CANCEL (answered 487 by the stack) can
 * overtake the B2BUA at any await, and a second final would throw.
 */
export function respondOnce(incoming: IncomingRequest, status: number, options: ResponseOptions = {}): SipResponse | undefined {
  if (incoming.finalResponse !== undefined) return undefined;
  if (status < 200 && incoming.cancelled) return undefined;
  return incoming.respond(status, options);
}

/** Failures the B2BUA makes up itself (a fork that could not be sent), like the stack's own. */
const MADE_UP = new WeakSet<SipResponse>();

/** A response standing for a failure that no peer sent (an unresolvable target, a hook that threw). */
export function madeUpResponse(request: SipRequest, status: number): SipResponse {
  const response = createResponse(request, status);
  MADE_UP.add(response);
  return response;
}

/**
 * True for the 408/503 of a timeout or a transport failure (RFC 3261 §8.1.3.1), made up by the
 * stack or by us, as opposed to a status the peer chose.
 */
export function isLocalFailure(response: SipResponse): boolean {
  return isLocalResponse(response) || MADE_UP.has(response);
}

/**
 * The dialled number as the router expects it: the Request-URI user unescaped, visual separators
 * of telephone numbers removed (`01.23.45` → `012345`), or a tel URI's number likewise.
 */
export function dialledNumber(uri: Uri): string | undefined {
  if (uri instanceof SipUri) return uri.user === undefined ? undefined : normalizeDialled(uri.user);
  if (uri instanceof TelUri) return stripTelSeparators(uri.number);
  return undefined;
}

// user-unreserved and unreserved characters of RFC 3261 §25.1 may stay; the rest is escaped.
const USER_CHAR = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;

/** Escapes a number for the user part of a SIP URI (`#` → `%23`). */
export function escapeUser(user: string): string {
  let out = '';
  for (const ch of user) {
    out += USER_CHAR.test(ch) ? ch : [...Buffer.from(ch)].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
  }
  return out;
}

/** `<sip:user@domain>`. */
export function aorUri(user: string, domain: string): SipUri {
  return new SipUri({ user: escapeUser(user), host: domain });
}

/** Our Contact on a leg of that transport; UDP when the stack has no listener for it. */
export function ourContact(stack: SipStack, protocol: TransportProtocol): NameAddr {
  try {
    return stack.contactFor(protocol);
  } catch {
    return stack.contactFor('udp');
  }
}

/**
 * Where requests to the sender of `source` go: back over the flow it used (RFC 5626 §5.3, and
 * the only way to reach WebSocket clients, RFC 7118), not to the host of its Contact.
 */
export function flowTarget(source: MessageSource): SendTarget {
  return { protocol: source.protocol, address: source.address, port: source.port, flowId: source.flowId };
}

/** The methods the B2BUA relays or carries out (REFER), announced in Allow on both legs (RFC 3261 §20.5). */
export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, MESSAGE, REFER, NOTIFY';

/**
 * Max-Forwards of an outbound leg: one less than the inbound request's, so that a call routed
 * back to the IPBX (an external member pointing at ourselves) dies out instead of looping
 * (RFC 3261 §16.6 step 3, which a B2BUA follows for the same reason).
 */
export function outboundMaxForwards(inbound: number | undefined): number {
  return Math.max(0, (inbound ?? 70) - 1);
}
