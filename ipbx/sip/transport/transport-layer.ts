// The transport layer (RFC 3261 §18): listeners for UDP, TCP, TLS, WS and WSS, flows for the
// connections, parsing and Via stamping of what arrives, and sending over the right socket.
// Nothing thrown in here may escape into a socket handler: failures are counted and reported
// through the 'error' event, which is emitted only when someone listens, and never fatal.

import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../clock.ts';
import {
  DEFAULT_PARSE_LIMITS,
  createErrorResponse,
  parseMessage,
  serializeMessage,
  type ParseLimits,
  type PartialMessage,
  type SipMessage,
} from '../message/index.ts';
import { DEFAULT_IDLE_TIMEOUT_MS, FlowRegistry, flowInfo, type FlowClosedEvent, type FlowInfo, type FlowStatus } from './flow-registry.ts';
import { addressFamily, guessInterfaceAddress, isUnspecifiedAddress, normalizeAddress } from './ip-address.ts';
import { DEFAULT_FRAMER_LIMITS, type FramerLimits } from './stream-framer.ts';
import { StreamFlow, StreamTransport, type StreamContext, type TlsOptions } from './tcp-transport.ts';
import { TransportError, type FramingError } from './transport-errors.ts';
import type { TransportSink } from './transport-sink.ts';
import type { Endpoint, IncomingMessage, MessageSource, SendTarget, SipTransportLayer, TransportProtocol } from './transport-types.ts';
import { UdpTransport, udpFlowListener } from './udp-transport.ts';
import { stampVia } from './via-received.ts';
import { WsFlow, WsTransport } from './ws-transport.ts';

export interface ListenerOptions {
  protocol: TransportProtocol;
  /** IPv4 or IPv6 literal; 0.0.0.0 and :: listen on every interface. */
  address: string;
  /** 0 picks a free port; `start()` tells which. */
  port: number;
  /** Required for tls and wss. */
  tls?: TlsOptions;
  /** Address to put in Via and Contact instead of the bound one (NAT, or a 0.0.0.0 listener). */
  advertisedAddress?: string;
}

export type TransportLimits = ParseLimits & FramerLimits;

export interface TransportLayerOptions {
  listeners: ListenerOptions[];
  limits?: Partial<TransportLimits>;
  /** Idle time after which a connection is closed (default 10 min); 0 never closes idle ones. */
  idleTimeoutMs?: number;
  /** Time allowed to open an outbound TCP/TLS connection (default 10 s). */
  connectTimeoutMs?: number;
  clock?: Clock;
  /**
   * Checked for every received message before it is parsed or answered: false drops it silently
   * (a banned or flooding source gets no answer at all, not even a 400 to a malformed message).
   */
  admit?: (source: MessageSource) => boolean;
}

export interface BoundEndpoint extends Endpoint {
  protocol: TransportProtocol;
}

export interface TransportCounters {
  /** Messages received (datagrams, framed stream messages, WebSocket messages), parsed or not. */
  received: number;
  sent: number;
  /** Received messages that failed to parse (each also counted in `received`). */
  parseErrors: number;
  /** Streams closed because they could not be cut into messages. */
  framingErrors: number;
}

export interface TransportLayerEvents {
  'flow-opened': [info: FlowInfo];
  /** A connection is gone: bindings and dialogs that rely on it should be dropped (RFC 5626 §4.4). */
  'flow-closed': [event: FlowClosedEvent];
  /** A CRLF pong arrived on a flow this side opened (RFC 5626 §4.4.1). */
  pong: [flowId: string];
  /** Non-fatal: socket failures, refused handshakes, handler exceptions. Emitted only when listened to. */
  error: [error: Error];
}

export type MessageHandler = (incoming: IncomingMessage) => void;

