// Two SipStacks talking over real sockets on 127.0.0.1 (port 0), for stack ↔ stack integration
// tests. Each stack's transport is wrapped in a tap that records what the stack sends (at the
// moment it hands it over, so counts are exact right after a FakeClock advance) and what it
// receives, and can drop incoming messages to simulate loss.
//
// UDP, TCP and TLS use a TransportLayer on both sides. The transport layer only accepts WebSocket
// connections (RFC 7118 peers are browsers that connect in), so over WS the UAS is a stack with a
// WS listener and the UAC a stack on a small WebSocket client transport built here.

import { once } from 'node:events';
import type { IncomingMessage as HttpResponse } from 'node:http';
import { WebSocket } from 'ws';
import type { Clock } from '../../ipbx/sip/clock.ts';
import { parseMessage, serializeMessage, type SipMessage, type SipRequest, type SipResponse, type SipUri } from '../../ipbx/sip/message/index.ts';
import type { TimerConfig } from '../../ipbx/sip/transaction/index.ts';
import { SIP_SUBPROTOCOL, TransportLayer, type Endpoint, type IncomingMessage, type SendTarget, type TransportProtocol } from '../../ipbx/sip/transport/index.ts';
import { SipStack, type StackTransport, type UasPolicy } from '../../ipbx/sip/ua/index.ts';
import { makeSelfSignedCert, type TestCert } from './tls-cert.ts';

export type PairProtocol = 'udp' | 'tcp' | 'tls' | 'ws';

/** Every wait in these tests is bounded: a test fails instead of hanging. */
export const WAIT_MS = 5_000;

export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface SentRecord {
  message: SipMessage;
  target: SendTarget;
}

type Waiter = { check: () => boolean };

/** A StackTransport that records traffic both ways and can lose incoming messages. */
export class TapTransport implements StackTransport {
  readonly inner: StackTransport;
  readonly sent: SentRecord[] = [];
  readonly received: IncomingMessage[] = [];
  /** Return true to drop a received message before the stack sees it (recorded all the same). */
  dropIncoming: ((incoming: IncomingMessage) => boolean) | undefined;
  readonly #waiters = new Set<Waiter>();

  constructor(inner: StackTransport) {
    this.inner = inner;
  }

  send(message: SipMessage, target: SendTarget): Promise<void> {
    this.sent.push({ message, target: { ...target } });
    this.#wake();
    return this.inner.send(message, target);
  }

  localEndpoint(protocol: TransportProtocol): Endpoint {
    return this.inner.localEndpoint(protocol);
  }

  onMessage(handler: (incoming: IncomingMessage) => void): void {
    this.inner.onMessage((incoming) => {
      this.received.push(incoming);
      const drop = this.dropIncoming?.(incoming) ?? false;
      if (!drop) handler(incoming);
      this.#wake();
    });
  }

  close(): Promise<void> | void {
    return this.inner.close();
  }

  /** Requests sent, optionally of one method. */
  sentRequests(method?: string): SipRequest[] {
    return this.sent.map((r) => r.message).filter((m): m is SipRequest => m.isRequest() && (method === undefined || m.method === method));
  }

  /** Responses sent, optionally with one status (and CSeq method). */
  sentResponses(status?: number, method?: string): SipResponse[] {
    return this.sent.map((r) => r.message).filter((m): m is SipResponse => !m.isRequest() && matches(m, status, method));
  }

  receivedRequests(method?: string): SipRequest[] {
    return this.received.map((r) => r.message).filter((m): m is SipRequest => m.isRequest() && (method === undefined || m.method === method));
  }

  receivedResponses(status?: number, method?: string): SipResponse[] {
    return this.received.map((r) => r.message).filter((m): m is SipResponse => !m.isRequest() && matches(m, status, method));
  }

