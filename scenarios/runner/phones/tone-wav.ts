// Tone WAVs made by sox for phones to play (the scenario runner's baresip and browser phones, and
// the tests): 8 kHz mono 16-bit by default, as baresip's aufile source wants for G.711. Long by default, because aufile ends the call when its file runs out. Files are
// cached in the temp dir (same parameters, same file) and written atomically, so concurrent test
// processes can share them.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ToneWavOptions {
  /** Default 90 s: longer than any test call, since aufile hangs up at the end of the file. */
  seconds?: number;
  /** Default 8000 Hz, the rate of G.711 and what aufile needs for it. */
  sampleRate?: number;
  /** Peak amplitude, 0 to 1. Default 0.5 (-9 dBFS): a full-scale sine clips in G.711. */
  amplitude?: number;
}

const CACHE_DIR = join(tmpdir(), 'voiplab-tones');
const pending = new Map<string, Promise<string>>();

/** Path of a WAV holding a sine at `frequencyHz`. */
export function toneWav(frequencyHz: number, options: ToneWavOptions = {}): Promise<string> {
  const { seconds = 90, sampleRate = 8000, amplitude = 0.5 } = options;
  if (!(frequencyHz > 0 && frequencyHz < sampleRate / 2)) return Promise.reject(new RangeError(`toneWav: frequencyHz ${frequencyHz} must be between 0 and ${sampleRate / 2} Hz (Nyquist)`));
  if (!(amplitude > 0 && amplitude <= 1)) return Promise.reject(new RangeError(`toneWav: amplitude ${amplitude} must be in (0, 1]`));
  return cached(`sine-${frequencyHz}hz-${sampleRate}-${seconds}s-a${amplitude}.wav`, ['synth', String(seconds), 'sine', String(frequencyHz), 'vol', String(amplitude)], sampleRate, seconds);
}

/** Path of a WAV of digital silence (for "hears nothing" checks, or a phone that stays quiet). */
export function silenceWav(options: Omit<ToneWavOptions, 'amplitude'> = {}): Promise<string> {
  const { seconds = 90, sampleRate = 8000 } = options;
  return cached(`silence-${sampleRate}-${seconds}s.wav`, ['trim', '0', String(seconds)], sampleRate, seconds);
}

function cached(name: string, effects: string[], sampleRate: number, seconds: number): Promise<string> {
  if (!(seconds > 0)) return Promise.reject(new RangeError(`${name}: seconds ${seconds} must be > 0`));
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) return Promise.reject(new RangeError(`${name}: sampleRate ${sampleRate} must be a positive integer`));
  const path = join(CACHE_DIR, name);
  let promise = pending.get(path);
  if (promise === undefined) {
    promise = make(path, effects, sampleRate);
    pending.set(path, promise);
    promise.catch(() => pending.delete(path)); // a failure is not cached: the next call retries
  }
  return promise;
}

async function make(path: string, effects: string[], sampleRate: number): Promise<string> {
  if (existsSync(path)) return path;
  mkdirSync(CACHE_DIR, { recursive: true });
  // Written under a private name then renamed: a reader never sees half a file.
  const partial = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.wav`;
  // -D: no dither, so the tone is a clean sine; -e signed -b 16 -c 1: what aufile accepts.
  const args = ['-D', '-n', '-r', String(sampleRate), '-c', '1', '-b', '16', '-e', 'signed-integer', partial, ...effects];
  try {
    await run('sox', args, { timeout: 30_000 });
    renameSync(partial, path);
  } catch (err) {
    rmSync(partial, { force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('sox is not installed (Debian: apt-get install sox); it makes the tone files phones play', { cause: err });
    throw new Error(`sox ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
  return path;
}
