// Public entry of the audio toolkit: WAV files, test signals, tone and silence detection.

export { AUDIO_ERROR_CODES, AudioError, WavError, type AudioErrorCode } from './audio-errors.ts';
export { channel, durationMs, encodeWav, frameCount, parseWav, readWav, toMono, writeWav, type ReadWavOptions, type WavAudio } from './wav.ts';
export { concat, mix, mulberry32, silence, sine, toInt16, whiteNoise, type NoiseOptions, type SineOptions } from './synth.ts';
export {
  detectSilence, detectTone, dominantFrequency, rmsDb,
  type AnalysisOptions, type DominantFrequency, type Samples, type SilenceDetection, type SilenceOptions,
  type ToneDetection, type ToneOptions, type ToneWindow,
} from './tone-detector.ts';
