// Open connections (RFC 5626 flows) by id and by remote address, port and protocol, so that
// responses and in-dialog requests to a TCP/TLS/WS peer reuse the connection it opened. Idle
// flows are closed after a timeout measured on the injected Clock; a flow with bytes in
// flight either way is never idle. 'flow-closed' names the flow so bindings can be dropped.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock.ts';
import { normalizeAddress } from './ip-address.ts';
import type { Endpoint, TransportProtocol } from './transport-types.ts';

export type FlowCloseReason =
  | 'idle-timeout'
  | 'peer-closed'
  | 'framing-error'
  | 'socket-error'
  | 'closed-by-user'
  | 'transport-closed';

/** A connection as the registry and the transport layer handle it. */
export interface Flow {
  readonly id: string;
  readonly protocol: TransportProtocol;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** True when this side opened the connection. */
  readonly outbound: boolean;
  /** Bytes waiting to be written or part of a message received: not idle. */
  readonly busy: boolean;
  readonly closed: boolean;
  write(data: Buffer): Promise<void>;
  /** Idempotent; the registry learns of it through `remove`. */
  close(reason: FlowCloseReason): void;
}

/** What upper layers see of a flow. */
export interface FlowInfo {
  flowId: string;
  protocol: TransportProtocol;
  local: Endpoint;
  remote: Endpoint;
  outbound: boolean;
}

/** A flow as diagnostics show it now. */
export interface FlowStatus extends FlowInfo {
  /** Bytes in flight or a message partly received: the idle timer leaves it open. */
  busy: boolean;
}

export interface FlowClosedEvent extends FlowInfo {
  reason: FlowCloseReason;
}

export interface FlowRegistryEvents {
  'flow-opened': [info: FlowInfo];
  'flow-closed': [event: FlowClosedEvent];
}

export interface FlowRegistryOptions {
  clock: Clock;
  /** Idle time after which a flow is closed; 0 keeps flows open until a side closes them. */
  idleTimeoutMs: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;

interface Entry {
  flow: Flow;
  key: string;
  lastActivity: number;
  timer: TimerHandle | undefined;
}

let flowSeq = 0;

/** Ids are opaque tokens: usable in a Path or Record-Route flow token, and unguessable. */
export function newFlowId(protocol: TransportProtocol): string {
  return `${protocol}-${(++flowSeq).toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function flowInfo(flow: Flow): FlowInfo {
  return { flowId: flow.id, protocol: flow.protocol, local: { ...flow.local }, remote: { ...flow.remote }, outbound: flow.outbound };
}

function remoteKey(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol}|${normalizeAddress(address)}|${port}`;
}

export class FlowRegistry extends EventEmitter<FlowRegistryEvents> {
  readonly #clock: Clock;
  readonly #idleTimeoutMs: number;
  readonly #byId = new Map<string, Entry>();
  readonly #byRemote = new Map<string, Entry>();

  constructor(options: FlowRegistryOptions) {
    super();
    this.#clock = options.clock;
    this.#idleTimeoutMs = options.idleTimeoutMs;
  }

  get size(): number {
    return this.#byId.size;
  }

  add(flow: Flow): void {
    if (flow.closed || this.#byId.has(flow.id)) return;
    const key = remoteKey(flow.protocol, flow.remote.address, flow.remote.port);
    const entry: Entry = { flow, key, lastActivity: this.#clock.now(), timer: undefined };
    this.#byId.set(flow.id, entry);
    // The newest connection from an address wins: an older one is on its way out.
    this.#byRemote.set(key, entry);
    this.#arm(entry, this.#idleTimeoutMs);
    this.emit('flow-opened', flowInfo(flow));
  }

  /** Notes traffic on a flow; cheap, since the idle timer re-checks the time when it fires. */
  touch(flow: Flow): void {
    const entry = this.#byId.get(flow.id);
    if (entry !== undefined) entry.lastActivity = this.#clock.now();
  }

  get(flowId: string): Flow | undefined {
    return this.#byId.get(flowId)?.flow;
  }

  find(protocol: TransportProtocol, address: string, port: number): Flow | undefined {
    return this.#byRemote.get(remoteKey(protocol, address, port))?.flow;
  }

  flows(): Flow[] {
    return [...this.#byId.values()].map((e) => e.flow);
  }

  /** Forgets a flow and announces it. Idempotent: only the first call emits. */
  remove(flow: Flow, reason: FlowCloseReason): void {
    const entry = this.#byId.get(flow.id);
    if (entry === undefined) return;
    entry.timer?.cancel();
    this.#byId.delete(flow.id);
    if (this.#byRemote.get(entry.key) === entry) this.#byRemote.delete(entry.key);
    this.emit('flow-closed', { ...flowInfo(flow), reason });
  }

  closeAll(reason: FlowCloseReason): void {
    for (const entry of [...this.#byId.values()]) {
      entry.flow.close(reason);
      this.remove(entry.flow, reason);
    }
  }

  #arm(entry: Entry, ms: number): void {
    if (this.#idleTimeoutMs <= 0) return;
    entry.timer = this.#clock.setTimer(ms, () => this.#checkIdle(entry));
  }

  #checkIdle(entry: Entry): void {
    if (this.#byId.get(entry.flow.id) !== entry) return;
    const idleFor = this.#clock.now() - entry.lastActivity;
    if (entry.flow.busy) {
      this.#arm(entry, this.#idleTimeoutMs);
    } else if (idleFor < this.#idleTimeoutMs) {
      this.#arm(entry, this.#idleTimeoutMs - idleFor);
    } else {
      entry.flow.close('idle-timeout');
      this.remove(entry.flow, 'idle-timeout');
    }
  }
}
