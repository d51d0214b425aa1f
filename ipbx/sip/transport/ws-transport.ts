// SIP over WebSocket (RFC 7118), WS and WSS servers on the `ws` package. The handshake must
// offer the `sip` subprotocol (RFC 7118 §4.1) or it is refused; each WebSocket message, text or
// binary, carries exactly one SIP message (§5), so there is no framing beyond WebSocket's own.
// WebSocket peers are reachable only over the connection they opened.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { WebSocketServer, type WebSocket } from 'ws';
import { newFlowId, type Flow, type FlowCloseReason, type FlowRegistry } from './flow-registry.ts';
import { normalizeAddress } from './ip-address.ts';
import { listenServer } from './listen-server.ts';
import type { TlsOptions } from './tcp-transport.ts';
import { TransportError } from './transport-errors.ts';
import type { TransportSink } from './transport-sink.ts';
import type { Endpoint, MessageSource } from './transport-types.ts';

export const SIP_SUBPROTOCOL = 'sip';

export interface WsContext {
  registry: FlowRegistry;
  sink: TransportSink;
  maxMessageBytes: number;
}

export interface WsListenerOptions {
  protocol: 'ws' | 'wss';
  address: string;
  port: number;
  tls?: TlsOptions | undefined;
}

const WS_OPEN = 1;
const WS_GOING_AWAY = 1001;

export class WsFlow implements Flow {
  readonly id: string;
  readonly protocol: 'ws' | 'wss';
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly outbound = false;
  readonly #ws: WebSocket;
  readonly #ctx: WsContext;
  #closed = false;
  #pendingWrites = 0;

