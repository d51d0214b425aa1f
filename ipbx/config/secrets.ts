// Random secrets for first-run files and the CLI: passwords people read off a screen and type
// into a phone, and admin tokens that scripts copy. Always from node:crypto, never fixed.

import { randomBytes, randomInt } from 'node:crypto';

// No 0/O, 1/l/I: passwords are read off a screen or a whiteboard.
const READABLE = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Four groups of four (`xK7p-3mQa-…`), about 93 bits; 19 characters. */
export function generatePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    for (let i = 0; i < 4; i++) group += READABLE[randomInt(READABLE.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/** 256 bits, base64url: 43 characters. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}
