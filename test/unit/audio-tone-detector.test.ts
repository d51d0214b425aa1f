// The Goertzel tone detector on synthesized signals: each verdict is asserted both ways (heard and
// not heard), with the power ratio it rests on, so a detector that says "yes" to everything fails.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AudioError, concat, detectSilence, detectTone, dominantFrequency, mix, rmsDb, silence, sine, toInt16, whiteNoise,
} from '../../scenarios/audio/index.ts';

const RATE = 8000;
const tone = (frequencyHz: number, amplitude = 0.5, durationMs = 2000, sampleRate = RATE) => sine({ frequencyHz, amplitude, durationMs, sampleRate });
const noise = (rms: number, durationMs = 2000, seed = 7) => whiteNoise({ sampleRate: RATE, durationMs, rms, seed });

describe('detectTone', () => {
  test('a pure 1000 Hz sine is detected in every window with a ratio near 1', () => {
    const result = detectTone(tone(1000), RATE, 1000);
    assert.ok(result.detected, result.summary);
    assert.equal(result.windowCount, 40);
    assert.equal(result.presence, 1);
    assert.ok(result.meanRatio > 0.98, `mean ratio ${result.meanRatio}`);
    assert.ok(Math.abs(result.levelDb - -9.03) < 0.1, `a 0.5 amplitude sine is at -9 dBFS, got ${result.levelDb}`);
  });

  test('a 1000 Hz sine is not taken for 1500 Hz, nor for 1100 Hz next to it', () => {
    for (const other of [1500, 1100]) {
      const result = detectTone(tone(1000), RATE, other);
      assert.equal(result.detected, false, result.summary);
      assert.ok(result.meanRatio < 0.01, `${other} Hz: mean ratio ${result.meanRatio}`);
      assert.equal(result.tonalWindows, 0);
    }
  });

  test('16-bit samples and float samples give the same verdict and ratio', () => {
    const float = tone(1500, 0.3);
    const a = detectTone(float, RATE, 1500);
    const b = detectTone(toInt16(float), RATE, 1500);
    assert.ok(a.detected && b.detected, `${a.summary} / ${b.summary}`);
    assert.ok(Math.abs(a.meanRatio - b.meanRatio) < 1e-3);
    assert.ok(Math.abs(a.levelDb - b.levelDb) < 0.01);
  });

  test('a tone 10 dB above white noise is detected; its ratio is its share of the power', () => {
    // Tone power 0.3²/2 = 0.045, noise power 0.1² = 0.01: about 82% of the power is the tone.
    const result = detectTone(mix(tone(1000, 0.3), noise(0.1)), RATE, 1000);
    assert.ok(result.detected, result.summary);
    assert.ok(result.meanRatio > 0.75 && result.meanRatio < 0.9, `mean ratio ${result.meanRatio}`);
  });

  test('a tone 10 dB under white noise is not detected, nor is noise alone', () => {
    const buried = detectTone(mix(tone(1000, 0.1), noise(0.224)), RATE, 1000);
    assert.equal(buried.detected, false, buried.summary);
    assert.ok(buried.meanRatio < 0.2, `mean ratio ${buried.meanRatio}`);
    const noiseOnly = detectTone(noise(0.2), RATE, 1000);
    assert.equal(noiseOnly.detected, false, noiseOnly.summary);
    assert.ok(noiseOnly.meanRatio < 0.05, `mean ratio ${noiseOnly.meanRatio}`);
  });

  test('two equal tones mixed: each is detected at about half the power, a third frequency is not', () => {
    const both = mix(tone(1000, 0.3), tone(1500, 0.3));
    for (const f of [1000, 1500]) {
      const result = detectTone(both, RATE, f);
      assert.ok(result.detected, result.summary);
      assert.ok(Math.abs(result.meanRatio - 0.5) < 0.05, `${f} Hz: mean ratio ${result.meanRatio}`);
    }
    assert.equal(detectTone(both, RATE, 2000).detected, false);
    // Asking for a tone that carries most of the power rejects either half of the mix.
    assert.equal(detectTone(both, RATE, 1000, { minRatio: 0.7 }).detected, false);
  });

  test('digital silence is not a tone, whatever the ratio threshold', () => {
    const result = detectTone(silence(RATE, 2000), RATE, 1000, { minRatio: 0 });
    assert.equal(result.detected, false, result.summary);
    assert.equal(result.levelDb, -Infinity);
    assert.match(result.summary, /-∞ dBFS/);
  });

  test('a tone under the minimum level is not heard, and is once the level is lowered', () => {
    const quiet = tone(1000, 0.0014); // about -60 dBFS
    assert.equal(detectTone(quiet, RATE, 1000).detected, false);
    assert.ok(detectTone(quiet, RATE, 1000, { minLevelDb: -70 }).detected);
  });

  test('presence: a tone for 1 s out of 4 fails the 80% default, passes a 20% requirement', () => {
    const signal = concat(tone(1000, 0.5, 1000), silence(RATE, 3000));
    const strict = detectTone(signal, RATE, 1000);
    assert.equal(strict.detected, false, strict.summary);
    assert.ok(Math.abs(strict.presence - 0.25) < 0.02, `presence ${strict.presence}`);
    assert.match(strict.summary, /not detected: tonal in 25% of 80 windows/);
    assert.ok(detectTone(signal, RATE, 1000, { minPresence: 0.2 }).detected);
  });

  test('skipMs ignores leading silence (media not flowing yet)', () => {
    const signal = concat(silence(RATE, 1000), tone(1000, 0.5, 1500));
    assert.equal(detectTone(signal, RATE, 1000).detected, false);
    const skipped = detectTone(signal, RATE, 1000, { skipMs: 1000 });
    assert.ok(skipped.detected, skipped.summary);
    assert.equal(skipped.windows[0]?.startMs, 1000);
  });

  test('works at other sample rates (16 kHz, 48 kHz)', () => {
    for (const rate of [16000, 48000]) {
      assert.ok(detectTone(tone(1000, 0.5, 1000, rate), rate, 1000).detected, `${rate} Hz`);
      assert.equal(detectTone(tone(1000, 0.5, 1000, rate), rate, 1500).detected, false, `${rate} Hz`);
    }
  });

  test('audio shorter than one window is never a detection, and says why', () => {
    const result = detectTone(tone(1000, 0.5, 20), RATE, 1000);
    assert.equal(result.detected, false);
    assert.equal(result.windowCount, 0);
    assert.match(result.summary, /no complete 50 ms window in 20 ms/);
  });

  test('bad options are refused with SCENARIO_AUDIO_BAD_OPTION naming the option', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => detectTone(tone(1000), RATE, 4000), /frequencyHz .*Nyquist/],
      [() => detectTone(tone(1000), RATE, 1000, { windowMs: 0.5 }), /windowMs/],
      [() => detectTone(tone(1000), RATE, 1000, { minRatio: 1.5 }), /minRatio must be between 0 and 1/],
      [() => detectTone(tone(1000), RATE, 1000, { minPresence: -1 }), /minPresence/],
      [() => detectTone(tone(1000), 0, 1000), /sampleRate/],
      [() => dominantFrequency(tone(1000), RATE, []), /candidatesHz/],
    ];
    for (const [run, message] of cases) {
      assert.throws(run, (err: unknown) => err instanceof AudioError && err.code === 'SCENARIO_AUDIO_BAD_OPTION' && message.test(err.message));
    }
  });
});

