// What a call sounds like, for automation (the scenario runner and the e2e tests "hear" with
// it): the dominant frequency and the level of the remote audio over a short window, by FFT.

import type { HeardAudio } from '../automation/voiplab-api-types.ts';

/** Reported level of no audio at all, instead of -Infinity (which JSON cannot carry). */
export const SILENCE_DB = -120;
/** 48 kHz / 8192 ≈ 5.9 Hz a bin: fine enough to tell 1000 Hz from 1500 Hz with room to spare. */
const FFT_SIZE = 8192;
/** Below this, bins are DC and hum rather than a tone. */
const MIN_TONE_HZ = 50;
const READ_INTERVAL_MS = 50;

export class ToneAnalyser {
  #context: AudioContext | undefined;
  readonly #sources = new WeakMap<MediaStreamTrack, AnalyserNode>();

  async listen(stream: MediaStream | undefined, windowMs: number): Promise<HeardAudio> {
    const track = stream?.getAudioTracks()[0];
    if (track === undefined || track.readyState === 'ended') return { frequencyHz: 0, levelDb: SILENCE_DB, hasTrack: false };
    const analyser = await this.#analyserOf(track);
    const spectrumDb = new Float32Array(analyser.frequencyBinCount);
    const samples = new Float32Array(analyser.fftSize);
    const power = new Float64Array(analyser.frequencyBinCount);
    let squareSum = 0;
    let sampleCount = 0;
    const reads = Math.max(1, Math.round(windowMs / READ_INTERVAL_MS));
    for (let read = 0; read < reads; read++) {
      await new Promise((resolve) => setTimeout(resolve, READ_INTERVAL_MS));
      analyser.getFloatFrequencyData(spectrumDb);
      // Averaged in power, not in dB, so a tone present in part of the window still stands out.
      for (let bin = 0; bin < power.length; bin++) power[bin] = (power[bin] ?? 0) + 10 ** ((spectrumDb[bin] ?? -Infinity) / 10);
      analyser.getFloatTimeDomainData(samples);
      for (const sample of samples) squareSum += sample * sample;
      sampleCount += samples.length;
    }
    const binHz = analyser.context.sampleRate / analyser.fftSize;
    let peakBin = Math.ceil(MIN_TONE_HZ / binHz);
    for (let bin = peakBin; bin < power.length; bin++) {
      if ((power[bin] ?? 0) > (power[peakBin] ?? 0)) peakBin = bin;
    }
    const meanSquare = squareSum / sampleCount;
    const levelDb = meanSquare > 0 ? Math.max(SILENCE_DB, 10 * Math.log10(meanSquare)) : SILENCE_DB;
    return { frequencyHz: peakBin * binHz, levelDb, hasTrack: true };
  }

  async #analyserOf(track: MediaStreamTrack): Promise<AnalyserNode> {
    this.#context ??= new AudioContext();
    if (this.#context.state !== 'running') await this.#context.resume();
    let analyser = this.#sources.get(track);
    if (analyser === undefined) {
      analyser = this.#context.createAnalyser();
      analyser.fftSize = FFT_SIZE;
      analyser.smoothingTimeConstant = 0; // the window is averaged here instead
      this.#context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
      this.#sources.set(track, analyser);
    }
    return analyser;
  }
}
