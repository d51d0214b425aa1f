// What the transport layer offers the layers above it (transactions, the UA core), and what it
// reports about each message it receives: where it came from and over which flow.

import type { SipMessage } from '../message/index.ts';

export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Reliable transports have no retransmissions and zero-length wait timers (RFC 3261 §17). */
export function isReliable(protocol: TransportProtocol): boolean {
  return protocol !== 'udp';
}

/** The Via transport token for a protocol (RFC 3261 §18, RFC 7118 §5). */
export function viaTransport(protocol: TransportProtocol): string {
  return protocol.toUpperCase();
}

export interface Endpoint {
  address: string;
  port: number;
}

/**
 * Where to send a message. `flowId` names an existing connection (RFC 5626 flow): when set and
 * still open, the message goes over it; otherwise a connection is opened to address:port
 * (TCP/TLS) or a datagram sent (UDP). WS/WSS peers are only reachable over their own flow.
 */
export interface SendTarget extends Endpoint {
  protocol: TransportProtocol;
  flowId?: string | undefined;
  /** TLS: the name to request (SNI) and to match the peer's certificate against, when not its IP. */
  tlsServerName?: string | undefined;
}

/** Facts about a received message, stamped by the transport. */
export interface MessageSource extends Endpoint {
  protocol: TransportProtocol;
  /** The connection or, for UDP, the local socket + remote address pair it arrived on. */
  flowId: string;
  /** The local address and port it arrived on. */
  local: Endpoint;
}

export interface IncomingMessage {
  message: SipMessage;
  source: MessageSource;
}

/** The transport layer as the transaction layer and UA core see it. */
export interface SipTransportLayer {
  /** Serializes and sends; rejects when the target cannot be reached (connection refused, flow gone). */
  send(message: SipMessage, target: SendTarget): Promise<void>;
  /** The address and port to put in Via sent-by and Contact for this protocol. */
  localEndpoint(protocol: TransportProtocol): Endpoint;
}
