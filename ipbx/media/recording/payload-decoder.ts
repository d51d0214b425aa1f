// RTP payloads → 16-bit samples at the recording's rate (8 or 16 kHz). G.711 is decoded with its
// tables (and doubled to 16 kHz by linear interpolation when the other leg is wideband); opus with
// the opus-decoder package (libopus in WebAssembly), which decodes at 8 or 16 kHz itself, so no
// resampler is needed. G.722 is not decoded (its sub-band ADPCM is a project of its own): its
// streams are reported and left silent.

import { OpusDecoder } from 'opus-decoder';
import { decodeALaw, decodeMuLaw } from './g711.ts';
import type { RtpCodec } from './rtp-codecs.ts';

export type RecordingSampleRate = 8000 | 16000;

export interface PayloadDecoder {
  /** Samples at the output rate; empty when the payload cannot be decoded. */
  decode(payload: Uint8Array): Int16Array;
  /** Releases what the decoder holds (WebAssembly memory for opus). */
  free(): void;
}

/** Whether createPayloadDecoder() handles the codec. */
export function isDecodable(codec: RtpCodec): boolean {
  return codec.name === 'PCMU' || codec.name === 'PCMA' || codec.name === 'OPUS';
}

/** Codecs that carry more than telephone bandwidth: a recording with one is made at 16 kHz. */
export function isWideband(codec: RtpCodec): boolean {
  return codec.name === 'OPUS' || codec.name === 'G722';
}

/** A decoder for one stream (decoders keep state between packets); undefined for a codec not handled. */
export async function createPayloadDecoder(codec: RtpCodec, sampleRate: RecordingSampleRate): Promise<PayloadDecoder | undefined> {
  switch (codec.name) {
    case 'PCMU': return g711Decoder(decodeMuLaw, sampleRate);
    case 'PCMA': return g711Decoder(decodeALaw, sampleRate);
    case 'OPUS': return opusDecoder(sampleRate);
    default: return undefined;
  }
}

function g711Decoder(decode: (payload: Uint8Array) => Int16Array, sampleRate: RecordingSampleRate): PayloadDecoder {
  if (sampleRate === 8000) return { decode, free: () => undefined };
  // Each output pair is (midpoint with the previous sample, the sample): half a sample of delay,
  // and continuity across packets through `previous`.
  let previous = 0;
  return {
    decode(payload) {
      const narrow = decode(payload);
      const wide = new Int16Array(narrow.length * 2);
      for (let i = 0; i < narrow.length; i++) {
        const sample = narrow[i] ?? 0;
        wide[2 * i] = Math.round((previous + sample) / 2);
        wide[2 * i + 1] = sample;
        previous = sample;
      }
      return wide;
    },
    free: () => undefined,
  };
}

/** opus-decoder copies a frame into a buffer of this size (120 ms at 256 kbit/s): larger ones are not opus. */
const MAX_OPUS_PAYLOAD_BYTES = 3840;

async function opusDecoder(sampleRate: RecordingSampleRate): Promise<PayloadDecoder> {
  // One channel: libopus mixes a stereo stream down, which is what a channel of the recording wants.
  const decoder = new OpusDecoder({ sampleRate, channels: 1 });
  await decoder.ready;
  let freed = false;
  return {
    decode(payload) {
      if (freed || payload.length === 0 || payload.length > MAX_OPUS_PAYLOAD_BYTES) return new Int16Array(0);
      const decoded = decoder.decodeFrame(payload);
      const samples = decoded.channelData[0];
      if (decoded.errors.length > 0 || samples === undefined) return new Int16Array(0);
      const out = new Int16Array(decoded.samplesDecoded);
      for (let i = 0; i < out.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round((samples[i] ?? 0) * 32768)));
      return out;
    },
    free() {
      if (freed) return;
      freed = true;
      decoder.free();
    },
  };
}