const PROTOCOLS: readonly TransportProtocol[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const FRAMING_LINGER_MS = 2_000;

type Transport = UdpTransport | StreamTransport | WsTransport;

interface Listener {
  options: ListenerOptions;
  transport: Transport;
  bound: Endpoint | undefined;
}

const LifeCycle = { NEW: 'new', STARTING: 'starting', STARTED: 'started', CLOSED: 'closed' } as const;
type LifeCycle = (typeof LifeCycle)[keyof typeof LifeCycle];

export class TransportLayer extends EventEmitter<TransportLayerEvents> implements SipTransportLayer {
  readonly limits: Readonly<TransportLimits>;
  readonly #clock: Clock;
  readonly #registry: FlowRegistry;
  readonly #listeners: Listener[];
  readonly #handlers = new Set<MessageHandler>();
  readonly #admit: ((source: MessageSource) => boolean) | undefined;
  /** Outbound connections being opened, by protocol|address|port: concurrent sends share one. */
  readonly #connecting = new Map<string, Promise<StreamFlow>>();
  readonly #counters = new Map<TransportProtocol, TransportCounters>(
    PROTOCOLS.map((p) => [p, { received: 0, sent: 0, parseErrors: 0, framingErrors: 0 }]),
  );
  #state: LifeCycle = LifeCycle.NEW;
  #startPromise: Promise<BoundEndpoint[]> | undefined;
  #closePromise: Promise<void> | undefined;

  constructor(options: TransportLayerOptions) {
    super();
    validateOptions(options);
    this.#clock = options.clock ?? systemClock;
    this.#admit = options.admit;
    this.limits = Object.freeze({ ...DEFAULT_PARSE_LIMITS, ...DEFAULT_FRAMER_LIMITS, ...options.limits });
    this.#registry = new FlowRegistry({ clock: this.#clock, idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS });
    this.#registry.on('flow-opened', (info) => this.#emitSafely('flow-opened', info));
    this.#registry.on('flow-closed', (event) => this.#emitSafely('flow-closed', event));
    // The sink runs inside socket handlers: whatever goes wrong is reported, never thrown.
    const sink: TransportSink = {
      receive: (data, source) => {
        try {
          this.#receive(data, source);
        } catch (err) {
          this.#report(err as Error);
        }
      },
      framingReply: (error, source) => {
        try {
          return this.#framingReply(error, source);
        } catch (err) {
          this.#report(err as Error);
          return undefined;
        }
      },
      keepalive: (flowId, kind) => {
        if (kind === 'pong') this.#emitSafely('pong', flowId);
      },
      report: (error) => this.#report(error),
    };
    const streamCtx: StreamContext = {
      registry: this.#registry,
      sink,
      limits: { maxHeadBytes: this.limits.maxHeadBytes, maxMessageBytes: this.limits.maxMessageBytes },
      clock: this.#clock,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      lingerMs: FRAMING_LINGER_MS,
    };
    const wsCtx = { registry: this.#registry, sink, maxMessageBytes: this.limits.maxMessageBytes };
    this.#listeners = options.listeners.map((l, index): Listener => {
      const address = normalizeAddress(l.address);
      let transport: Transport;
      switch (l.protocol) {
        case 'udp':
          transport = new UdpTransport(index, address, l.port, sink);
          break;
        case 'tcp':
        case 'tls':
          transport = new StreamTransport({ protocol: l.protocol, address, port: l.port, tls: l.tls }, streamCtx);
          break;
        case 'ws':
        case 'wss':
          transport = new WsTransport({ protocol: l.protocol, address, port: l.port, tls: l.tls }, wsCtx);
          break;
      }
      return { options: { ...l, address }, transport, bound: undefined };
    });
  }

  /** Binds every listener; resolves with the bound endpoints (the real port of port-0 listeners). */
  start(): Promise<BoundEndpoint[]> {
    if (this.#state === LifeCycle.CLOSED) return Promise.reject(new TransportError('SIP_TRANSPORT_CLOSED', 'the transport layer is closed'));
    this.#startPromise ??= this.#bindAll();
    return this.#startPromise;
  }

  /** Calls `handler` for every message received and parsed; returns a function that unsubscribes it. */
  onMessage(handler: MessageHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** The bound endpoints, once started. */
  get endpoints(): BoundEndpoint[] {
    return this.#listeners.flatMap((l) => (l.bound === undefined ? [] : [{ protocol: l.options.protocol, ...l.bound }]));
  }

  /** Counters per protocol, as a snapshot. */
  get stats(): Record<TransportProtocol, TransportCounters> {
    const out = {} as Record<TransportProtocol, TransportCounters>;
    for (const [p, c] of this.#counters) out[p] = { ...c };
    return out;
  }

  /**
   * Address and port for Via sent-by and Contact (RFC 3261 §18.1.1). With `remoteAddress`, a
   * listener of the same IP family is preferred.
   */
  localEndpoint(protocol: TransportProtocol, remoteAddress?: string): Endpoint {
    const listener = this.#pickListener(protocol, remoteAddress === undefined ? 0 : addressFamily(remoteAddress));
    if (listener?.bound === undefined) {
      throw new TransportError(listener === undefined ? 'SIP_TRANSPORT_NO_LISTENER' : 'SIP_TRANSPORT_NOT_STARTED',
        listener === undefined ? `no ${protocol} listener is configured` : 'call start() before localEndpoint()');
    }
    const { advertisedAddress } = listener.options;
    let address = listener.bound.address;
    if (advertisedAddress !== undefined) address = advertisedAddress;
    else if (isUnspecifiedAddress(address)) address = guessInterfaceAddress(addressFamily(address) === 6 ? 6 : 4);
    return { address, port: listener.bound.port };
  }

  /** An open flow, or undefined once it is closed. */
  getFlow(flowId: string): FlowStatus | undefined {
    const flow = this.#registry.get(flowId);
    return flow === undefined ? undefined : { ...flowInfo(flow), busy: flow.busy };
  }

  /** Closes one connection; returns false when it was not open. */
  closeFlow(flowId: string): boolean {
    const flow = this.#registry.get(flowId);
    if (flow === undefined) return false;
    flow.close('closed-by-user');
    return true;
  }

  /**
   * A keep-alive over a connection flow: a double-CRLF ping over TCP/TLS (RFC 5626 §4.4.1; the
   * answer is a 'pong' event), a WebSocket ping frame over WS/WSS (answered by the browser itself).
   */
  ping(flowId: string): Promise<void> {
    const flow = this.#registry.get(flowId);
    if (!(flow instanceof StreamFlow) && !(flow instanceof WsFlow)) {
      return Promise.reject(new TransportError('SIP_TRANSPORT_NO_FLOW', `no open TCP, TLS, WS or WSS flow ${flowId}`));
    }
    return flow.ping();
  }

  async send(message: SipMessage, target: SendTarget): Promise<void> {
    if (this.#state === LifeCycle.CLOSED) throw new TransportError('SIP_TRANSPORT_CLOSED', 'the transport layer is closed');
    if (this.#state !== LifeCycle.STARTED) throw new TransportError('SIP_TRANSPORT_NOT_STARTED', 'call start() before send()');
    await this.#sendBytes(serializeMessage(message), target);
  }

  /** Closes listeners and flows. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    this.#closePromise ??= this.#closeAll();
    return this.#closePromise;
  }

  async #bindAll(): Promise<BoundEndpoint[]> {
    this.#state = LifeCycle.STARTING;
    try {
      for (const listener of this.#listeners) {
        listener.bound = await listener.transport.listen();
        // close() waits for this start to settle, then finds nothing left bound.
        if (this.#state !== LifeCycle.STARTING) throw new TransportError('SIP_TRANSPORT_CLOSED', 'closed while starting');
      }
    } catch (err) {
      this.#state = LifeCycle.CLOSED;
      await this.#shutdown();
      throw err;
    }
    this.#state = LifeCycle.STARTED;
    return this.endpoints;
  }

  async #closeAll(): Promise<void> {
    this.#state = LifeCycle.CLOSED;
    await this.#startPromise?.catch(() => undefined);
    await this.#shutdown();
    this.#handlers.clear();
  }

  /** Flows first, so each is announced as transport-closed rather than peer-closed. */
  async #shutdown(): Promise<void> {
    this.#registry.closeAll('transport-closed');
    await Promise.all(this.#listeners.map((l) => l.transport.close()));
  }

  async #sendBytes(bytes: Buffer, target: SendTarget): Promise<void> {
    const counters = this.#counter(target.protocol);
    switch (target.protocol) {
      case 'udp': {
        if (bytes.length > this.limits.maxMessageBytes) {
          throw new TransportError('SIP_TRANSPORT_MESSAGE_TOO_LARGE', `a ${bytes.length}-byte message exceeds the UDP limit of ${this.limits.maxMessageBytes} bytes; use TCP (RFC 3261 §18.1.1)`);
        }
        await this.#udpFor(target).send(bytes, target.address, target.port);
        break;
      }
      case 'tcp':
      case 'tls': {
        const flow = this.#liveFlow(target) ?? await this.#connect(target);
        await flow.write(bytes);
        break;
      }
      case 'ws':
      case 'wss': {
        const flow = this.#liveFlow(target);
        if (flow === undefined) {
          throw new TransportError('SIP_TRANSPORT_NO_FLOW', `no open ${target.protocol} connection to ${target.address}:${target.port}: WebSocket peers are reached only over their own connection (RFC 7118)`);
        }
        await flow.write(bytes);
        break;
      }
    }
    counters.sent++;
  }

  /** The flow named by the target, else any open flow to its address, port and protocol. */
  #liveFlow(target: SendTarget) {
    if (target.flowId !== undefined) {
      const flow = this.#registry.get(target.flowId);
      if (flow !== undefined && !flow.closed && flow.protocol === target.protocol) return flow;
    }
    const flow = this.#registry.find(target.protocol, target.address, target.port);
    return flow !== undefined && !flow.closed ? flow : undefined;
  }

  #connect(target: SendTarget): Promise<StreamFlow> {
    const key = `${target.protocol}|${normalizeAddress(target.address)}|${target.port}`;
    let pending = this.#connecting.get(key);
    if (pending === undefined) {
      const listener = this.#pickListener(target.protocol, addressFamily(target.address));
      if (!(listener?.transport instanceof StreamTransport)) {
        return Promise.reject(new TransportError('SIP_TRANSPORT_NO_LISTENER', `no ${target.protocol} listener to connect from`));
      }
      pending = listener.transport.connect(target.address, target.port, target.tlsServerName);
      this.#connecting.set(key, pending);
      const forget = () => this.#connecting.delete(key);
      pending.then(forget, forget);
    }
    return pending;
  }

  #udpFor(target: SendTarget): UdpTransport {
    const index = target.flowId === undefined ? undefined : udpFlowListener(target.flowId);
    const named = index === undefined ? undefined : this.#listeners[index]?.transport;
    if (named instanceof UdpTransport && named.local !== undefined && familyFits(named, target.address)) return named;
    const listener = this.#pickListener('udp', addressFamily(target.address));
    if (!(listener?.transport instanceof UdpTransport) || !familyFits(listener.transport, target.address)) {
      throw new TransportError('SIP_TRANSPORT_NO_LISTENER', `no UDP listener can reach ${target.address}`);
    }
    return listener.transport;
  }

  /** The first listener of a protocol, preferring the IP family given (0: any). */
  #pickListener(protocol: TransportProtocol, family: 4 | 6 | 0): Listener | undefined {
    const candidates = this.#listeners.filter((l) => l.options.protocol === protocol);
    return candidates.find((l) => family !== 0 && addressFamily(l.options.address) === family)
      // A dual-stack :: listener reaches IPv4 peers too.
      ?? candidates.find((l) => family === 4 && l.options.address === '::')
      ?? candidates[0];
  }

  #counter(protocol: TransportProtocol): TransportCounters {
    const c = this.#counters.get(protocol);
    if (c === undefined) throw new TransportError('SIP_TRANSPORT_BAD_OPTION', `unknown protocol ${String(protocol)}`);
    return c;
  }

  #receive(data: Buffer, source: MessageSource): void {
    const counters = this.#counter(source.protocol);
    counters.received++;
    if (this.#admit !== undefined && !this.#admit(source)) return;
    // Streams are framed by Content-Length already; datagrams and WebSocket messages bring
    // their own boundaries and may omit it (RFC 3261 §18.3, RFC 7118 §5).
    const result = parseMessage(data, { datagram: source.protocol !== 'tcp' && source.protocol !== 'tls', limits: this.limits });
    if (!result.ok) {
      counters.parseErrors++;
      const { error } = result;
      const reply = error.partial === undefined ? undefined : createErrorResponse(error.partial, error.sipStatus, error.reason);
      // A response or an unanswerable request is dropped (RFC 3261 §18.3 → §8.2).
      if (reply !== undefined) {
        this.#sendBytes(serializeMessage(reply), { ...source }).catch((err: unknown) => this.#report(err as Error));
      }
      return;
    }
    const message = result.message;
    if (message.isRequest()) stampVia(message, source);
    const incoming: IncomingMessage = { message, source };
    for (const handler of [...this.#handlers]) {
      try {
        handler(incoming);
      } catch (err) {
        this.#report(new TransportError('SIP_TRANSPORT_HANDLER_FAILED', `message handler threw: ${(err as Error).message}`, { cause: err }));
      }
    }
  }

  /** A 400 (or 513) to a request whose stream broke, addressed from whatever head was read. */
  #framingReply(error: FramingError, source: MessageSource): Buffer | undefined {
    const counters = this.#counter(source.protocol);
    counters.framingErrors++;
    this.#report(error);
    if (this.#admit !== undefined && !this.#admit(source)) return undefined;
    if (error.head === undefined) return undefined;
    const partial = partialFromHead(error.head);
    const reply = partial === undefined ? undefined : createErrorResponse(partial, error.sipStatus, error.reason);
    if (reply === undefined) return undefined;
    counters.sent++;
    return serializeMessage(reply);
  }

  #report(error: Error): void {
    if (this.listenerCount('error') === 0) return;
    this.#emitSafely('error', error);
  }

  #emitSafely<K extends keyof TransportLayerEvents>(event: K, ...args: TransportLayerEvents[K]): void {
    try {
      // The generic spread is sound (same K on both sides); TypeScript cannot see it.
      (this.emit as (e: K, ...a: TransportLayerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      if (event !== 'error' && this.listenerCount('error') > 0) {
        try {
          this.emit('error', new TransportError('SIP_TRANSPORT_HANDLER_FAILED', `'${event}' listener threw: ${(err as Error).message}`, { cause: err }));
        } catch {
          // An 'error' listener that throws has nowhere left to report to.
        }
      }
    }
  }
}

