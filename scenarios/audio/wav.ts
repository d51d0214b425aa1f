// PCM WAV files, 16-bit little-endian, any channel count and rate: what sox writes for tones and
// what baresip's sndfile module records. The RIFF chunks are walked one by one, so LIST, fact or
// any other chunk before or after the audio is skipped rather than mistaken for samples.

import { readFile, writeFile } from 'node:fs/promises';
import { WavError } from './audio-errors.ts';

export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** Interleaved samples (frame after frame), `frames * channels` of them. */
  samples: Int16Array;
}

export interface ReadWavOptions {
  /**
   * Read a file that is still being written: the RIFF and data sizes are ignored and the data runs
   * to the end of the file (whole frames). libsndfile only fills those sizes in when it closes the
   * file, so this is how to look at a recording during a call.
   */
  allowUnfinished?: boolean;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
// KSDATAFORMAT_SUBTYPE_PCM minus its first two bytes (the format tag, checked on its own).
const PCM_SUBFORMAT_TAIL = Buffer.from('000000001000800000aa00389b71', 'hex');

/** Number of frames (samples per channel). */
export function frameCount(audio: WavAudio): number {
  return Math.floor(audio.samples.length / audio.channels);
}

export function durationMs(audio: WavAudio): number {
  return (frameCount(audio) * 1000) / audio.sampleRate;
}

/** One channel (0-based) of an interleaved recording. */
export function channel(audio: WavAudio, index: number): Int16Array {
  if (!Number.isInteger(index) || index < 0 || index >= audio.channels) {
    throw new RangeError(`channel ${index} does not exist: the audio has ${audio.channels} channel(s)`);
  }
  if (audio.channels === 1) return audio.samples;
  const out = new Int16Array(frameCount(audio));
  for (let i = 0; i < out.length; i++) out[i] = audio.samples[i * audio.channels + index] ?? 0;
  return out;
}

/** The channels averaged into one (a mono file is returned as it is). */
export function toMono(audio: WavAudio): Int16Array {
  if (audio.channels === 1) return audio.samples;
  const out = new Int16Array(frameCount(audio));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < audio.channels; c++) sum += audio.samples[i * audio.channels + c] ?? 0;
    out[i] = Math.round(sum / audio.channels);
  }
  return out;
}

/** Parses a WAV file's bytes; `file` names it in errors. */
export function parseWav(bytes: Uint8Array, file = '<buffer>', options: ReadWavOptions = {}): WavAudio {
  const unfinished = options.allowUnfinished === true;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12) throw new WavError('SCENARIO_WAV_TRUNCATED', file, `${bytes.length} bytes is shorter than a RIFF/WAVE header (12)`);
  const riff = tag(0);
  if (riff === 'RIFX' || riff === 'RF64') throw new WavError('SCENARIO_WAV_NOT_RIFF', file, `${riff} files are not supported, only little-endian RIFF`);
  if (riff !== 'RIFF') throw new WavError('SCENARIO_WAV_NOT_RIFF', file, 'not a WAV file: it does not start with "RIFF"');
  if (tag(8) !== 'WAVE') throw new WavError('SCENARIO_WAV_NOT_WAVE', file, `RIFF form is "${tag(8)}", not "WAVE"`);

  const declaredEnd = 8 + view.getUint32(4, true);
  if (!unfinished && declaredEnd > bytes.length) {
    throw new WavError('SCENARIO_WAV_TRUNCATED', file, `the RIFF header declares ${declaredEnd} bytes but the file has ${bytes.length} (cut short, or still being written: pass { allowUnfinished: true })`);
  }
  const end = unfinished ? bytes.length : declaredEnd;

  let fmt: { at: number; size: number } | undefined;
  let data: { at: number; size: number } | undefined;
  let offset = 12;
  while (offset + 8 <= end) {
    const id = tag(offset);
    let size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'data' && unfinished && (size === 0 || body + size > end)) size = end - body;
    if (body + size > end) {
      throw new WavError('SCENARIO_WAV_TRUNCATED', file, `chunk "${id}" at byte ${offset} declares ${size} bytes but only ${end - body} remain`);
    }
    if (id === 'fmt ' && fmt === undefined) fmt = { at: body, size };
    else if (id === 'data' && data === undefined) data = { at: body, size };
    offset = body + size + (size & 1); // chunks are padded to an even length
  }

  // libsndfile writes sizes of 0/8 until it closes the file: say so rather than "no data".
  const looksUnfinished = !unfinished && declaredEnd < bytes.length && (fmt === undefined || data === undefined || data.size === 0);
  if (looksUnfinished) {
    throw new WavError('SCENARIO_WAV_UNFINISHED', file, `the RIFF header declares ${declaredEnd} bytes but the file has ${bytes.length}: it looks still being written (pass { allowUnfinished: true }, or read it after the writer closed it)`);
  }
  if (fmt === undefined) throw new WavError('SCENARIO_WAV_NO_FMT', file, 'no "fmt " chunk');
  if (data === undefined) throw new WavError('SCENARIO_WAV_NO_DATA', file, 'no "data" chunk');

  const format = readFormat(view, fmt, file);
  const frameBytes = format.blockAlign;
  let dataBytes = data.size;
  if (dataBytes % frameBytes !== 0) {
    if (!unfinished) throw new WavError('SCENARIO_WAV_TRUNCATED', file, `data chunk of ${dataBytes} bytes is not a whole number of ${frameBytes}-byte frames`);
    dataBytes -= dataBytes % frameBytes;
  }
  const samples = new Int16Array(dataBytes / 2);
  // DataView reads little-endian on any host and does not need 2-byte alignment.
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(data.at + i * 2, true);
  return { sampleRate: format.sampleRate, channels: format.channels, samples };
}

