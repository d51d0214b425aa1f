// Errors of the audio toolkit (WAV files, tone detection). Each names the file or the option at
// fault, so a failed audio check in a scenario report says what to fix.

import { CodedError } from '../../ipbx/sip/index.ts';

/** Every code with what it means; one row per code belongs in docs/errors.md. */
export const AUDIO_ERROR_CODES = {
  SCENARIO_WAV_NOT_RIFF: 'The file does not start with a little-endian RIFF header (RIFX and RF64 are not read).',
  SCENARIO_WAV_NOT_WAVE: 'The RIFF file is not of form WAVE (an AVI, a WebP…).',
  SCENARIO_WAV_TRUNCATED: 'The file ends inside its header or inside a chunk whose size the header declares.',
  SCENARIO_WAV_UNFINISHED: 'The header sizes are those of a file still being written (libsndfile fills them in on close); read it with { allowUnfinished: true } or after the writer closed it.',
  SCENARIO_WAV_NO_FMT: 'No fmt chunk before the end of the RIFF data.',
  SCENARIO_WAV_NO_DATA: 'No data chunk before the end of the RIFF data.',
  SCENARIO_WAV_BAD_FMT: 'The fmt chunk is too short or inconsistent (block align, zero channels or sample rate).',
  SCENARIO_WAV_UNSUPPORTED: 'A format other than 16-bit little-endian integer PCM (float, 8/24/32-bit, A-law, μ-law, ADPCM…).',
  SCENARIO_WAV_BAD_AUDIO: 'Audio to encode is inconsistent: sample count not a multiple of the channel count, bad rate or channel count.',
  SCENARIO_AUDIO_BAD_OPTION: 'A tone detector or synthesizer option is missing or out of range; the message names it.',
} as const;

export type AudioErrorCode = keyof typeof AUDIO_ERROR_CODES;

export class AudioError extends CodedError<AudioErrorCode> {
  override readonly name: string = 'AudioError';
}

/** A WAV file (or buffer) that cannot be read or written; `file` is its path or `<buffer>`. */
export class WavError extends AudioError {
  override readonly name = 'WavError';
  readonly file: string;

  constructor(code: AudioErrorCode, file: string, message: string) {
    super(code, `${file}: ${message}`);
    this.file = file;
  }
}

/** Refuses an option value, naming the option and what it must be. */
export function badOption(name: string, value: unknown, expected: string): AudioError {
  return new AudioError('SCENARIO_AUDIO_BAD_OPTION', `option ${name} must be ${expected} (got ${String(value)})`);
}
