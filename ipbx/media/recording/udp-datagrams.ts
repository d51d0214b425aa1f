// The UDP datagrams of a capture: link layer, then IPv4 or IPv6, then UDP, peeled off each
// packet. rtpengine writes raw IP (LINKTYPE_RAW, its default) or a fake Ethernet header
// (`--recording-format=eth`); tcpdump captures add Linux cooked and loopback framings. Anything
// else in a packet (ARP, TCP, IP fragments, a header cut by the snap length) is skipped, never
// thrown on: one odd packet must not lose a whole call.

import { MediaError } from '../media-error.ts';
import type { PcapCapture } from './pcap-reader.ts';

export interface Endpoint {
  address: string;
  port: number;
}

export interface UdpDatagram {
  /** Capture time, microseconds since the Unix epoch. */
  timestampUs: number;
  source: Endpoint;
  destination: Endpoint;
  payload: Uint8Array;
}

const LINKTYPE_NULL = 0;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_IPV6 = 229;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = [0x8100, 0x88a8, 0x9100];
const IP_PROTOCOL_UDP = 17;
// IPv6 extension headers a UDP datagram may sit behind (the fragment header, 44, is not followed).
const IPV6_SKIPPABLE_HEADERS = new Set([0, 43, 60]);

export function udpDatagrams(capture: PcapCapture, file = '<capture>'): UdpDatagram[] {
  const ipStart = ipOffsetFinder(capture.linkType, file);
  const out: UdpDatagram[] = [];
  for (const packet of capture.packets) {
    const at = ipStart(packet.data);
    if (at === undefined) continue;
    const datagram = parseIp(packet.data, at);
    if (datagram !== undefined) out.push({ timestampUs: packet.timestampUs, ...datagram });
  }
  return out;
}

/** Where the IP header starts in a frame of this link type (undefined: not IP). */
function ipOffsetFinder(linkType: number, file: string): (frame: Uint8Array) => number | undefined {
  switch (linkType) {
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return () => 0;
    case LINKTYPE_NULL:
      // A 4-byte address family in the capturing host's byte order: 2 is IPv4, 24/28/30 IPv6.
      return (frame) => {
        if (frame.length < 4) return undefined;
        const family = (frame[0] ?? 0) !== 0 ? (frame[0] ?? 0) : (frame[3] ?? 0);
        return family === 2 || family === 24 || family === 28 || family === 30 ? 4 : undefined;
      };
    case LINKTYPE_ETHERNET:
      return (frame) => {
        let at = 12;
        let type = readUint16(frame, at);
        while (type !== undefined && ETHERTYPE_VLAN.includes(type)) {
          at += 4;
          type = readUint16(frame, at);
        }
        return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? at + 2 : undefined;
      };
    case LINKTYPE_LINUX_SLL:
      return (frame) => {
        const type = readUint16(frame, 14);
        return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? 16 : undefined;
      };
    default:
      throw new MediaError('MEDIA_RECORDING_FAILED', `${file}: link type ${linkType} is not read (raw IP, Ethernet, Linux cooked and loopback captures are)`);
  }
}

function parseIp(frame: Uint8Array, at: number): Omit<UdpDatagram, 'timestampUs'> | undefined {
  const version = (frame[at] ?? 0) >> 4;
  if (version === 4) return parseIpv4(frame, at);
  if (version === 6) return parseIpv6(frame, at);
  return undefined;
}

function parseIpv4(frame: Uint8Array, at: number): Omit<UdpDatagram, 'timestampUs'> | undefined {
  const headerBytes = ((frame[at] ?? 0) & 0x0f) * 4;
  const totalLength = readUint16(frame, at + 2);
  const flagsAndOffset = readUint16(frame, at + 6);
  if (headerBytes < 20 || frame.length < at + headerBytes || totalLength === undefined || flagsAndOffset === undefined) return undefined;
  // A fragment (more-fragments set, or a non-zero offset) is not a whole datagram.
  if ((flagsAndOffset & 0x3fff) !== 0) return undefined;
  if (frame[at + 9] !== IP_PROTOCOL_UDP) return undefined;
  const end = Math.min(frame.length, at + totalLength);
  const source = dotted(frame, at + 12);
  const destination = dotted(frame, at + 16);
  return parseUdp(frame, at + headerBytes, end, source, destination);
}

function parseIpv6(frame: Uint8Array, at: number): Omit<UdpDatagram, 'timestampUs'> | undefined {
  const payloadLength = readUint16(frame, at + 4);
  if (payloadLength === undefined || frame.length < at + 40) return undefined;
  let next = frame[at + 6] ?? 0;
  let offset = at + 40;
  const end = Math.min(frame.length, offset + payloadLength);
  while (IPV6_SKIPPABLE_HEADERS.has(next)) {
    if (offset + 2 > end) return undefined;
    next = frame[offset] ?? 0;
    offset += ((frame[offset + 1] ?? 0) + 1) * 8;
  }
  if (next !== IP_PROTOCOL_UDP) return undefined;
  return parseUdp(frame, offset, end, ipv6Text(frame, at + 8), ipv6Text(frame, at + 24));
}

function parseUdp(frame: Uint8Array, at: number, ipEnd: number, sourceAddress: string, destinationAddress: string): Omit<UdpDatagram, 'timestampUs'> | undefined {
  const sourcePort = readUint16(frame, at);
  const destinationPort = readUint16(frame, at + 2);
  const length = readUint16(frame, at + 4);
  if (sourcePort === undefined || destinationPort === undefined || length === undefined || length < 8 || at + 8 > ipEnd) return undefined;
  // The UDP length wins over the IP one when shorter (padding); the snap length may cut both.
  const end = Math.min(ipEnd, at + length);
  return {
    source: { address: sourceAddress, port: sourcePort },
    destination: { address: destinationAddress, port: destinationPort },
    payload: frame.subarray(at + 8, end),
  };
}

function readUint16(frame: Uint8Array, at: number): number | undefined {
  if (at + 2 > frame.length) return undefined;
  return ((frame[at] ?? 0) << 8) | (frame[at + 1] ?? 0);
}

function dotted(frame: Uint8Array, at: number): string {
  return Array.from(frame.subarray(at, at + 4)).join('.');
}

/** Eight hex groups, zeros not compressed: only compared within one capture, never shown to phones. */
function ipv6Text(frame: Uint8Array, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push((readUint16(frame, at + i * 2) ?? 0).toString(16));
  return groups.join(':');
}
