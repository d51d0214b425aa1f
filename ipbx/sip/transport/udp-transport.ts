// One UDP socket (RFC 3261 §18.1.1, §18.2.1): each datagram is one message. STUN keep-alives
// are answered here, and datagrams holding only line ends (keep-alives some UAs send over UDP)
// are dropped without counting as parse errors.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { addressFamily, normalizeAddress } from './ip-address.ts';
import { isStunMessage, stunBindingResponse } from './stun-keepalive.ts';
import { TransportError } from './transport-errors.ts';
import type { TransportSink } from './transport-sink.ts';
import type { Endpoint, MessageSource } from './transport-types.ts';

const UDP_FLOW_PREFIX = 'udp/';

/**
 * UDP has no connections; its flow id names the local socket and the remote address, so a
 * reply can leave from the socket the request arrived on (RFC 3581 §4, symmetric response).
 */
export function udpFlowId(listenerIndex: number, remote: Endpoint): string {
  return `${UDP_FLOW_PREFIX}${listenerIndex}/${remote.address}/${remote.port}`;
}

/** The listener index named by a UDP flow id, or undefined when it is not one. */
export function udpFlowListener(flowId: string): number | undefined {
  if (!flowId.startsWith(UDP_FLOW_PREFIX)) return undefined;
  const n = Number(flowId.slice(UDP_FLOW_PREFIX.length, flowId.indexOf('/', UDP_FLOW_PREFIX.length)));
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export class UdpTransport {
  readonly protocol = 'udp' as const;
  readonly #index: number;
  readonly #address: string;
  readonly #port: number;
  readonly #sink: TransportSink;
  #socket: Socket | undefined;
  #local: Endpoint | undefined;
  #closed = false;

  constructor(index: number, address: string, port: number, sink: TransportSink) {
    this.#index = index;
    this.#address = address;
    this.#port = port;
    this.#sink = sink;
  }

  get family(): 4 | 6 {
    return addressFamily(this.#address) === 6 ? 6 : 4;
  }

  get local(): Endpoint | undefined {
    return this.#local;
  }

  listen(): Promise<Endpoint> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: this.family === 6 ? 'udp6' : 'udp4' });
      this.#socket = socket;
      const onListenError = (err: Error) => {
        socket.close();
        reject(new TransportError('SIP_TRANSPORT_BIND_FAILED', `cannot bind UDP ${this.#address}:${this.#port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onListenError);
      socket.bind(this.#port, this.#address, () => {
        socket.off('error', onListenError);
        socket.on('error', (err) => this.#sink.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `UDP socket error: ${err.message}`, { cause: err })));
        socket.on('message', (packet, rinfo) => this.#onPacket(packet, rinfo));
        const bound = socket.address();
        this.#local = { address: normalizeAddress(bound.address), port: bound.port };
        resolve({ ...this.#local });
      });
    });
  }

  send(data: Buffer, address: string, port: number): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || this.#closed) {
      return Promise.reject(new TransportError('SIP_TRANSPORT_CLOSED', 'the UDP socket is closed'));
    }
    // A dual-stack IPv6 socket reaches IPv4 peers through IPv4-mapped addresses.
    const to = this.family === 6 && addressFamily(address) === 4 ? `::ffff:${normalizeAddress(address)}` : normalizeAddress(address);
    return new Promise((resolve, reject) => {
      socket.send(data, port, to, (err) => {
        if (err) reject(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `cannot send to UDP ${address}:${port}: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const socket = this.#socket;
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    });
  }

  #onPacket(packet: Buffer, rinfo: RemoteInfo): void {
    try {
      const remote = { address: normalizeAddress(rinfo.address), port: rinfo.port };
      if (isStunMessage(packet)) {
        const reply = stunBindingResponse(packet, remote);
        if (reply !== undefined) this.send(reply, remote.address, remote.port).catch((err: unknown) => this.#sink.report(err as Error));
        return;
      }
      if (isOnlyLineEnds(packet)) return;
      const source: MessageSource = {
        protocol: 'udp',
        address: remote.address,
        port: remote.port,
        flowId: udpFlowId(this.#index, remote),
        local: { ...(this.#local ?? { address: this.#address, port: this.#port }) },
      };
      this.#sink.receive(packet, source);
    } catch (err) {
      this.#sink.report(err as Error);
    }
  }
}

function isOnlyLineEnds(packet: Buffer): boolean {
  for (const b of packet) if (b !== 0x0d && b !== 0x0a && b !== 0x20) return false;
  return true;
}