function readFormat(view: DataView, fmt: { at: number; size: number }, file: string) {
  if (fmt.size < 16) throw new WavError('SCENARIO_WAV_BAD_FMT', file, `"fmt " chunk is ${fmt.size} bytes, at least 16 are needed`);
  let formatTag = view.getUint16(fmt.at, true);
  const channels = view.getUint16(fmt.at + 2, true);
  const sampleRate = view.getUint32(fmt.at + 4, true);
  const blockAlign = view.getUint16(fmt.at + 12, true);
  const bits = view.getUint16(fmt.at + 14, true);
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (fmt.size < 40) throw new WavError('SCENARIO_WAV_BAD_FMT', file, `WAVE_FORMAT_EXTENSIBLE "fmt " chunk is ${fmt.size} bytes, 40 are needed`);
    const guid = new Uint8Array(view.buffer, view.byteOffset + fmt.at + 24, 16);
    const tail = guid.subarray(2);
    formatTag = tail.every((b, i) => b === PCM_SUBFORMAT_TAIL[i]) ? view.getUint16(fmt.at + 24, true) : -1;
  }
  if (formatTag !== WAVE_FORMAT_PCM) {
    throw new WavError('SCENARIO_WAV_UNSUPPORTED', file, `audio format ${formatTag === -1 ? 'extensible (non-PCM sub-format)' : `0x${formatTag.toString(16).padStart(4, '0')}`} is not integer PCM`);
  }
  if (bits !== 16) throw new WavError('SCENARIO_WAV_UNSUPPORTED', file, `${bits}-bit samples are not supported, only 16-bit (convert with: sox IN -b 16 OUT)`);
  if (channels === 0) throw new WavError('SCENARIO_WAV_BAD_FMT', file, 'zero channels');
  if (sampleRate === 0) throw new WavError('SCENARIO_WAV_BAD_FMT', file, 'sample rate 0');
  if (blockAlign !== channels * 2) throw new WavError('SCENARIO_WAV_BAD_FMT', file, `block align ${blockAlign} does not match ${channels} channel(s) of 16 bits (${channels * 2})`);
  return { channels, sampleRate, blockAlign };
}

/** A canonical 44-byte-header PCM WAV file. */
export function encodeWav(audio: WavAudio, file = '<buffer>'): Buffer {
  const { sampleRate, channels, samples } = audio;
  if (!Number.isInteger(channels) || channels < 1 || channels > 0xffff) throw new WavError('SCENARIO_WAV_BAD_AUDIO', file, `channel count ${channels} is not a positive integer`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffffffff) throw new WavError('SCENARIO_WAV_BAD_AUDIO', file, `sample rate ${sampleRate} is not a positive integer`);
  if (samples.length % channels !== 0) throw new WavError('SCENARIO_WAV_BAD_AUDIO', file, `${samples.length} samples is not a whole number of ${channels}-channel frames`);
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * 2, 28);
  out.writeUInt16LE(channels * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] ?? 0, 44 + i * 2);
  return out;
}

export async function readWav(path: string, options: ReadWavOptions = {}): Promise<WavAudio> {
  return parseWav(await readFile(path), path, options);
}

export async function writeWav(path: string, audio: WavAudio): Promise<void> {
  await writeFile(path, encodeWav(audio, path));
}