  constructor(ws: WebSocket, req: IncomingMessage, protocol: 'ws' | 'wss', ctx: WsContext) {
    this.id = newFlowId(protocol);
    this.protocol = protocol;
    this.#ws = ws;
    this.#ctx = ctx;
    const socket = req.socket;
    this.local = { address: normalizeAddress(socket.localAddress ?? ''), port: socket.localPort ?? 0 };
    this.remote = { address: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    ws.on('message', (data, _isBinary) => {
      try {
        ctx.registry.touch(this);
        const bytes = toBuffer(data);
        if (isCrlfKeepAlive(bytes)) {
          // sip.js and JsSIP send RFC 5626's double-CRLF ping in a message of its own and wait
          // for the single-CRLF pong; a lone CRLF is such a pong. Neither is a SIP message.
          if (bytes.length >= 4) this.#ws.send('\r\n');
          return;
        }
        ctx.sink.receive(bytes, this.source);
      } catch (err) {
        ctx.sink.report(err as Error);
      }
    });
    // WebSocket pings (answered by ws itself) keep a flow alive like CRLF pings do on TCP.
    ws.on('ping', () => ctx.registry.touch(this));
    ws.on('pong', () => ctx.registry.touch(this));
    ws.on('error', (err) => {
      ctx.sink.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `${protocol} flow ${this.id} to ${this.remote.address}:${this.remote.port}: ${err.message}`, { cause: err }));
      this.close('socket-error');
    });
    ws.on('close', () => this.close('peer-closed'));
  }

  /**
   * A WebSocket ping frame (RFC 6455 §5.5.2): browsers answer it themselves, so it keeps the flow
   * (and the NAT mappings on its way) alive without the page doing anything.
   */
  ping(): Promise<void> {
    if (this.#closed || this.#ws.readyState !== WS_OPEN) {
      return Promise.reject(new TransportError('SIP_TRANSPORT_FLOW_CLOSED', `flow ${this.id} is closed`));
    }
    return new Promise((resolve, reject) => {
      this.#ws.ping(undefined, undefined, (err) => {
        if (err) reject(new TransportError('SIP_TRANSPORT_FLOW_CLOSED', `cannot ping flow ${this.id}: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  get source(): MessageSource {
    return { protocol: this.protocol, address: this.remote.address, port: this.remote.port, flowId: this.id, local: { ...this.local } };
  }

  get busy(): boolean {
    return this.#pendingWrites > 0 || this.#ws.bufferedAmount > 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(data: Buffer): Promise<void> {
    if (this.#closed || this.#ws.readyState !== WS_OPEN) {
      return Promise.reject(new TransportError('SIP_TRANSPORT_FLOW_CLOSED', `flow ${this.id} is closed`));
    }
    this.#ctx.registry.touch(this);
    this.#pendingWrites++;
    return new Promise((resolve, reject) => {
      // RFC 7118 §5: text frames for UTF-8 messages, binary frames for the rest.
      this.#ws.send(data, { binary: !isUtf8(data) }, (err) => {
        this.#pendingWrites--;
        if (err) reject(new TransportError('SIP_TRANSPORT_FLOW_CLOSED', `cannot write to flow ${this.id}: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  close(reason: FlowCloseReason): void {
    if (!this.#closed) {
      this.#closed = true;
      if (reason === 'peer-closed') this.#ws.terminate();
      else this.#ws.close(WS_GOING_AWAY, reason);
    }
    this.#ctx.registry.remove(this, reason);
  }

  /** Drops the TCP connection without a closing handshake. */
  terminate(): void {
    this.#ws.terminate();
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The subprotocols a handshake offers (RFC 6455 §11.3.4: a comma-separated token list). */
function offeredProtocols(req: IncomingMessage): Set<string> {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return new Set();
  return new Set(header.split(',').map((p) => p.trim()).filter((p) => p !== ''));
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export class WsTransport {
  readonly protocol: 'ws' | 'wss';
  readonly #options: WsListenerOptions;
  readonly #ctx: WsContext;
  readonly #flows = new Set<WsFlow>();
  /** Every TCP connection, upgraded or not: all are destroyed on close. */
  readonly #sockets = new Set<Duplex>();
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #local: Endpoint | undefined;

  constructor(options: WsListenerOptions, ctx: WsContext) {
    this.protocol = options.protocol;
    this.#options = options;
    this.#ctx = ctx;
  }

  get local(): Endpoint | undefined {
    return this.#local;
  }

  listen(): Promise<Endpoint> {
    const { protocol, address, port, tls } = this.#options;
    if (protocol === 'wss' && tls === undefined) {
      return Promise.reject(new TransportError('SIP_TRANSPORT_BAD_OPTION', 'a wss listener needs tls.key and tls.cert'));
    }
    const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade', 'Content-Type': 'text/plain' });
      res.end('SIP over WebSocket only (RFC 7118): upgrade with subprotocol "sip"\n');
    };
    const server: Server = tls === undefined || protocol === 'ws'
      ? createHttpServer(onRequest)
      : createHttpsServer({ key: tls.key, cert: tls.cert, ca: tls.ca }, onRequest);
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.#ctx.maxMessageBytes,
      handleProtocols: (offered) => (offered.has(SIP_SUBPROTOCOL) ? SIP_SUBPROTOCOL : false),
    });
    wss.on('error', (err) => this.#ctx.sink.report(err));
    wss.on('wsClientError', (err) => this.#ctx.sink.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `${protocol} handshake failed: ${err.message}`, { cause: err })));
    server.on('connection', (socket: Duplex) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    server.on('tlsClientError', (err: Error) => this.#ctx.sink.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `${protocol} TLS handshake failed: ${err.message}`, { cause: err })));
    this.#server = server;
    this.#wss = wss;
    return listenServer(server, { protocol, address, port }, this.#ctx.sink).then((local) => {
      this.#local = local;
      return { ...local };
    });
  }

  /** Stops accepting and drops every connection at once (no closing handshakes to wait for). */
  close(): Promise<void> {
    for (const flow of this.#flows) flow.terminate();
    this.#flows.clear();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#wss?.close();
    const server = this.#server;
    if (server === undefined || !server.listening) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      socket.on('error', (err) => this.#ctx.sink.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `${this.protocol} upgrade socket: ${err.message}`, { cause: err })));
      if (!offeredProtocols(req).has(SIP_SUBPROTOCOL)) {
        refuseUpgrade(socket, 400, 'Bad Request', 'the "sip" WebSocket subprotocol is required (RFC 7118 §4.1)\n');
        return;
      }
      const wss = this.#wss;
      if (wss === undefined) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const flow = new WsFlow(ws, req, this.protocol, this.#ctx);
        this.#flows.add(flow);
        ws.once('close', () => this.#flows.delete(flow));
        this.#ctx.registry.add(flow);
      });
    } catch (err) {
      this.#ctx.sink.report(err as Error);
      socket.destroy();
    }
  }
}

/** Only CR and LF bytes: a keep-alive, not a message (RFC 5626 §4.4.1 over a WebSocket). */
function isCrlfKeepAlive(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes.length > 4) return false;
  for (const byte of bytes) if (byte !== 0x0d && byte !== 0x0a) return false;
  return true;
}
