// SIP passwords derived from one secret (the account seed, from the environment): the same lab,
// group and extension always give the same password, so `up` is idempotent, `report` can print
// the credentials sheet without storing passwords anywhere, and a new seed rotates them all.

import { createHmac } from 'node:crypto';

// No 0/O, 1/l/I: passwords are read off a printed sheet and typed into a desk phone.
const READABLE = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Four groups of four readable characters (about 93 bits). */
export function derivePassword(seed: string, lab: string, group: string, extension: string): string {
  const digest = createHmac('sha256', seed).update(`voiplab-account\0${lab}\0${group}\0${extension}`).digest();
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i > 0 && i % 4 === 0) out += '-';
    out += READABLE[(digest[i] ?? 0) % READABLE.length];
  }
  return out;
}
