// Tone and silence detection with the Goertzel algorithm: the signal is cut into windows, and in
// each one the power at the target frequency is compared with the window's total power. A tone is
// "heard" when enough windows are both loud enough and dominated by that frequency, which is what a
// person would call hearing it, and survives G.711, jitter-buffer gaps and some noise.

import { badOption } from './audio-errors.ts';

export type Samples = Int16Array | Float32Array;

export interface AnalysisOptions {
  /** Window length. Default 50 ms: 20 Hz bins, ±40 Hz main lobe (Hann). */
  windowMs?: number;
  /** Leading audio to ignore (ringing, media not yet flowing). Default 0. */
  skipMs?: number;
}

export interface ToneOptions extends AnalysisOptions {
  /** Fraction of a window's power that must be at the frequency (0 to 1). Default 0.3. */
  minRatio?: number;
  /** Window RMS level, in dBFS, under which a window cannot count as tonal. Default -45. */
  minLevelDb?: number;
  /** Fraction of windows that must be tonal for the verdict. Default 0.8. */
  minPresence?: number;
}

export interface ToneWindow {
  startMs: number;
  /** RMS level in dBFS (a full-scale sine is -3 dBFS; digital silence is -Infinity). */
  levelDb: number;
  /** Fraction of the window's power at the frequency: ~1 for a pure tone, 0.5 for one of two equal tones. */
  ratio: number;
  tonal: boolean;
}

export interface ToneDetection {
  frequencyHz: number;
  detected: boolean;
  /** Tonal windows / all windows. */
  presence: number;
  tonalWindows: number;
  windowCount: number;
  /** Mean ratio over the windows above minLevelDb (0 when there are none). */
  meanRatio: number;
  /** RMS level of the analysed audio, dBFS. */
  levelDb: number;
  windows: ToneWindow[];
  /** One line for assertion messages and reports. */
  summary: string;
}

export interface DominantFrequency {
  /** The candidate with the highest mean ratio, or null when none reaches minRatio (or all is quiet). */
  frequencyHz: number | null;
  candidates: { frequencyHz: number; meanRatio: number; presence: number }[];
  summary: string;
}

export interface SilenceOptions extends AnalysisOptions {
  /** Window RMS level, in dBFS, at or under which a window is silent. Default -50. */
  maxLevelDb?: number;
  /** Fraction of windows that must be silent. Default 0.95. */
  minPresence?: number;
}

export interface SilenceDetection {
  silent: boolean;
  silentFraction: number;
  windowCount: number;
  levelDb: number;
  summary: string;
}

const DEFAULTS = { windowMs: 50, skipMs: 0, minRatio: 0.3, minLevelDb: -45, minPresence: 0.8 } as const;
const SILENCE_DEFAULTS = { maxLevelDb: -50, minPresence: 0.95 } as const;

export function detectTone(samples: Samples, sampleRate: number, frequencyHz: number, options: ToneOptions = {}): ToneDetection {
  const o = toneOptions(options);
  const analysis = analyse(samples, sampleRate, [frequencyHz], o);
  const windows = analysis.windows.map((w): ToneWindow => {
    const ratio = w.ratios[0] ?? 0;
    return { startMs: w.startMs, levelDb: w.levelDb, ratio, tonal: w.levelDb >= o.minLevelDb && ratio >= o.minRatio };
  });
  const tonalWindows = windows.filter((w) => w.tonal).length;
  const active = windows.filter((w) => w.levelDb >= o.minLevelDb);
  const meanRatio = active.length === 0 ? 0 : active.reduce((sum, w) => sum + w.ratio, 0) / active.length;
  const presence = windows.length === 0 ? 0 : tonalWindows / windows.length;
  const detected = windows.length > 0 && presence >= o.minPresence;
  const summary = windows.length === 0
    ? `${frequencyHz} Hz not detected: no complete ${o.windowMs} ms window in ${describeLength(samples.length, sampleRate, o.skipMs)}`
    : `${frequencyHz} Hz ${detected ? 'detected' : 'not detected'}: tonal in ${percent(presence)} of ${windows.length} windows of ${o.windowMs} ms `
      + `(need ${percent(o.minPresence)} with ratio ≥ ${o.minRatio} and level ≥ ${o.minLevelDb} dBFS); mean ratio ${meanRatio.toFixed(2)}, level ${formatDb(analysis.levelDb)}`;
  return { frequencyHz, detected, presence, tonalWindows, windowCount: windows.length, meanRatio, levelDb: analysis.levelDb, windows, summary };
}

