// IP address spellings: sockets report `::ffff:1.2.3.4` on dual-stack listeners and Via hosts
// carry IPv6 in brackets, yet flows, `received` and comparisons need one form per address.

import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

const MAPPED_HEX_RE = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/** Lower case, no brackets, IPv6 compressed, IPv4-mapped IPv6 as plain IPv4; names unchanged but lower case. */
export function normalizeAddress(address: string): string {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!isIPv6(bare)) return bare.toLowerCase();
  let canonical: string;
  try {
    // The WHATWG URL parser writes the RFC 5952 form (compressed, lower case, hex only).
    canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare.toLowerCase(); // zone ids (fe80::1%eth0) are not valid in URLs
  }
  const mapped = MAPPED_HEX_RE.exec(canonical);
  if (mapped === null) return canonical;
  const hi = parseInt(mapped[1] ?? '0', 16);
  const lo = parseInt(mapped[2] ?? '0', 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

export function addressFamily(address: string): 4 | 6 | 0 {
  const bare = normalizeAddress(address);
  return isIPv4(bare) ? 4 : isIPv6(bare) ? 6 : 0;
}

export function isUnspecifiedAddress(address: string): boolean {
  const a = normalizeAddress(address);
  return a === '0.0.0.0' || a === '::';
}

/** True only for two IP literals naming the same address; a domain name never matches. */
export function sameIpAddress(a: string, b: string): boolean {
  const na = normalizeAddress(a);
  return addressFamily(na) !== 0 && na === normalizeAddress(b);
}

/** An address of this host to advertise when a listener is bound to 0.0.0.0 or ::. */
export function guessInterfaceAddress(family: 4 | 6): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (family === 4 && info.family === 'IPv4') return info.address;
      // Link-local IPv6 needs a zone id, useless in Via and Contact.
      if (family === 6 && info.family === 'IPv6' && !info.address.startsWith('fe80')) return info.address;
    }
  }
  return family === 4 ? '127.0.0.1' : '::1';
}

/** The 16 bytes of an IPv6 address (for STUN's XOR-MAPPED-ADDRESS). */
export function ipv6Bytes(address: string): Buffer {
  const canonical = normalizeAddress(address);
  const out = Buffer.alloc(16);
  const [left = '', right] = canonical.split('::');
  const head = left === '' ? [] : left.split(':');
  const tail = right === undefined || right === '' ? [] : right.split(':');
  const groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
