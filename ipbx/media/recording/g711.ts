// G.711 μ-law (PCMU) and A-law (PCMA), ITU-T G.711: 8-bit logarithmic samples. Decoding is a
// 256-entry table built once from the segment/mantissa layout; encoding (used to make test
// streams) follows the same layout the other way.

const MU_LAW_BIAS = 0x84;
const MU_LAW_CLIP = 32635;

function decodeMuLawByte(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + MU_LAW_BIAS) << exponent) - MU_LAW_BIAS;
  return (u & 0x80) !== 0 ? -magnitude : magnitude;
}

function decodeALawByte(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return (a & 0x80) !== 0 ? magnitude : -magnitude;
}

const MU_LAW_TABLE = Int16Array.from({ length: 256 }, (_, byte) => decodeMuLawByte(byte));
const A_LAW_TABLE = Int16Array.from({ length: 256 }, (_, byte) => decodeALawByte(byte));

export function decodeMuLaw(payload: Uint8Array): Int16Array {
  const out = new Int16Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = MU_LAW_TABLE[payload[i] ?? 0xff] ?? 0;
  return out;
}

export function decodeALaw(payload: Uint8Array): Int16Array {
  const out = new Int16Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = A_LAW_TABLE[payload[i] ?? 0xd5] ?? 0;
  return out;
}

export function encodeMuLaw(samples: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    let s = Math.round(samples[i] ?? 0);
    const sign = s < 0 ? 0x80 : 0;
    s = Math.min(Math.abs(s), MU_LAW_CLIP) + MU_LAW_BIAS;
    let exponent = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
    const mantissa = (s >> (exponent + 3)) & 0x0f;
    out[i] = ~(sign | (exponent << 4) | mantissa) & 0xff;
  }
  return out;
}

export function encodeALaw(samples: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.round(samples[i] ?? 0);
    const sign = s >= 0 ? 0x80 : 0;
    // A-law works on 13 bits: drop the 3 least significant of the 16.
    const magnitude = Math.min(Math.abs(s), 32767) >> 3;
    let byte: number;
    if (magnitude < 32) {
      byte = magnitude >> 1;
    } else {
      let exponent = 1;
      while (exponent < 7 && magnitude >= 64 << (exponent - 1)) exponent++;
      byte = (exponent << 4) | ((magnitude >> exponent) & 0x0f);
    }
    out[i] = (byte | sign) ^ 0x55;
  }
  return out;
}