/** Which of the candidate frequencies dominates the audio, judged on the windows above minLevelDb. */
export function dominantFrequency(samples: Samples, sampleRate: number, candidatesHz: readonly number[], options: ToneOptions = {}): DominantFrequency {
  if (candidatesHz.length === 0) throw badOption('candidatesHz', '[]', 'at least one frequency');
  const o = toneOptions(options);
  const analysis = analyse(samples, sampleRate, candidatesHz, o);
  const active = analysis.windows.filter((w) => w.levelDb >= o.minLevelDb);
  const candidates = candidatesHz.map((frequencyHz, i) => {
    const ratios = active.map((w) => w.ratios[i] ?? 0);
    const meanRatio = ratios.length === 0 ? 0 : ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const presence = analysis.windows.length === 0 ? 0 : ratios.filter((r) => r >= o.minRatio).length / analysis.windows.length;
    return { frequencyHz, meanRatio, presence };
  });
  const best = candidates.reduce((a, b) => (b.meanRatio > a.meanRatio ? b : a));
  const frequencyHz = best.meanRatio >= o.minRatio ? best.frequencyHz : null;
  const listed = candidates.map((c) => `${c.frequencyHz} Hz ${c.meanRatio.toFixed(2)}`).join(', ');
  const summary = active.length === 0
    ? `no dominant frequency: no window above ${o.minLevelDb} dBFS (level ${formatDb(analysis.levelDb)})`
    : `${frequencyHz === null ? 'no dominant frequency' : `dominant ${frequencyHz} Hz`} (mean ratios over ${active.length} windows: ${listed}; need ${o.minRatio})`;
  return { frequencyHz, candidates, summary };
}

export function detectSilence(samples: Samples, sampleRate: number, options: SilenceOptions = {}): SilenceDetection {
  const windowMs = positive(options.windowMs ?? DEFAULTS.windowMs, 'windowMs');
  const skipMs = nonNegative(options.skipMs ?? DEFAULTS.skipMs, 'skipMs');
  const maxLevelDb = finite(options.maxLevelDb ?? SILENCE_DEFAULTS.maxLevelDb, 'maxLevelDb');
  const minPresence = fraction(options.minPresence ?? SILENCE_DEFAULTS.minPresence, 'minPresence');
  const analysis = analyse(samples, sampleRate, [], { windowMs, skipMs });
  const silentWindows = analysis.windows.filter((w) => w.levelDb <= maxLevelDb).length;
  const windowCount = analysis.windows.length;
  const silentFraction = windowCount === 0 ? 0 : silentWindows / windowCount;
  const silent = windowCount > 0 && silentFraction >= minPresence;
  const summary = windowCount === 0
    ? `silence not established: no complete ${windowMs} ms window in ${describeLength(samples.length, sampleRate, skipMs)}`
    : `${silent ? 'silent' : 'not silent'}: ${percent(silentFraction)} of ${windowCount} windows at or under ${maxLevelDb} dBFS (need ${percent(minPresence)}); level ${formatDb(analysis.levelDb)}`;
  return { silent, silentFraction, windowCount, levelDb: analysis.levelDb, summary };
}

/** RMS level in dBFS (full scale: ±32768 for Int16, ±1 for Float32); -Infinity for digital silence. */
export function rmsDb(samples: Samples): number {
  const scale = samples instanceof Int16Array ? 1 / 32768 : 1;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const x = (samples[i] ?? 0) * scale;
    sum += x * x;
  }
  return samples.length === 0 ? -Infinity : toDb(sum / samples.length);
}

