// rtpengine's recording folder (`--recording-dir`, pcap method), as rtpengine 10.5 lays it out:
//
//   tmp/rtpengine-meta-<call-id>-<16 hex>.tmp      metadata while the call is recorded
//   pcaps/<call-id>-<16 hex>.pcap                  the capture, written (buffered) while recorded
//   metadata/rtpengine-meta-<call-id>-<16 hex>.txt the metadata, moved here when rtpengine has
//                                                  destroyed the call: the capture is then complete
//
// The call-id is percent-encoded in file names (every byte but A-Z a-z 0-9 - . _ ~), so names
// are decoded and compared rather than the call-id encoded here by a rule that could differ.

import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface SpoolFolders {
  metadata: string;
  pcaps: string;
  tmp: string;
}

export function spoolFolders(recordingDir: string): SpoolFolders {
  return { metadata: join(recordingDir, 'metadata'), pcaps: join(recordingDir, 'pcaps'), tmp: join(recordingDir, 'tmp') };
}

export interface CallSpoolFiles {
  /** Finished metadata files (the call is over in rtpengine): absolute paths. */
  finished: string[];
  /** Metadata still in tmp/ or captures without finished metadata: the call is being recorded. */
  unfinished: string[];
}

const METADATA_NAME = /^rtpengine-meta-(.+)-([0-9a-f]{16})\.(txt|tmp)$/;
const PCAP_NAME = /^(.+)-([0-9a-f]{16})\.pcap$/;

/** The call-id and unique stem (`<encoded call-id>-<hex>`) a spool file name carries. */
export function parseSpoolName(name: string): { callId: string; stem: string } | undefined {
  const match = METADATA_NAME.exec(name) ?? PCAP_NAME.exec(name);
  if (match === null) return undefined;
  const encoded = match[1] ?? '';
  try {
    return { callId: decodeURIComponent(encoded), stem: `${encoded}-${match[2] ?? ''}` };
  } catch {
    return undefined; // a malformed escape: not a name rtpengine wrote
  }
}

/** The capture that belongs with a metadata file (same stem), in the spool's pcaps/ folder. */
export function pcapOf(folders: SpoolFolders, metadataFile: string): string | undefined {
  const parsed = parseSpoolName(basename(metadataFile));
  return parsed === undefined ? undefined : join(folders.pcaps, `${parsed.stem}.pcap`);
}

/** The call's files in the spool, by state. */
export async function findCallFiles(folders: SpoolFolders, callId: string): Promise<CallSpoolFiles> {
  const ofCall = async (dir: string) => (await listNames(dir)).filter((name) => parseSpoolName(name)?.callId === callId);
  const finished = await ofCall(folders.metadata);
  const finishedStems = new Set(finished.map((name) => parseSpoolName(name)?.stem));
  const pending = [
    ...(await ofCall(folders.tmp)).map((name) => join(folders.tmp, name)),
    ...(await ofCall(folders.pcaps)).filter((name) => !finishedStems.has(parseSpoolName(name)?.stem)).map((name) => join(folders.pcaps, name)),
  ];
  return { finished: finished.map((name) => join(folders.metadata, name)), unfinished: pending };
}

/** Every file of the spool with its modification time (for the retention sweep). */
export async function listSpoolFiles(folders: SpoolFolders): Promise<Array<{ path: string; modifiedAt: number }>> {
  const out: Array<{ path: string; modifiedAt: number }> = [];
  for (const dir of [folders.metadata, folders.pcaps, folders.tmp]) {
    for (const name of await listNames(dir)) {
      if (parseSpoolName(name) === undefined) continue; // only what rtpengine wrote
      const path = join(dir, name);
      try {
        const info = await stat(path);
        if (info.isFile()) out.push({ path, modifiedAt: info.mtimeMs });
      } catch {
        // Gone meanwhile (converted, or removed by rtpengine): nothing to sweep.
      }
    }
  }
  return out;
}

async function listNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return []; // rtpengine creates its folders on start: none yet means no recording yet
  }
}
