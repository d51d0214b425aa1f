// What a baresip phone heard lately: baresip's sndfile filter appends the decoded received audio to
// a WAV (one per call) as RTP arrives. The latest file's size is sampled every 50 ms, so the bytes
// appended during the last N ms are the audio received in them; reading just those bytes keeps a
// verdict cheap however long the call.

import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { GrowthLog } from './growth-log.ts';

const SAMPLE_EVERY_MS = 50;
/** A WAV header, with any chunks libsndfile puts before the data, fits in this. */
const HEADER_BYTES = 4096;

interface WavLayout {
  dataOffset: number;
  sampleRate: number;
  channels: number;
}

export interface HeardWindow {
  /** Mono (the first channel), at `sampleRate`. */
  samples: Int16Array;
  sampleRate: number;
}

export class HeardAudioWatch {
  readonly #recordings: () => string[];
  readonly #timer: NodeJS.Timeout;
  #path: string | undefined;
  #log = new GrowthLog();
  #layout: WavLayout | undefined;

  /** `recordings` lists the phone's recordings of what it heard, oldest first. */
  constructor(recordings: () => string[]) {
    this.#recordings = recordings;
    this.#timer = setInterval(() => this.#sample(), SAMPLE_EVERY_MS);
    this.#timer.unref();
  }

  /** When audio first arrived after `time` (ms, performance.now()), if it has. */
  firstAudioAfter(time: number): number | undefined {
    this.#sample();
    return this.#log.firstGrowthAfter(time);
  }

  /** The audio received during the last `ms`; undefined before any recording exists. */
  async latest(ms: number): Promise<HeardWindow | undefined> {
    this.#sample();
    // The window ends now, not after the reads below: a slow disk must not shift it.
    const now = performance.now();
    const path = this.#path;
    if (path === undefined) return undefined;
    const layout = this.#layout ?? await readLayout(path);
    if (layout === undefined) return undefined;
    if (this.#path === path) this.#layout = layout;
    const frameBytes = layout.channels * 2;
    const end = this.#log.sizeAt(now) ?? layout.dataOffset;
    const begin = Math.max(layout.dataOffset, this.#log.sizeAt(now - ms) ?? layout.dataOffset);
    const from = layout.dataOffset + Math.floor((begin - layout.dataOffset) / frameBytes) * frameBytes;
    const frames = Math.max(0, Math.floor((end - from) / frameBytes));
    const bytes = Buffer.alloc(frames * frameBytes);
    const file = await open(path, 'r');
    try {
      await file.read(bytes, 0, bytes.length, from);
    } finally {
      await file.close();
    }
    const samples = new Int16Array(frames);
    for (let i = 0; i < frames; i++) samples[i] = bytes.readInt16LE(i * frameBytes);
    return { samples, sampleRate: layout.sampleRate };
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #sample(): void {
    let path: string | undefined;
    try {
      path = this.#recordings().at(-1);
    } catch {
      return; // the phone's folder is gone: it has stopped
    }
    if (path === undefined) return;
    if (path !== this.#path) {
      this.#path = path;
      this.#log = new GrowthLog();
      this.#layout = undefined;
    }
    try {
      this.#log.note(performance.now(), statSync(path).size);
    } catch {
      // removed between the listing and the stat: the next sample will tell
    }
  }
}

/** Where a WAV's samples start, and their format; undefined while the header is not all written. */
async function readLayout(path: string): Promise<WavLayout | undefined> {
  const file = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await file.read(buffer, 0, HEADER_BYTES, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let format: { sampleRate: number; channels: number } | undefined;
  for (let offset = 12; offset + 8 <= head.length;) {
    const id = head.toString('latin1', offset, offset + 4);
    const size = head.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 16 <= head.length) format = { channels: head.readUInt16LE(offset + 10), sampleRate: head.readUInt32LE(offset + 12) };
    // libsndfile leaves the data size 0 until it closes the file: the data runs to the end.
    if (id === 'data') return format === undefined || format.channels === 0 ? undefined : { ...format, dataOffset: offset + 8 };
    offset += 8 + size + (size & 1);
  }
  return undefined;
}
