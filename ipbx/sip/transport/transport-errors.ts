// Errors of the transport layer. A peer's malformed message is not an error here (it is
// answered with a 400 or dropped, and counted); these are for configuration mistakes, sends that
// cannot be delivered, socket failures reported through the 'error' event, and broken streams.

import { CodedError } from '../coded-error.ts';

/** Every code with what it means; one row per code belongs in docs/errors.md. */
export const TRANSPORT_ERROR_CODES = {
  SIP_TRANSPORT_BAD_OPTION: 'A TransportLayer option (listeners, limits, timeouts) is missing or out of range; the message names it.',
  SIP_TRANSPORT_NOT_STARTED: 'send() or localEndpoint() was called before start() resolved.',
  SIP_TRANSPORT_CLOSED: 'The transport layer (or the UDP socket) is closed, or was closed while starting.',
  SIP_TRANSPORT_BIND_FAILED: 'A listener could not bind its address and port (in use, or not an address of this host).',
  SIP_TRANSPORT_NO_LISTENER: 'No listener of the target\'s protocol (and IP family) exists to send from.',
  SIP_TRANSPORT_NO_FLOW: 'A WebSocket peer (or a ping target) has no open flow: WS/WSS peers are reached only over their own connection.',
  SIP_TRANSPORT_FLOW_CLOSED: 'The flow closed before or while the message was written.',
  SIP_TRANSPORT_CONNECT_FAILED: 'An outbound TCP/TLS connection was refused or failed (TLS: the peer certificate did not verify).',
  SIP_TRANSPORT_CONNECT_TIMEOUT: 'An outbound TCP/TLS connection did not complete within connectTimeoutMs.',
  SIP_TRANSPORT_MESSAGE_TOO_LARGE: 'A message to send over UDP exceeds limits.maxMessageBytes; send it over TCP (RFC 3261 §18.1.1).',
  SIP_TRANSPORT_SOCKET_ERROR: 'A socket, server or handshake failed (reported through the \'error\' event; the flow is closed).',
  SIP_TRANSPORT_HANDLER_FAILED: 'An onMessage handler or an event listener threw (reported through the \'error\' event).',
  SIP_FRAMING_HEAD_TOO_LARGE: 'A stream sent a header section longer than limits.maxHeadBytes; the connection is closed.',
  SIP_FRAMING_MESSAGE_TOO_LARGE: 'A stream message declares more than limits.maxMessageBytes; answered 513, then the connection is closed.',
  SIP_FRAMING_MISSING_CONTENT_LENGTH: 'A stream message has no Content-Length (mandatory on streams, RFC 3261 §18.3); answered 400, then closed.',
  SIP_FRAMING_BAD_CONTENT_LENGTH: 'A stream message has a negative or non-numeric Content-Length; answered 400, then closed.',
  SIP_FRAMING_CONFLICTING_CONTENT_LENGTH: 'A stream message has Content-Length headers that disagree; answered 400, then closed.',
} as const;

export type TransportErrorCode = keyof typeof TRANSPORT_ERROR_CODES;
export type FramingErrorCode = Extract<TransportErrorCode, `SIP_FRAMING_${string}`>;

export class TransportError extends CodedError<TransportErrorCode> {
  override readonly name: string = 'TransportError';
}

/** A stream that cannot be cut into messages any more: the connection must be closed. */
export class FramingError extends TransportError {
  override readonly name = 'FramingError';
  declare readonly code: FramingErrorCode;
  /** Fit for the reason phrase of the answer. */
  readonly reason: string;
  /** 400, or 513 when the message is too large (RFC 3261 §21.5.14). */
  declare readonly sipStatus: number;
  /** The head up to and including its empty line, when it was complete. */
  readonly head: Buffer | undefined;

  constructor(code: FramingErrorCode, reason: string, sipStatus = 400, head?: Buffer) {
    super(code, reason, { sipStatus });
    this.reason = reason;
    this.head = head;
  }
}
