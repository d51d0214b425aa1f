// What the transport integration tests (test/integration/transport-*.test.ts) share: a
// TransportLayer started on real sockets and closed after the test, bounded waits for what it
// hands up, SIP request text to throw at it, and raw peers (UDP, TCP, TLS, WebSocket) that speak
// to it the way a phone or a browser would, without our own stack in between.

import { after, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { createResponse, parseMessage, type SipMessage, type SipResponse } from '../../ipbx/sip/message/index.ts';
import {
  TransportLayer,
  type FlowClosedEvent,
  type FlowInfo,
  type IncomingMessage,
  type TransportLayerOptions,
} from '../../ipbx/sip/transport/index.ts';
import { within } from './stack-pair.ts';
import { makeSelfSignedCert, type TestCert } from './tls-cert.ts';

export { within, WAIT_MS } from './stack-pair.ts';

// ---------------------------------------------------------------------------------------------
// The layer under test

/** Starts a layer on `options`, closed when the test ends. */
export async function startLayer(t: TestContext, options: TransportLayerOptions): Promise<TransportLayer> {
  const layer = new TransportLayer(options);
  t.after(() => layer.close());
  await layer.start();
  return layer;
}

/** The next message the layer hands up. Unbounded: wrap the await in `within`. */
export function nextMessage(layer: TransportLayer): Promise<IncomingMessage> {
  return new Promise((resolve) => {
    const off = layer.onMessage((incoming) => {
      off();
      resolve(incoming);
    });
  });
}

// Not events.once(): it would also reject on the 'error' events the layer reports along the way.
export function nextFlowOpened(layer: TransportLayer, what = 'flow-opened'): Promise<FlowInfo> {
  return within(new Promise((resolve) => layer.once('flow-opened', resolve)), what);
}

export function nextFlowClosed(layer: TransportLayer, what = 'flow-closed'): Promise<FlowClosedEvent> {
  return within(new Promise((resolve) => layer.once('flow-closed', resolve)), what);
}

export function nextPong(layer: TransportLayer, what = 'the pong'): Promise<string> {
  return within(new Promise((resolve) => layer.once('pong', resolve)), what);
}

/** Answers every request with a 200 sent back where it came from (RFC 3581 §4, RFC 3261 §18.2.2). */
export function answerAll(layer: TransportLayer): void {
  layer.onMessage(({ message, source }) => {
    if (message.isRequest()) void layer.send(createResponse(message, 200), { ...source });
  });
}

// ---------------------------------------------------------------------------------------------
// SIP text

export interface RequestOptions {
  /** Default OPTIONS. */
  method?: string;
  /** Request-URI, default sip:service@127.0.0.1. */
  uri?: string;
  /** Transport of the default Via (sent-by client.invalid, so the layer stamps received). */
  transport?: 'UDP' | 'TCP' | 'TLS';
  /** The whole Via value, instead of the default one. */
  via?: string;
  /** Default <sip:service@example.com>. */
  to?: string;
  callId?: string;
  /** CSeq method when it should differ from the request method. */
  cseqMethod?: string;
  /** Extra header lines, put after CSeq. */
  headers?: string[];
  body?: string;
  /** The Content-Length value; default the body's length, null for no Content-Length header. */
  contentLength?: string | null;
}

/** The text of a SIP request, CRLF line ends, random branch and Call-ID. */
export function requestText(o: RequestOptions = {}): string {
  const method = o.method ?? 'OPTIONS';
  const body = o.body ?? '';
  const transport = o.transport ?? 'UDP';
  const lines = [
    `${method} ${o.uri ?? 'sip:service@127.0.0.1'} SIP/2.0`,
    `Via: ${o.via ?? `SIP/2.0/${transport} client.invalid:5099;branch=z9hG4bK${randomBytes(6).toString('hex')};rport`}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    `To: ${o.to ?? '<sip:service@example.com>'}`,
    `Call-ID: ${o.callId ?? randomBytes(8).toString('hex')}`,
    `CSeq: 1 ${o.cseqMethod ?? method}`,
    ...(o.headers ?? []),
  ];
  if (o.contentLength !== null) lines.push(`Content-Length: ${o.contentLength ?? Buffer.byteLength(body)}`);
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

/** Parses bytes that must be one SIP message; the test fails when they are not. */
export function parseSip(bytes: Buffer | string, framing: 'datagram' | 'stream'): SipMessage {
  const result = parseMessage(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), { datagram: framing === 'datagram' });
  assert.ok(result.ok, `unparseable: ${result.ok ? '' : result.error.reason}`);
  return result.message;
}

export function asResponse(message: SipMessage): SipResponse {
  assert.ok(!message.isRequest(), 'expected a response');
  return message;
}

// ---------------------------------------------------------------------------------------------
// Raw peers

/** A self-signed certificate made once for the calling test file (registers its before/after hooks). */
export function useTestCert(): () => TestCert {
  let cert: TestCert | undefined;
  before(async () => {
    cert = await makeSelfSignedCert();
  });
  after(async () => {
    await cert?.cleanup();
  });
  return () => {
    assert.ok(cert !== undefined, 'the test certificate is made in before()');
    return cert;
  };
}

/** A plain UDP peer bound on `address` that queues what it receives. */
export async function udpPeer(t: TestContext, type: 'udp4' | 'udp6', address: string) {
  const socket = createSocket(type);
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const queue: Buffer[] = [];
  const waiters: Array<(b: Buffer) => void> = [];
  socket.on('message', (packet) => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(packet);
    else queue.push(packet);
  });
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const receive = (what: string) => within(new Promise<Buffer>((resolve) => {
    const queued = queue.shift();
    if (queued !== undefined) resolve(queued);
    else waiters.push(resolve);
  }), what);
  return {
    port: socket.address().port,
    send: (data: string | Buffer, port: number, to = address) =>
      new Promise<void>((resolve, reject) => socket.send(data, port, to, (err) => (err ? reject(err) : resolve()))),
    /** The next datagram, raw. */
    receive,
    /** The next datagram, parsed as a SIP message. */
    receiveMessage: async (what: string) => parseSip(await receive(what), 'datagram'),
  };
}

export interface StreamPeer<S extends Socket> {
  socket: S;
  /** Resolves when the connection is closed. */
  closed(what: string): Promise<void>;
  write(data: string | Buffer): Promise<void>;
  /** The next message, cut at its Content-Length. */
  readMessage(what: string): Promise<SipMessage>;
  readExactly(n: number, what: string): Promise<string>;
}

/** A raw TCP peer connected to host:port. */
export async function tcpPeer(t: TestContext, host: string, port: number): Promise<StreamPeer<Socket>> {
  const socket = connect({ host, port });
  t.after(() => socket.destroy());
  await within(once(socket, 'connect'), 'the TCP connection');
  socket.setNoDelay(true);
  return streamPeer(socket);
}

/** A raw TLS peer connected to host:port, trusting `ca`. */
export async function tlsPeer(t: TestContext, host: string, port: number, ca: string): Promise<StreamPeer<TLSSocket>> {
  const socket = tlsConnect({ host, port, ca });
  t.after(() => socket.destroy());
  await within(once(socket, 'secureConnect'), 'the TLS handshake');
  return streamPeer(socket);
}

/** Reads messages off a connected stream by Content-Length and tells when the server closes. */
function streamPeer<S extends Socket>(socket: S): StreamPeer<S> {
  let buffered = Buffer.alloc(0);
  let ended = false;
  const wake: Array<() => void> = [];
  const notify = () => { for (const w of wake.splice(0)) w(); };
  socket.on('data', (chunk: Buffer) => { buffered = Buffer.concat([buffered, chunk]); notify(); });
  socket.on('close', () => { ended = true; notify(); });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

  /** Waits until `take` finds what it wants in the received bytes and returns how many it used. */
  function until<T>(take: (buf: Buffer) => { value: T; used: number } | undefined, what: string): Promise<T> {
    return within(new Promise<T>((resolve, reject) => {
      const check = () => {
        const got = take(buffered);
        if (got !== undefined) {
          buffered = buffered.subarray(got.used);
          resolve(got.value);
        } else if (ended) {
          reject(new Error(`connection closed before ${what}`));
        } else {
          wake.push(check);
        }
      };
      check();
    }), what);
  }

  return {
    socket,
    closed: (what) => within(closed, what),
    write: (data) => new Promise<void>((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve()))),
    readMessage: (what) => until((buf) => {
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd === -1) return undefined;
      const length = Number(/\r\nContent-Length: *(\d+)/i.exec(buf.toString('latin1', 0, headEnd))?.[1] ?? 0);
      const used = headEnd + 4 + length;
      return buf.length < used ? undefined : { value: parseSip(buf.subarray(0, used), 'stream'), used };
    }, what),
    readExactly: (n, what) => until((buf) => (buf.length >= n ? { value: buf.subarray(0, n).toString('latin1'), used: n } : undefined), what),
  };
}

/** A WebSocket client that completed its handshake with `url`, terminated after the test. */
export async function wsClient(t: TestContext, url: string, protocols: string[] | undefined, options: { ca?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options);
  t.after(() => ws.terminate());
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), `the WebSocket handshake with ${url}`);
  return ws;
}

/** The next WebSocket message, parsed as one SIP message (RFC 7118 §5), and whether it came in a binary frame. */
export function nextWsMessage(ws: WebSocket): Promise<{ message: SipMessage; isBinary: boolean }> {
  return within(new Promise((resolve, reject) => {
    ws.once('message', (data, isBinary) => {
      const result = parseMessage(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), { datagram: true });
      if (result.ok) resolve({ message: result.message, isBinary });
      else reject(result.error);
    });
  }), 'a message over the WebSocket');
}

/** Tries a handshake expected to fail; resolves with the HTTP status of the refusal. */
export function refusedStatus(url: string, protocols: string[] | undefined, options: { ca?: string } = {}): Promise<number> {
  return within(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the handshake succeeded'));
    });
    ws.on('error', () => undefined);
  }), 'the refused handshake');
}
