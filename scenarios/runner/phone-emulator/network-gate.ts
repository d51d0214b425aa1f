// A phone's network cable, for the resilience steps: while it is down, SIP messages the phone
// sends are lost and those sent to it never arrive (as on a dead link: no error, no answer), and
// dropping it closes the phone's TCP connections, so the server sees its flows end.

import type { SipMessage } from '../../../ipbx/sip/message/index.ts';
import type { Endpoint, IncomingMessage, SendTarget, TransportLayer, TransportProtocol } from '../../../ipbx/sip/transport/index.ts';
import type { StackTransport } from '../../../ipbx/sip/ua/index.ts';

export class NetworkGate implements StackTransport {
  readonly #layer: TransportLayer;
  readonly #flows = new Set<string>();
  #up = true;

  constructor(layer: TransportLayer) {
    this.#layer = layer;
  }

  get up(): boolean {
    return this.#up;
  }

  /** Down: nothing passes and every connection is closed. Up: messages pass again; connections are opened anew when needed. */
  set(up: boolean): void {
    this.#up = up;
    if (up) return;
    for (const flow of this.#flows) this.#layer.closeFlow(flow);
    this.#flows.clear();
  }

  send(message: SipMessage, target: SendTarget): Promise<void> {
    return this.#up ? this.#layer.send(message, target) : Promise.resolve();
  }

  localEndpoint(protocol: TransportProtocol): Endpoint {
    return this.#layer.localEndpoint(protocol);
  }

  onMessage(handler: (incoming: IncomingMessage) => void): void {
    this.#layer.onMessage((incoming) => {
      if (!this.#up) return;
      if (incoming.source.protocol !== 'udp') this.#flows.add(incoming.source.flowId);
      handler(incoming);
    });
  }

  close(): Promise<void> {
    return this.#layer.close();
  }
}
