// A two-channel 16-bit WAV written as the audio is placed, so a call of any length converts in
// bounded memory: samples land in one-second blocks, and blocks no packet can reach any more are
// written out and dropped. Blocks never written are silence. The header comes from
// scenarios/audio's encoder and its two sizes are filled in on close.

import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { encodeWav } from '../../../scenarios/audio/wav.ts';

export type StereoChannel = 0 | 1;

const HEADER_BYTES = 44;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

export class StereoWavWriter {
  readonly sampleRate: number;
  readonly #file: FileHandle;
  readonly #blockFrames: number;
  readonly #maxFrames: number;
  readonly #blocks = new Map<number, Int16Array>();
  /** Frames before this one are in the file and can no longer change. */
  #flushedFrames = 0;
  /** One past the last frame any sample was written to. */
  #endFrame = 0;
  #droppedLate = 0;
  #droppedOverLimit = 0;

  private constructor(file: FileHandle, sampleRate: number, maxFrames: number) {
    this.#file = file;
    this.sampleRate = sampleRate;
    this.#blockFrames = sampleRate;
    this.#maxFrames = maxFrames;
  }

  static async create(path: string, sampleRate: number, maxFrames: number): Promise<StereoWavWriter> {
    // Recordings are conversations: readable by the owner only.
    const file = await open(path, 'w', 0o600);
    try {
      await file.write(encodeWav({ sampleRate, channels: 2, samples: new Int16Array(0) }, path), 0, HEADER_BYTES, 0);
    } catch (err) {
      await file.close();
      throw err;
    }
    return new StereoWavWriter(file, sampleRate, maxFrames);
  }

  /** Samples placed before the flushed part (too late) or past the limit were dropped. */
  get droppedLate(): number {
    return this.#droppedLate;
  }

  get droppedOverLimit(): number {
    return this.#droppedOverLimit;
  }

  /** Places `samples` on `channel` from frame `at` on (overwriting what was there). */
  write(channel: StereoChannel, at: number, samples: Int16Array): void {
    let from = 0;
    if (at < this.#flushedFrames) {
      from = Math.min(samples.length, this.#flushedFrames - at);
      this.#droppedLate += from;
    }
    let to = samples.length;
    if (at + to > this.#maxFrames) {
      const over = Math.min(samples.length - from, at + to - this.#maxFrames);
      this.#droppedOverLimit += over;
      to -= over;
    }
    for (let i = from; i < to; i++) {
      const frame = at + i;
      const blockIndex = Math.floor(frame / this.#blockFrames);
      let block = this.#blocks.get(blockIndex);
      if (block === undefined) {
        block = new Int16Array(this.#blockFrames * 2);
        this.#blocks.set(blockIndex, block);
      }
      block[(frame - blockIndex * this.#blockFrames) * 2 + channel] = samples[i] ?? 0;
    }
    if (to > from) this.#endFrame = Math.max(this.#endFrame, at + to);
  }

  /** Writes out every whole block before frame `frame`: nothing will be placed there any more. */
  async flushBefore(frame: number): Promise<void> {
    const limit = Math.min(frame, this.#endFrame);
    while (this.#flushedFrames + this.#blockFrames <= limit) await this.#writeNextBlock(this.#blockFrames);
  }

  /** Writes the rest, fills in the header, closes the file; returns the frame count. */
  async close(): Promise<number> {
    try {
      while (this.#flushedFrames < this.#endFrame) await this.#writeNextBlock(Math.min(this.#blockFrames, this.#endFrame - this.#flushedFrames));
      const dataBytes = this.#endFrame * 4;
      const sizes = Buffer.alloc(4);
      sizes.writeUInt32LE(36 + dataBytes, 0);
      await this.#file.write(sizes, 0, 4, 4);
      sizes.writeUInt32LE(dataBytes, 0);
      await this.#file.write(sizes, 0, 4, 40);
      return this.#endFrame;
    } finally {
      await this.#file.close();
    }
  }

  /** Closes without finishing (the caller deletes the file). */
  async abandon(): Promise<void> {
    this.#blocks.clear();
    await this.#file.close().catch(() => undefined);
  }

  async #writeNextBlock(frames: number): Promise<void> {
    const blockIndex = Math.floor(this.#flushedFrames / this.#blockFrames);
    const block = this.#blocks.get(blockIndex) ?? new Int16Array(this.#blockFrames * 2);
    this.#blocks.delete(blockIndex);
    const samples = block.subarray(0, frames * 2);
    await this.#file.write(toLittleEndianBytes(samples), 0, samples.length * 2, HEADER_BYTES + this.#flushedFrames * 4);
    this.#flushedFrames += frames;
  }
}

function toLittleEndianBytes(samples: Int16Array): Buffer {
  if (LITTLE_ENDIAN_HOST) return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] ?? 0, i * 2);
  return out;
}