  /** Resolves once `condition` holds (checked now and after every message either way); bounded. */
  until(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    let waiter: Waiter | undefined;
    const reached = new Promise<void>((resolve) => {
      waiter = { check: () => { if (!condition()) return false; resolve(); return true; } };
      this.#waiters.add(waiter);
    });
    return within(reached, what, ms).finally(() => { if (waiter !== undefined) this.#waiters.delete(waiter); });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) if (waiter.check()) this.#waiters.delete(waiter);
  }
}

function matches(response: SipResponse, status: number | undefined, method: string | undefined): boolean {
  return (status === undefined || response.status === status) && (method === undefined || response.cseq.method === method);
}

/**
 * A WebSocket client flow as a StackTransport: one connection to the server, every message sent
 * over it whatever the target says (RFC 7118 §5: one SIP message per WebSocket message).
 */
export class WsClientTransport implements StackTransport {
  readonly #ws: WebSocket;
  readonly #local: Endpoint;
  readonly #remote: Endpoint;
  readonly #handlers = new Set<(incoming: IncomingMessage) => void>();
  #closed = false;

  private constructor(ws: WebSocket, local: Endpoint, remote: Endpoint) {
    this.#ws = ws;
    this.#local = local;
    this.#remote = remote;
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => this.#receive(toBuffer(data)));
    ws.on('error', () => undefined);
  }

  static async connect(url: string, remote: Endpoint): Promise<WsClientTransport> {
    const ws = new WebSocket(url, [SIP_SUBPROTOCOL]);
    // ws emits 'open' in the same tick as 'upgrade': listen for both before either fires.
    const upgraded = once(ws, 'upgrade') as Promise<[HttpResponse]>;
    const [[response]] = await within(Promise.all([upgraded, once(ws, 'open')]), `the WebSocket handshake with ${url}`);
    const socket = response.socket;
    return new WsClientTransport(ws, { address: socket.localAddress ?? '127.0.0.1', port: socket.localPort ?? 0 }, remote);
  }

  send(message: SipMessage, target: SendTarget): Promise<void> {
    if (target.protocol !== 'ws') return Promise.reject(new Error(`the WebSocket client cannot send over ${target.protocol}`));
    if (this.#closed) return Promise.reject(new Error('the WebSocket client is closed'));
    return new Promise((resolve, reject) => this.#ws.send(serializeMessage(message), (err) => (err ? reject(err) : resolve())));
  }

  localEndpoint(protocol: TransportProtocol): Endpoint {
    if (protocol !== 'ws') throw new Error(`the WebSocket client has no ${protocol} endpoint`);
    return { ...this.#local };
  }

  onMessage(handler: (incoming: IncomingMessage) => void): void {
    this.#handlers.add(handler);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ws.readyState === WebSocket.CLOSED) return;
    const closed = once(this.#ws, 'close');
    this.#ws.terminate();
    await closed;
  }

  #receive(data: Buffer): void {
    const result = parseMessage(data, { datagram: true });
    if (!result.ok) return;
    const source = { protocol: 'ws' as const, ...this.#remote, flowId: 'ws-client', local: { ...this.#local } };
    for (const handler of this.#handlers) handler({ message: result.message, source });
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export interface SideOptions {
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  policy?: Partial<UasPolicy>;
}

export interface StackPairOptions {
  uac?: SideOptions;
  uas?: SideOptions;
}

export interface StackPair {
  protocol: PairProtocol;
  uac: SipStack;
  uas: SipStack;
  uacTap: TapTransport;
  uasTap: TapTransport;
  /** Where the UAC reaches the UAS without resolving a URI. */
  uasTarget: SendTarget;
  /** Errors either stack reported through onError, tagged with the side. */
  errors: Array<{ side: 'uac' | 'uas'; error: unknown }>;
  /** A URI that reaches the UAS over this protocol (`sips:` for TLS, `;transport=` otherwise). */
  uasUri(user?: string): SipUri;
  close(): Promise<void>;
}

/** Starts both stacks; `close()` stops them and frees the certificate of a TLS pair. */
export async function startStackPair(protocol: PairProtocol, options: StackPairOptions = {}): Promise<StackPair> {
  const cert: TestCert | undefined = protocol === 'tls' ? await makeSelfSignedCert() : undefined;
  const tls = cert === undefined ? undefined : { key: cert.key, cert: cert.cert, ca: cert.cert };
  const errors: StackPair['errors'] = [];
  const closers: Array<() => Promise<void> | void> = [];
  try {
    const uasLayer = new TransportLayer({ listeners: [{ protocol, address: '127.0.0.1', port: 0, tls }] });
    closers.push(() => uasLayer.close());
    const [bound] = await uasLayer.start();
    if (bound === undefined) throw new Error(`the UAS ${protocol} listener did not bind`);
    const uasTarget: SendTarget = { protocol, address: bound.address, port: bound.port };

    let uacInner: StackTransport;
    if (protocol === 'ws') {
      uacInner = await WsClientTransport.connect(`ws://127.0.0.1:${bound.port}`, { address: bound.address, port: bound.port });
    } else {
      const uacLayer = new TransportLayer({ listeners: [{ protocol, address: '127.0.0.1', port: 0, tls }] });
      await uacLayer.start();
      uacInner = uacLayer;
    }
    closers.push(() => uacInner.close());

    const uasTap = new TapTransport(uasLayer);
    const uacTap = new TapTransport(uacInner);
    const uas = new SipStack({ transport: uasTap, userAgent: 'voiplab-uas', ...options.uas, onError: (error) => errors.push({ side: 'uas', error }) });
    const uac = new SipStack({ transport: uacTap, userAgent: 'voiplab-uac', ...options.uac, onError: (error) => errors.push({ side: 'uac', error }) });
    closers.length = 0;
    return {
      protocol, uac, uas, uacTap, uasTap, uasTarget, errors,
      uasUri: (user) => uas.contactFor(protocol, user).uri as SipUri,
      close: async () => {
        await Promise.all([uac.close(), uas.close()]);
        await cert?.cleanup();
      },
    };
  } catch (err) {
    for (const close of closers) await close();
    await cert?.cleanup();
    throw err;
  }
}
