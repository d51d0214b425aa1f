// Classic libpcap capture files (what rtpengine's `--recording-method=pcap` writes, one per call):
// the global header, then one record per packet with its capture time. Both byte orders and both
// time resolutions (micro- and nanoseconds) are read. A file cut short — rtpengine still writing
// it, a full disk, a crash — keeps every whole packet before the cut and says it was truncated;
// only a file that is not a pcap at all is an error.

import { readFile } from 'node:fs/promises';
import { MediaError } from '../media-error.ts';

export interface PcapPacket {
  /** Capture time, microseconds since the Unix epoch (exact in a double until the year 2255). */
  timestampUs: number;
  /** The captured bytes, starting at the link-layer header (see PcapCapture.linkType). */
  data: Uint8Array;
  /** Length of the packet on the wire; more than data.length when the snap length cut it. */
  originalLength: number;
}

export interface PcapCapture {
  /** LINKTYPE_* value: 1 Ethernet, 101 raw IP (rtpengine's default), … */
  linkType: number;
  packets: PcapPacket[];
  /** The file ended inside a record (or a record was absurd): the packets before it are kept. */
  truncated: boolean;
}

const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** Larger than any packet a capture of RTP holds (jumbo frames included): a bigger length is corruption. */
const MAX_RECORD_BYTES = 262_144;

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;

export function parsePcap(bytes: Uint8Array, file = '<buffer>'): PcapCapture {
  if (bytes.length < GLOBAL_HEADER_BYTES) {
    throw new MediaError('MEDIA_RECORDING_FAILED', `${file}: ${bytes.length} bytes is shorter than a pcap header (${GLOBAL_HEADER_BYTES}); the capture is empty or was cut short`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { littleEndian, nanoseconds } = readMagic(view, file);
  // The top bits of the link-type field may carry FCS information (pcap-linktype(7)).
  const linkType = view.getUint32(20, littleEndian) & 0x0fffffff;
  const fractionDivisor = nanoseconds ? 1000 : 1;

  const packets: PcapPacket[] = [];
  let offset = GLOBAL_HEADER_BYTES;
  let truncated = false;
  while (offset < bytes.length) {
    if (offset + RECORD_HEADER_BYTES > bytes.length) {
      truncated = true;
      break;
    }
    const seconds = view.getUint32(offset, littleEndian);
    const fraction = view.getUint32(offset + 4, littleEndian);
    const capturedLength = view.getUint32(offset + 8, littleEndian);
    const originalLength = view.getUint32(offset + 12, littleEndian);
    const body = offset + RECORD_HEADER_BYTES;
    if (capturedLength > MAX_RECORD_BYTES || body + capturedLength > bytes.length) {
      truncated = true;
      break;
    }
    packets.push({
      timestampUs: seconds * 1_000_000 + Math.floor(fraction / fractionDivisor),
      data: bytes.subarray(body, body + capturedLength),
      originalLength,
    });
    offset = body + capturedLength;
  }
  return { linkType, packets, truncated };
}

export async function readPcap(path: string): Promise<PcapCapture> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new MediaError('MEDIA_RECORDING_FAILED', `${path}: cannot read the capture (${(err as Error).message})`, { cause: err });
  }
  return parsePcap(bytes, path);
}

function readMagic(view: DataView, file: string): { littleEndian: boolean; nanoseconds: boolean } {
  for (const littleEndian of [true, false]) {
    const magic = view.getUint32(0, littleEndian);
    if (magic === MAGIC_MICROSECONDS) return { littleEndian, nanoseconds: false };
    if (magic === MAGIC_NANOSECONDS) return { littleEndian, nanoseconds: true };
  }
  if (view.getUint32(0, false) === MAGIC_PCAPNG) {
    throw new MediaError('MEDIA_RECORDING_FAILED', `${file}: pcapng captures are not read, only classic pcap (convert with: editcap -F pcap IN OUT)`);
  }
  throw new MediaError('MEDIA_RECORDING_FAILED', `${file}: not a pcap capture (magic 0x${view.getUint32(0, false).toString(16).padStart(8, '0')})`);
}
