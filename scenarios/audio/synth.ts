// Test signals in memory: sines, seeded white noise, mixes, and the conversion to 16-bit PCM.
// Float samples are in [-1, 1] (full scale); noise is seeded so tests built on it cannot flake.

import { badOption } from './audio-errors.ts';

export interface SineOptions {
  frequencyHz: number;
  sampleRate: number;
  durationMs: number;
  /** Peak amplitude, 0 to 1 of full scale. Default 0.5. */
  amplitude?: number;
  /** Start phase in radians. Default 0. */
  phase?: number;
}

export function sine(options: SineOptions): Float32Array {
  const { frequencyHz, sampleRate, durationMs, amplitude = 0.5, phase = 0 } = options;
  checkRate(sampleRate);
  if (!(frequencyHz > 0 && frequencyHz < sampleRate / 2)) throw badOption('frequencyHz', frequencyHz, `between 0 and the Nyquist frequency (${sampleRate / 2} Hz), exclusive`);
  checkAmplitude(amplitude);
  const out = new Float32Array(sampleCount(sampleRate, durationMs));
  const step = (2 * Math.PI * frequencyHz) / sampleRate;
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin(phase + step * i);
  return out;
}

export interface NoiseOptions {
  sampleRate: number;
  durationMs: number;
  /** RMS level, 0 to 1 of full scale. Default 0.1. */
  rms?: number;
  /** Same seed, same noise. Default 1. */
  seed?: number;
}

/** Gaussian white noise (Box–Muller over a seeded mulberry32 generator). */
export function whiteNoise(options: NoiseOptions): Float32Array {
  const { sampleRate, durationMs, rms = 0.1, seed = 1 } = options;
  checkRate(sampleRate);
  checkAmplitude(rms, 'rms');
  const random = mulberry32(seed);
  const out = new Float32Array(sampleCount(sampleRate, durationMs));
  for (let i = 0; i < out.length; i++) {
    const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
    out[i] = rms * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

export function silence(sampleRate: number, durationMs: number): Float32Array {
  checkRate(sampleRate);
  return new Float32Array(sampleCount(sampleRate, durationMs));
}

/** Sample-wise sum, as long as the longest input (shorter ones count as silence past their end). */
export function mix(...signals: Float32Array[]): Float32Array {
  const out = new Float32Array(Math.max(0, ...signals.map((s) => s.length)));
  for (const signal of signals) for (let i = 0; i < signal.length; i++) out[i] = (out[i] ?? 0) + (signal[i] ?? 0);
  return out;
}

/** Signals one after the other. */
export function concat(...signals: Float32Array[]): Float32Array {
  const out = new Float32Array(signals.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const signal of signals) {
    out.set(signal, at);
    at += signal.length;
  }
  return out;
}

/** Float [-1, 1] to 16-bit PCM, clipping what is out of range (as a sound card would). */
export function toInt16(signal: Float32Array): Int16Array {
  const out = new Int16Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round((signal[i] ?? 0) * 32767)));
  return out;
}

function sampleCount(sampleRate: number, durationMs: number): number {
  if (!(durationMs >= 0) || !Number.isFinite(durationMs)) throw badOption('durationMs', durationMs, 'a finite number ≥ 0');
  return Math.round((sampleRate * durationMs) / 1000);
}

function checkRate(sampleRate: number): void {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw badOption('sampleRate', sampleRate, 'a positive integer (Hz)');
}

function checkAmplitude(value: number, name = 'amplitude'): void {
  if (!(value >= 0 && value <= 1)) throw badOption(name, value, 'between 0 and 1 (fraction of full scale)');
}

/** mulberry32: a small seeded PRNG, so the same seed gives the same signal (and the same test cases). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
