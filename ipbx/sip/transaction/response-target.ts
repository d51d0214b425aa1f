// Where a server transaction sends its responses (RFC 3261 §18.2.2, RFC 3581 §4). Computed from
// what the transport saw (the IncomingMessage source), not from received/rport parameters the
// transport may or may not have stamped on the top Via.

import type { SipRequest } from '../message/index.ts';
import { isReliable, type MessageSource, type SendTarget, type TransportProtocol } from '../transport/transport-types.ts';

/** §18.2.2 "the default port for that transport" when sent-by has none (§19.1.2). */
export function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' || protocol === 'wss' ? 5061 : 5060;
}

export function responseTarget(request: SipRequest, source: MessageSource): SendTarget {
  const via = request.topVia;
  const sentByPort = via?.port ?? defaultPort(source.protocol);
  if (isReliable(source.protocol)) {
    // §18.2.2: "the response MUST be sent using the existing connection to the source of the original
    // request ... If the connection is no longer open, the server SHOULD open a connection to the IP
    // address in the received parameter ... using the port in the sent-by value".
    return { protocol: source.protocol, address: source.address, port: sentByPort, flowId: source.flowId };
  }
  // RFC 3581 §4: with rport, "send it to the IP address and port from which the request was received",
  // and from the same local socket: that is the flow.
  if (via?.rport !== undefined) {
    return { protocol: source.protocol, address: source.address, port: source.port, flowId: source.flowId };
  }
  // §18.2.2: "the response MUST be sent to the address in the received parameter, using the port
  // indicated in the sent-by value, or using port 5060 if none is specified explicitly." The received
  // address is, by definition (§18.2.1), the packet's source address.
  const sameAsSource = sentByPort === source.port;
  return { protocol: source.protocol, address: source.address, port: sentByPort, flowId: sameAsSource ? source.flowId : undefined };
}
