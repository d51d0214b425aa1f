// How the socket-level transports hand what they receive to the transport layer. Every method
// must return normally: they run inside socket event handlers.

import type { FramingError } from './transport-errors.ts';
import type { MessageSource } from './transport-types.ts';

export interface TransportSink {
  /** One whole message's bytes: a datagram, a message cut from a stream, a WebSocket message. */
  receive(data: Buffer, source: MessageSource): void;
  /** The bytes of an answer to a request whose stream could not be framed, when one can be built. */
  framingReply(error: FramingError, source: MessageSource): Buffer | undefined;
  /** RFC 5626 keep-alive seen on a flow (a ping has already been answered). */
  keepalive(flowId: string, kind: 'ping' | 'pong'): void;
  /** A non-fatal failure: socket errors, refused handshakes. */
  report(error: Error): void;
}
