// An in-memory SipTransportLayer for unit tests: records every send (message, target, instant and
// wire text), can be told to fail sends, and turns SIP text into the IncomingMessage a real
// transport would hand to the layer above.

import type { Clock } from '../../ipbx/sip/clock.ts';
import { parseMessage, serializeMessage, type SipMessage, type SipRequest, type SipResponse } from '../../ipbx/sip/message/index.ts';
import type { Endpoint, IncomingMessage, MessageSource, SendTarget, SipTransportLayer, TransportProtocol } from '../../ipbx/sip/transport/transport-types.ts';

export interface SentRecord {
  message: SipMessage;
  target: SendTarget;
  /** clock.now() when sent (0 without a clock). */
  at: number;
  /** The bytes as they would go on the wire, decoded as UTF-8. */
  wire: string;
  /** True when this send was made to fail. */
  failed: boolean;
}

/** Returns the error to reject a send with, or undefined to let it through. */
export type FailurePredicate = (message: SipMessage, target: SendTarget) => Error | undefined;

export class MemoryTransport implements SipTransportLayer {
  readonly sent: SentRecord[] = [];
  readonly #clock: Clock | undefined;
  readonly #endpoint: Endpoint;
  #fail: FailurePredicate | undefined;

  constructor(options: { clock?: Clock; endpoint?: Endpoint } = {}) {
    this.#clock = options.clock;
    this.#endpoint = options.endpoint ?? { address: '192.0.2.1', port: 5060 };
  }

  send(message: SipMessage, target: SendTarget): Promise<void> {
    const error = this.#fail?.(message, target);
    this.sent.push({
      message,
      target: { ...target },
      at: this.#clock?.now() ?? 0,
      wire: serializeMessage(message).toString('utf8'),
      failed: error !== undefined,
    });
    return error === undefined ? Promise.resolve() : Promise.reject(error);
  }

  localEndpoint(_protocol: TransportProtocol): Endpoint {
    return { ...this.#endpoint };
  }

  /** Makes sends fail: every one (an Error), those a predicate picks, or none (undefined). */
  failSends(how: Error | FailurePredicate | undefined): void {
    this.#fail = how instanceof Error ? () => how : how;
  }

  /** Requests sent, optionally of one method. */
  requests(method?: string): Array<SentRecord & { message: SipRequest }> {
    return this.sent.filter((r): r is SentRecord & { message: SipRequest } => r.message.isRequest() && (method === undefined || r.message.method === method));
  }

  /** Responses sent, optionally with one status. */
  responses(status?: number): Array<SentRecord & { message: SipResponse }> {
    return this.sent.filter((r): r is SentRecord & { message: SipResponse } => !r.message.isRequest() && (status === undefined || r.message.status === status));
  }

  clear(): void {
    this.sent.length = 0;
  }
}

/** Parses SIP text written with `\n` line ends (CRLF is put back), as a datagram. */
export function sipMessage(text: string): SipMessage {
  const normalized = text.replace(/\r?\n/g, '\r\n').replace(/^(?:\r\n)+/, '');
  const head = normalized.includes('\r\n\r\n') ? normalized : normalized.replace(/(?:\r\n)*$/, '\r\n\r\n');
  const result = parseMessage(Buffer.from(head, 'utf8'), { datagram: true });
  if (!result.ok) throw result.error;
  return result.message;
}

export function sipRequest(text: string): SipRequest {
  const message = sipMessage(text);
  if (!message.isRequest()) throw new Error('expected a request');
  return message;
}

export function sipResponse(text: string): SipResponse {
  const message = sipMessage(text);
  if (message.isRequest()) throw new Error('expected a response');
  return message;
}

export const DEFAULT_SOURCE: MessageSource = Object.freeze({
  protocol: 'udp',
  address: '198.51.100.7',
  port: 5060,
  flowId: 'udp:192.0.2.1:5060>198.51.100.7:5060',
  local: { address: '192.0.2.1', port: 5060 },
});

/** What a transport would hand up for this message (text or already parsed) from `source`. */
export function incoming(message: string | SipMessage, source: Partial<MessageSource> = {}): IncomingMessage {
  return { message: typeof message === 'string' ? sipMessage(message) : message, source: { ...DEFAULT_SOURCE, ...source } };
}

/** Lets pending promise callbacks (send rejections) run. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