function familyFits(transport: UdpTransport, address: string): boolean {
  const family = addressFamily(address);
  return family === 0 || transport.family === family || (family === 4 && isUnspecifiedAddress(transport.local?.address ?? '') && transport.family === 6);
}

/** What a head that could not be framed says about its request, for a stateless answer. */
function partialFromHead(head: Buffer): PartialMessage | undefined {
  // As a datagram: the head alone parses whatever its Content-Length says.
  const result = parseMessage(head, { datagram: true });
  if (!result.ok) return result.error.partial;
  const m = result.message;
  return m.isRequest() ? { isRequest: true, method: m.method, headers: m.headers } : undefined;
}

function validateOptions(options: TransportLayerOptions): void {
  const bad = (message: string) => new TransportError('SIP_TRANSPORT_BAD_OPTION', message);
  if (!Array.isArray(options.listeners) || options.listeners.length === 0) {
    throw bad('listeners must list at least one { protocol, address, port }');
  }
  options.listeners.forEach((l, i) => {
    const at = `listeners[${i}]`;
    if (!PROTOCOLS.includes(l.protocol)) throw bad(`${at}.protocol must be one of ${PROTOCOLS.join(', ')}, got ${String(l.protocol)}`);
    if (typeof l.address !== 'string' || isIP(normalizeAddress(l.address)) === 0) {
      throw bad(`${at}.address must be an IPv4 or IPv6 literal such as 127.0.0.1, ::1 or 0.0.0.0, got ${String(l.address)}`);
    }
    if (!Number.isInteger(l.port) || l.port < 0 || l.port > 65535) {
      throw bad(`${at}.port must be an integer from 0 to 65535 (0 picks a free port), got ${String(l.port)}`);
    }
    if ((l.protocol === 'tls' || l.protocol === 'wss') && (l.tls?.key === undefined || l.tls.cert === undefined)) {
      throw bad(`${at}.tls must give key and cert for a ${l.protocol} listener`);
    }
  });
  const nonNegative = (name: string, v: number | undefined) => {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw bad(`${name} must be a number of milliseconds >= 0, got ${String(v)}`);
  };
  nonNegative('idleTimeoutMs', options.idleTimeoutMs);
  nonNegative('connectTimeoutMs', options.connectTimeoutMs);
  for (const [name, v] of Object.entries(options.limits ?? {})) {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw bad(`limits.${name} must be a positive integer, got ${String(v)}`);
  }
}
