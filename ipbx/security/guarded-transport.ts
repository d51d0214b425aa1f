// The IPBX's first line of defence, in front of the SIP stack: messages from banned or flooding
// sources are dropped before any transaction or state is created for them.

import type { IncomingMessage, StackTransport } from '../sip/index.ts';

export interface SourceGate {
  /** False drops the message: banned source, or over its request rate. */
  admit(incoming: IncomingMessage): boolean;
}

/** Wraps a transport so the stack only sees admitted messages; sending is unchanged. */
export function guardTransport(inner: StackTransport, gate: SourceGate): StackTransport {
  return {
    send: (message, target) => inner.send(message, target),
    localEndpoint: (protocol) => inner.localEndpoint(protocol),
    close: () => inner.close(),
    onMessage: (handler) => {
      inner.onMessage((incoming) => {
        if (gate.admit(incoming)) handler(incoming);
      });
    },
  };
}
