// TCP and TLS (RFC 3261 §18, §26.2): a listening server whose accepted connections become
// flows, and outbound connections opened on demand. Each connection's bytes go through a
// StreamFramer; a framing error closes the connection after an optional answer.

import { isIP, createServer as createTcpServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Clock, TimerHandle } from '../clock.ts';
import { newFlowId, type Flow, type FlowCloseReason, type FlowRegistry } from './flow-registry.ts';
import { addressFamily, isUnspecifiedAddress, normalizeAddress } from './ip-address.ts';
import { listenServer } from './listen-server.ts';
import { StreamFramer, type FramerLimits } from './stream-framer.ts';
import { TransportError, type FramingError } from './transport-errors.ts';
import type { TransportSink } from './transport-sink.ts';
import type { Endpoint, MessageSource } from './transport-types.ts';

export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** Trusted CAs for peers' certificates (default: Node's bundled roots). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify peers' certificates on outbound connections (default true). */
  rejectUnauthorized?: boolean;
}

export interface StreamContext {
  registry: FlowRegistry;
  sink: TransportSink;
  limits: FramerLimits;
  clock: Clock;
  connectTimeoutMs: number;
  /** How long a connection closed after a framing error may take to flush its answer. */
  lingerMs: number;
}

const CRLF = Buffer.from('\r\n');
const PING = Buffer.from('\r\n\r\n');

export class StreamFlow implements Flow {
  readonly id: string;
  readonly protocol: 'tcp' | 'tls';
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly outbound: boolean;
  readonly #socket: Socket;
  readonly #framer: StreamFramer;
  readonly #ctx: StreamContext;
  #closed = false;
  #pendingWrites = 0;
  #linger: TimerHandle | undefined;

