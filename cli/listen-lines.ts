// The lines `voiplab serve` prints for what it listens on. A wildcard HTTPS address also gets the
// LAN URLs, the ones a trainer writes on the board for students' browsers; then the web pages.

import { networkInterfaces } from 'node:os';
import type { RunningIpbx } from '../ipbx/server.ts';

const hostPort = (address: string, port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

function lanAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => list ?? []).filter((i) => i.family === 'IPv4' && !i.internal).map((i) => i.address);
}

export function listenLines(ipbx: Pick<RunningIpbx, 'sipEndpoints' | 'httpEndpoints'>): string[] {
  const lines = ipbx.sipEndpoints.map((e) => `SIP ${e.protocol} ${hostPort(e.address, e.port)}`);
  /** Where a person opens the web pages: a LAN HTTPS address first (students' browsers), else the first URL. */
  const pages: string[] = [];
  for (const e of ipbx.httpEndpoints) {
    const url = (address: string): string => `${e.protocol}://${hostPort(address, e.port)}/`;
    const wildcard = e.address === '0.0.0.0' || e.address === '::';
    const lan = wildcard ? lanAddresses().map(url) : [];
    lines.push(`${e.protocol.toUpperCase()} ${url(e.address)}${lan.length > 0 ? ` (on this network: ${lan.join(', ')})` : ''}`);
    if (e.protocol === 'https') pages.unshift(...lan);
    pages.push(url(wildcard ? '127.0.0.1' : e.address));
  }
  const base = pages[0];
  if (base !== undefined) lines.push(`Softphone ${base}phone/`, `Queue wallboard ${base}wallboard/`);
  return lines;
}
