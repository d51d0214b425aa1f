// Binding a connection-oriented listener (TCP, TLS, WS, WSS): a bind failure rejects with
// SIP_TRANSPORT_BIND_FAILED, and once bound, server errors are reported, never thrown.

import type { Server } from 'node:net';
import { normalizeAddress } from './ip-address.ts';
import { TransportError } from './transport-errors.ts';
import type { TransportSink } from './transport-sink.ts';
import type { Endpoint, TransportProtocol } from './transport-types.ts';

export interface ListenAt {
  protocol: TransportProtocol;
  address: string;
  /** 0 picks a free port. */
  port: number;
}

/** Starts `server` listening; resolves with the endpoint it bound (the port picked when 0 was asked). */
export function listenServer(server: Server, { protocol, address, port }: ListenAt, sink: TransportSink): Promise<Endpoint> {
  return new Promise((resolve, reject) => {
    const onListenError = (err: Error) => reject(new TransportError('SIP_TRANSPORT_BIND_FAILED', `cannot listen on ${protocol} ${address}:${port}: ${err.message}`, { cause: err }));
    server.once('error', onListenError);
    server.listen({ host: address, port }, () => {
      server.off('error', onListenError);
      server.on('error', (err) => sink.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `${protocol} server error: ${err.message}`, { cause: err })));
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? { address: normalizeAddress(bound.address), port: bound.port } : { address, port });
    });
  });
}