describe('dominantFrequency', () => {
  test('picks the louder of two mixed tones', () => {
    const result = dominantFrequency(mix(tone(1000, 0.1), tone(1500, 0.4)), RATE, [1000, 1500, 2000]);
    assert.equal(result.frequencyHz, 1500, result.summary);
    const [f1000, f1500, f2000] = result.candidates;
    assert.ok(f1500 !== undefined && f1000 !== undefined && f2000 !== undefined);
    assert.ok(f1500.meanRatio > 0.9 && f1000.meanRatio < 0.1 && f2000.meanRatio < 0.01, result.summary);
  });

  test('is null for noise, for silence, and for a tone that is not among the candidates', () => {
    assert.equal(dominantFrequency(noise(0.2), RATE, [1000, 1500]).frequencyHz, null);
    const quiet = dominantFrequency(silence(RATE, 1000), RATE, [1000, 1500]);
    assert.equal(quiet.frequencyHz, null);
    assert.match(quiet.summary, /no window above -45 dBFS/);
    assert.equal(dominantFrequency(tone(440), RATE, [1000, 1500]).frequencyHz, null);
  });
});

describe('detectSilence and rmsDb', () => {
  test('digital silence and -60 dBFS noise are silent; a tone and a tone with gaps are not', () => {
    assert.ok(detectSilence(silence(RATE, 1000), RATE).silent);
    const hiss = detectSilence(noise(0.001), RATE);
    assert.ok(hiss.silent, hiss.summary);
    const loud = detectSilence(tone(1000), RATE);
    assert.equal(loud.silent, false, loud.summary);
    assert.equal(loud.silentFraction, 0);
    const halfTone = detectSilence(concat(silence(RATE, 1000), tone(1000, 0.5, 1000)), RATE);
    assert.equal(halfTone.silent, false, halfTone.summary);
    assert.ok(Math.abs(halfTone.silentFraction - 0.5) < 0.03);
  });

  test('the threshold is a level: -40 dBFS noise is silence only when allowed up to -30 dBFS', () => {
    const signal = noise(0.01);
    assert.equal(detectSilence(signal, RATE).silent, false);
    assert.ok(detectSilence(signal, RATE, { maxLevelDb: -30 }).silent);
  });

  test('rmsDb: full-scale square -0 dBFS, full-scale sine -3 dBFS, nothing -Infinity', () => {
    assert.ok(Math.abs(rmsDb(Int16Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? -32768 : 32767)))) < 0.01);
    assert.ok(Math.abs(rmsDb(tone(1000, 1)) - -3.01) < 0.05);
    assert.equal(rmsDb(new Int16Array(10)), -Infinity);
    assert.equal(rmsDb(new Float32Array(0)), -Infinity);
  });
});