  constructor(socket: Socket, protocol: 'tcp' | 'tls', outbound: boolean, ctx: StreamContext) {
    this.id = newFlowId(protocol);
    this.protocol = protocol;
    this.outbound = outbound;
    this.#socket = socket;
    this.#ctx = ctx;
    this.local = { address: normalizeAddress(socket.localAddress ?? ''), port: socket.localPort ?? 0 };
    this.remote = { address: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    // SIP messages are written whole; Nagle would only delay them.
    socket.setNoDelay(true);
    this.#framer = new StreamFramer({ ...ctx.limits, role: outbound ? 'client' : 'server' });
    this.#framer.on('message', (message) => ctx.sink.receive(message, this.source));
    this.#framer.on('ping', () => {
      this.#socket.write(CRLF);
      ctx.sink.keepalive(this.id, 'ping');
    });
    // On an accepted connection a lone CRLF is only a stray line end before a start line.
    this.#framer.on('pong', () => {
      if (outbound) ctx.sink.keepalive(this.id, 'pong');
    });
    this.#framer.on('error', (err) => this.#onFramingError(err));
    socket.on('data', (chunk: Buffer) => {
      try {
        ctx.registry.touch(this);
        this.#framer.push(chunk);
      } catch (err) {
        ctx.sink.report(err as Error);
        this.close('socket-error');
      }
    });
    socket.on('error', (err) => {
      ctx.sink.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `${protocol} flow ${this.id} to ${this.remote.address}:${this.remote.port}: ${err.message}`, { cause: err }));
      this.close('socket-error');
    });
    socket.on('close', () => {
      this.#linger?.cancel();
      this.close('peer-closed');
    });
  }

  get source(): MessageSource {
    return { protocol: this.protocol, address: this.remote.address, port: this.remote.port, flowId: this.id, local: { ...this.local } };
  }

  get busy(): boolean {
    return this.#pendingWrites > 0 || this.#framer.hasPartialMessage;
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(data: Buffer): Promise<void> {
    if (this.#closed) return Promise.reject(new TransportError('SIP_TRANSPORT_FLOW_CLOSED', `flow ${this.id} is closed`));
    this.#ctx.registry.touch(this);
    this.#pendingWrites++;
    return new Promise((resolve, reject) => {
      this.#socket.write(data, (err) => {
        this.#pendingWrites--;
        if (err) reject(new TransportError('SIP_TRANSPORT_FLOW_CLOSED', `cannot write to flow ${this.id}: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  /** RFC 5626 §4.4.1: a double-CRLF ping; the answer shows up as a 'pong' keep-alive. */
  ping(): Promise<void> {
    return this.write(PING);
  }

  close(reason: FlowCloseReason): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#framer.close();
      this.#linger?.cancel();
      this.#socket.destroy();
    }
    this.#ctx.registry.remove(this, reason);
  }

  #onFramingError(error: FramingError): void {
    if (this.#closed) return;
    const reply = this.#ctx.sink.framingReply(error, this.source);
    this.#closed = true;
    this.#ctx.registry.remove(this, 'framing-error');
    // Half-close so the answer is delivered before the FIN; the linger bounds a peer that never closes.
    this.#linger = this.#ctx.clock.setTimer(this.#ctx.lingerMs, () => this.#socket.destroy());
    this.#socket.end(reply ?? Buffer.alloc(0));
  }
}

export interface StreamListenerOptions {
  protocol: 'tcp' | 'tls';
  address: string;
  port: number;
  tls?: TlsOptions | undefined;
}

export class StreamTransport {
  readonly protocol: 'tcp' | 'tls';
  readonly #options: StreamListenerOptions;
  readonly #ctx: StreamContext;
  #server: Server | undefined;
  #local: Endpoint | undefined;
  /**
   * Every socket of this transport, flows or not (TLS handshakes, connections lingering after a
   * framing error): all are destroyed on close.
   */
  readonly #sockets = new Set<Socket>();

  constructor(options: StreamListenerOptions, ctx: StreamContext) {
    this.protocol = options.protocol;
    this.#options = options;
    this.#ctx = ctx;
  }

  get local(): Endpoint | undefined {
    return this.#local;
  }

  get family(): 4 | 6 {
    return addressFamily(this.#options.address) === 6 ? 6 : 4;
  }

  listen(): Promise<Endpoint> {
    const { protocol, address, port, tls } = this.#options;
    let server: Server;
    if (protocol === 'tls') {
      if (tls === undefined) return Promise.reject(new TransportError('SIP_TRANSPORT_BAD_OPTION', 'a tls listener needs tls.key and tls.cert'));
      const tlsServer = createTlsServer({ key: tls.key, cert: tls.cert, ca: tls.ca });
      tlsServer.on('secureConnection', (socket: TLSSocket) => this.#accept(socket));
      tlsServer.on('tlsClientError', (err, socket) => {
        this.#ctx.sink.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `TLS handshake from ${socket.remoteAddress ?? '?'} failed: ${err.message}`, { cause: err }));
      });
      server = tlsServer;
    } else {
      server = createTcpServer((socket) => this.#accept(socket));
    }
    server.on('connection', (socket: Socket) => this.#track(socket));
    this.#server = server;
    return listenServer(server, { protocol, address, port }, this.#ctx.sink).then((local) => {
      this.#local = local;
      return { ...local };
    });
  }

  /** Opens a connection to a peer (RFC 3261 §18.1.1); it becomes a flow once connected (and TLS-verified). */
  connect(address: string, port: number, serverName?: string): Promise<StreamFlow> {
    const { protocol, tls } = this.#options;
    const host = normalizeAddress(address);
    // Leave from the listener's own address when it has one of the right family.
    const localAddress = !isUnspecifiedAddress(this.#options.address) && addressFamily(this.#options.address) === addressFamily(host)
      ? this.#options.address
      : undefined;
    return new Promise((resolve, reject) => {
      const raw = tcpConnect({ host, port, localAddress });
      this.#track(raw);
      const socket: Socket = protocol === 'tls'
        ? tlsConnect({
          socket: raw,
          ca: tls?.ca,
          key: tls?.key,
          cert: tls?.cert,
          rejectUnauthorized: tls?.rejectUnauthorized ?? true,
          // Checked against the IP SANs when no name is given; SNI carries names only (RFC 6066 §3).
          host: serverName ?? host,
          ...(serverName !== undefined && isIP(serverName) === 0 ? { servername: serverName } : {}),
        })
        : raw;
      let settled = false;
      const fail = (err: Error, code: 'SIP_TRANSPORT_CONNECT_FAILED' | 'SIP_TRANSPORT_CONNECT_TIMEOUT') => {
        if (settled) return;
        settled = true;
        timer.cancel();
        socket.destroy();
        raw.destroy();
        reject(new TransportError(code, `cannot connect to ${protocol} ${address}:${port}: ${err.message}`, { cause: err }));
      };
      const onError = (err: Error) => fail(err, 'SIP_TRANSPORT_CONNECT_FAILED');
      const timer = this.#ctx.clock.setTimer(this.#ctx.connectTimeoutMs, () => fail(new Error(`no answer in ${this.#ctx.connectTimeoutMs} ms`), 'SIP_TRANSPORT_CONNECT_TIMEOUT'));
      socket.once('error', onError);
      if (raw !== socket) raw.once('error', onError);
      socket.once(protocol === 'tls' ? 'secureConnect' : 'connect', () => {
        if (settled) return;
        settled = true;
        timer.cancel();
        socket.off('error', onError);
        raw.off('error', onError);
        // The TLS socket reports failures of the connection under it; this only keeps an
        // 'error' on the raw socket from being unhandled.
        if (raw !== socket) raw.on('error', () => undefined);
        const flow = new StreamFlow(socket, protocol, true, this.#ctx);
        this.#ctx.registry.add(flow);
        resolve(flow);
      });
    });
  }

  /** Stops accepting and destroys every socket; the flows announce their closing through the registry. */
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    const server = this.#server;
    if (server === undefined || !server.listening) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #accept(socket: Socket): void {
    try {
      const flow = new StreamFlow(socket, this.protocol, false, this.#ctx);
      this.#ctx.registry.add(flow);
    } catch (err) {
      this.#ctx.sink.report(err as Error);
      socket.destroy();
    }
  }
}
