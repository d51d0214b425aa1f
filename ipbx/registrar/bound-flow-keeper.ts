// Keeps the TCP/TLS/WS connections that registered bindings depend on from being closed as idle.
//
// The transport closes a connection after security.limits.idleConnectionSeconds without traffic,
// which is right for connections nobody needs. But a binding made over a connection is reachable
// only through it (RFC 5626 §5.3): closing it drops the binding, and a phone that registered for
// an hour without sending keep-alives would silently stop receiving calls after ten minutes.
// So, at half the idle timeout, every connection that carries a live binding gets a keep-alive: a
// double CRLF over TCP/TLS (RFC 5626 §4.4.1; any RFC 3261 peer ignores CRLFs between messages,
// §7.5), a WebSocket ping frame over WS/WSS (RFC 6455 §5.5.2, which browsers answer themselves).
// Writing counts as activity, and a write to a dead peer fails and closes the flow, which removes
// its bindings: a dead phone is noticed instead of kept.

import type { Clock, TimerHandle } from '../sip/index.ts';
import type { Binding } from './binding.ts';

export interface FlowPinger {
  /** Sends a keep-alive over an open TCP/TLS/WS/WSS flow; rejects when there is none. */
  ping(flowId: string): Promise<void>;
}

export interface BoundFlowKeeperOptions {
  bindings: { list(): Binding[] };
  transport: FlowPinger;
  /** The transport's idle timeout; 0 or less: flows never idle out, nothing to do. */
  idleTimeoutMs: number;
  clock: Clock;
}

const PINGABLE = new Set(['tcp', 'tls', 'ws', 'wss']);

export class BoundFlowKeeper {
  readonly #o: BoundFlowKeeperOptions;
  readonly #intervalMs: number;
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(options: BoundFlowKeeperOptions) {
    this.#o = options;
    this.#intervalMs = options.idleTimeoutMs / 2;
    this.#schedule();
  }

  /** Pings every connection flow that carries a live binding, once each (also run periodically). */
  keepAlive(): void {
    const flows = new Set<string>();
    for (const b of this.#o.bindings.list()) {
      if (PINGABLE.has(b.protocol) && b.flowId !== '') flows.add(b.flowId);
    }
    // A flow already gone is removed with its bindings by the transport's flow-closed event.
    for (const flowId of flows) this.#o.transport.ping(flowId).catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#closed || !(this.#intervalMs > 0)) return;
    this.#timer = this.#o.clock.setTimer(this.#intervalMs, () => {
      this.keepAlive();
      this.#schedule();
    });
  }
}
