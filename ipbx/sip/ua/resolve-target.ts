// Where to send a request (RFC 3263, reduced to what a LAN IPBX needs): the first Route if it
// is a loose router, else the Request-URI; transport from `;transport=` or the SIPS scheme;
// port from the URI or the transport's default; host names looked up as A/AAAA records.
// NAPTR/SRV are not consulted: lab and CI targets are addresses or plain host names.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SipUri, type NameAddr, type Uri } from '../message/index.ts';
import { defaultPort } from '../transaction/index.ts';
import type { SendTarget, TransportProtocol } from '../transport/transport-types.ts';

export class TargetError extends Error {
  override readonly name = 'TargetError';
  readonly code = 'SIP_UNROUTABLE_URI';
  readonly sipStatus = 416;
}

const PROTOCOLS: Record<string, TransportProtocol> = { udp: 'udp', tcp: 'tcp', tls: 'tls', ws: 'ws', wss: 'wss' };

/** The URI the next hop is taken from (RFC 3261 §8.1.2). */
export function nextHopUri(requestUri: Uri, routes: readonly NameAddr[]): Uri {
  const first = routes[0];
  if (first !== undefined && first.uri instanceof SipUri && first.uri.params.has('lr')) return first.uri;
  return requestUri;
}

export function uriTransport(uri: SipUri): TransportProtocol {
  const param = uri.transportParam;
  if (param !== undefined) {
    const protocol = PROTOCOLS[param];
    if (protocol === undefined) throw new TargetError(`transport "${param}" is not supported`);
    if (uri.scheme === 'sips' && protocol === 'tcp') return 'tls';
    if (uri.scheme === 'sips' && protocol === 'ws') return 'wss';
    return protocol;
  }
  return uri.scheme === 'sips' ? 'tls' : 'udp';
}

/** Strips IPv6 brackets: `[::1]` → `::1`. */
export function bareHost(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

export async function resolveTarget(uri: Uri): Promise<SendTarget> {
  if (!(uri instanceof SipUri)) throw new TargetError(`cannot route to a ${uri.scheme}: URI`);
  const protocol = uriTransport(uri);
  const maddr = uri.params.get('maddr');
  const host = bareHost(maddr ?? uri.host);
  const port = uri.port ?? defaultPort(protocol);
  const address = isIP(host) !== 0 ? host : (await lookup(host)).address;
  return { protocol, address, port };
}
