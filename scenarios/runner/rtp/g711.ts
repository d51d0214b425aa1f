// G.711 μ-law (PCMU), the codec every SIP phone speaks: one byte per 16-bit sample.

/** G.711 μ-law encoding of one 16-bit sample. */
export function muLawEncode(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32_635;
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(Math.round(sample)), CLIP) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  magnitude = sign | (exponent << 4) | mantissa;
  return ~magnitude & 0xff;
}

/** G.711 μ-law decoding of one byte to a 16-bit sample. */
export function muLawDecode(byte: number): number {
  const value = ~byte & 0xff;
  const exponent = (value >> 4) & 0x07;
  const magnitude = ((((value & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return (value & 0x80) !== 0 ? -magnitude : magnitude;
}

export function muLawEncodeAll(samples: Int16Array): Buffer {
  return Buffer.from(Array.from(samples, muLawEncode));
}

export function muLawDecodeAll(bytes: Buffer): Int16Array {
  return Int16Array.from(bytes, muLawDecode);
}
