// RFC 5626 §4.4.2: over UDP, outbound clients keep their NAT binding open with STUN Binding
// requests (RFC 5389) sent to the SIP port; an edge server answers them with the reflexive
// address. SIP and STUN share the port: a STUN message starts with two zero bits and carries
// the magic cookie (RFC 5389 §6), while a SIP message starts with a letter or a line end.

import { addressFamily, ipv6Bytes, normalizeAddress } from './ip-address.ts';
import type { Endpoint } from './transport-types.ts';

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
const HEADER_BYTES = 20;

export function isStunMessage(packet: Buffer): boolean {
  return packet.length >= HEADER_BYTES
    && ((packet[0] ?? 0xff) & 0xc0) === 0
    && packet.readUInt32BE(4) === MAGIC_COOKIE
    && packet.readUInt16BE(2) === packet.length - HEADER_BYTES;
}

/** The Binding success response to a Binding request, or undefined for any other STUN message. */
export function stunBindingResponse(request: Buffer, remote: Endpoint): Buffer | undefined {
  if (!isStunMessage(request) || request.readUInt16BE(0) !== BINDING_REQUEST) return undefined;
  const transactionId = request.subarray(8, HEADER_BYTES);
  const v6 = addressFamily(remote.address) === 6;
  const addressBytes = v6 ? 16 : 4;
  const out = Buffer.alloc(HEADER_BYTES + 4 + 4 + addressBytes);
  out.writeUInt16BE(BINDING_SUCCESS, 0);
  out.writeUInt16BE(4 + 4 + addressBytes, 2);
  out.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(out, 8);
  // RFC 5389 §15.2: port XOR the cookie's top half; address XOR the cookie (and transaction id).
  out.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
  out.writeUInt16BE(4 + addressBytes, 22);
  out.writeUInt8(v6 ? 0x02 : 0x01, 25);
  out.writeUInt16BE(remote.port ^ (MAGIC_COOKIE >>> 16), 26);
  const raw = v6 ? ipv6Bytes(remote.address) : Buffer.from(normalizeAddress(remote.address).split('.').map(Number));
  const mask = out.subarray(4, 4 + addressBytes);
  for (let i = 0; i < addressBytes; i++) out[28 + i] = (raw[i] ?? 0) ^ (mask[i] ?? 0);
  return out;
}
