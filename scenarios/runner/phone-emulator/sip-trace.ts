// The SIP messages an emulated phone sent and received, kept for the report's ladder diagram:
// the transport the phone's stack uses is wrapped, so retransmissions and the stack's own
// answers (100 Trying, 200 to CANCEL) appear as they went on the wire.

import type { SipMessage } from '../../../ipbx/sip/message/index.ts';
import type { Endpoint, IncomingMessage, SendTarget, TransportProtocol } from '../../../ipbx/sip/transport/index.ts';
import type { StackTransport } from '../../../ipbx/sip/ua/index.ts';

export interface TracedMessage {
  /** Milliseconds since the scenario's start. */
  atMs: number;
  phone: string;
  direction: 'sent' | 'received';
  /** `INVITE` or `180 Ringing`. */
  label: string;
  callId: string;
  cseq: string;
}

/** One list per scenario, shared by its phones, in the order things happened. */
export class SipTrace {
  readonly messages: TracedMessage[] = [];
  readonly #origin: number;

  constructor(origin = performance.now()) {
    this.#origin = origin;
  }

  record(phone: string, direction: TracedMessage['direction'], message: SipMessage): void {
    const label = message.isRequest() ? message.method : `${message.status} ${message.reason}`;
    this.messages.push({
      atMs: Math.round(performance.now() - this.#origin), phone, direction, label,
      callId: message.headers.get('Call-ID') ?? '', cseq: message.headers.get('CSeq') ?? '',
    });
  }
}

/** A StackTransport that tells the trace what passes through it. */
export class TracingTransport implements StackTransport {
  readonly #inner: StackTransport;
  readonly #trace: SipTrace;
  readonly #phone: string;

  constructor(inner: StackTransport, trace: SipTrace, phone: string) {
    this.#inner = inner;
    this.#trace = trace;
    this.#phone = phone;
  }

  send(message: SipMessage, target: SendTarget): Promise<void> {
    this.#trace.record(this.#phone, 'sent', message);
    return this.#inner.send(message, target);
  }

  localEndpoint(protocol: TransportProtocol): Endpoint {
    return this.#inner.localEndpoint(protocol);
  }

  onMessage(handler: (incoming: IncomingMessage) => void): void {
    this.#inner.onMessage((incoming) => {
      this.#trace.record(this.#phone, 'received', incoming.message);
      handler(incoming);
    });
  }

  close(): Promise<void> | void {
    return this.#inner.close();
  }
}