interface WindowAnalysis {
  startMs: number;
  levelDb: number;
  /** One per frequency, same order. */
  ratios: number[];
}

function analyse(samples: Samples, sampleRate: number, frequencies: readonly number[], o: { windowMs: number; skipMs: number }) {
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) throw badOption('sampleRate', sampleRate, 'a positive number (Hz)');
  for (const f of frequencies) {
    if (!(f > 0 && f < sampleRate / 2)) throw badOption('frequencyHz', f, `between 0 and the Nyquist frequency (${sampleRate / 2} Hz), exclusive`);
  }
  const n = Math.round((o.windowMs * sampleRate) / 1000);
  if (n < 8) throw badOption('windowMs', o.windowMs, `long enough for 8 samples at ${sampleRate} Hz (≥ ${Math.ceil((8000 / sampleRate) * 100) / 100} ms)`);
  const scale = samples instanceof Int16Array ? 1 / 32768 : 1;
  const first = Math.min(samples.length, Math.round((o.skipMs * sampleRate) / 1000));

  // Hann window, and the factor that makes a pure tone's ratio 1 whatever the window's gain.
  const hann = new Float64Array(n);
  let sumW = 0;
  let sumW2 = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    hann[i] = w;
    sumW += w;
    sumW2 += w * w;
  }
  const norm = (2 * sumW2) / (sumW * sumW);
  const coeffs = frequencies.map((f) => 2 * Math.cos((2 * Math.PI * f) / sampleRate));

  const windows: WindowAnalysis[] = [];
  const y = new Float64Array(n);
  let total = 0;
  let counted = 0;
  for (let start = first; start + n <= samples.length; start += n) {
    let energy = 0;
    let windowedEnergy = 0;
    for (let i = 0; i < n; i++) {
      const x = (samples[start + i] ?? 0) * scale;
      energy += x * x;
      const v = x * (hann[i] ?? 0);
      y[i] = v;
      windowedEnergy += v * v;
    }
    total += energy;
    counted += n;
    const ratios = coeffs.map((coeff) => {
      if (windowedEnergy === 0) return 0;
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s0 = (y[i] ?? 0) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
      return Math.min(1, (norm * power) / windowedEnergy);
    });
    windows.push({ startMs: (start * 1000) / sampleRate, levelDb: toDb(energy / n), ratios });
  }
  return { windows, levelDb: counted === 0 ? -Infinity : toDb(total / counted) };
}

function toneOptions(options: ToneOptions) {
  return {
    windowMs: positive(options.windowMs ?? DEFAULTS.windowMs, 'windowMs'),
    skipMs: nonNegative(options.skipMs ?? DEFAULTS.skipMs, 'skipMs'),
    minRatio: fraction(options.minRatio ?? DEFAULTS.minRatio, 'minRatio'),
    minLevelDb: finite(options.minLevelDb ?? DEFAULTS.minLevelDb, 'minLevelDb'),
    minPresence: fraction(options.minPresence ?? DEFAULTS.minPresence, 'minPresence'),
  };
}

function toDb(meanSquare: number): number {
  return meanSquare === 0 ? -Infinity : 10 * Math.log10(meanSquare);
}

function formatDb(db: number): string {
  return db === -Infinity ? '-∞ dBFS' : `${db.toFixed(1)} dBFS`;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function describeLength(sampleCount: number, sampleRate: number, skipMs: number): string {
  const ms = Math.round((sampleCount * 1000) / sampleRate);
  return skipMs > 0 ? `${ms} ms of audio (${skipMs} ms skipped)` : `${ms} ms of audio`;
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw badOption(name, value, 'a finite number > 0');
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw badOption(name, value, 'a finite number ≥ 0');
  return value;
}

function finite(value: number, name: string): number {
  if (!Number.isFinite(value)) throw badOption(name, value, 'a finite number (dBFS)');
  return value;
}

function fraction(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) throw badOption(name, value, 'between 0 and 1');
  return value;
}
