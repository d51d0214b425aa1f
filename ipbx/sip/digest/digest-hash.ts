// The digest computations of RFC 7616 §3.4.1-§3.4.3 (RFC 3261 §22.4 for SIP, RFC 8760 for the
// SHA-2 algorithms), including the RFC 2069 form used when no qop was offered.

import { createHash } from 'node:crypto';
import { DigestError } from './digest-errors.ts';

export const DIGEST_ALGORITHMS = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];
/** The hash function behind an algorithm; an account's stored HA1 is the same for `X` and `X-sess`. */
export type DigestHashName = 'MD5' | 'SHA-256' | 'SHA-512-256';
export type DigestQop = 'auth' | 'auth-int';

const NODE_HASH: Record<DigestHashName, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };
const HEX_LENGTH: Record<DigestHashName, number> = { MD5: 32, 'SHA-256': 64, 'SHA-512-256': 64 };

/** Case-insensitive (RFC 7616 §3.3: algorithm tokens are case-insensitive) to the canonical spelling. */
export function parseAlgorithm(value: string): DigestAlgorithm {
  const lower = value.toLowerCase();
  const found = DIGEST_ALGORITHMS.find((a) => a.toLowerCase() === lower);
  if (found === undefined) {
    throw new DigestError('DIGEST_UNSUPPORTED_ALGORITHM', `unsupported digest algorithm; supported: ${DIGEST_ALGORITHMS.join(', ')}`);
  }
  return found;
}

export function hashNameOf(algorithm: DigestAlgorithm): DigestHashName {
  return (algorithm.endsWith('-sess') ? algorithm.slice(0, -'-sess'.length) : algorithm) as DigestHashName;
}

export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith('-sess');
}

/** Lowercase hex digest of UTF-8 text or raw bytes (RFC 7616 §3.4: H(data) in lowercase hex). */
export function hashHex(hash: DigestHashName, data: string | Uint8Array): string {
  return createHash(NODE_HASH[hash]).update(data).digest('hex');
}

/**
 * HA1 = H(username ":" realm ":" password). For `-sess` algorithms this is the stored part only;
 * the per-session step H(HA1 ":" nonce ":" cnonce) happens in computeResponse, which knows both nonces.
 */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hashHex(hashNameOf(algorithm), `${username}:${realm}:${password}`);
}

export interface ResponseInput {
  algorithm: DigestAlgorithm;
  /** Hex HA1 as returned by computeHa1 (case-insensitive). */
  ha1: string;
  nonce: string;
  method: string;
  /** The `uri` directive exactly as sent, not the Request-URI re-serialized. */
  uri: string;
  /** Absent: RFC 2069 compatibility form, without nc and cnonce. */
  qop?: DigestQop | undefined;
  /** 8 hex digits, required with qop. */
  nc?: string | undefined;
  cnonce?: string | undefined;
  /** Message body for qop=auth-int; an absent body hashes as the empty string (RFC 3261 §22.4). */
  body?: string | Uint8Array | undefined;
}

export function computeResponse(input: ResponseInput): string {
  const hash = hashNameOf(input.algorithm);
  const ha1 = checkedHa1(hash, input.ha1);
  const H = (data: string | Uint8Array): string => hashHex(hash, data);
  if (input.qop === undefined) {
    // -sess needs a cnonce, and RFC 7616 §3.4 forbids cnonce without qop.
    if (isSessionAlgorithm(input.algorithm)) throw new DigestError('DIGEST_MALFORMED', `${input.algorithm} requires a qop`);
    return H(`${ha1}:${input.nonce}:${H(`${input.method}:${input.uri}`)}`);
  }
  const { nc, cnonce } = input;
  if (nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc)) throw new DigestError('DIGEST_MALFORMED', 'qop requires nc as 8 hex digits');
  if (cnonce === undefined || cnonce === '') throw new DigestError('DIGEST_MALFORMED', 'qop requires a non-empty cnonce');
  const sessionHa1 = isSessionAlgorithm(input.algorithm) ? H(`${ha1}:${input.nonce}:${cnonce}`) : ha1;
  const a2 = input.qop === 'auth-int' ? `${input.method}:${input.uri}:${H(input.body ?? '')}` : `${input.method}:${input.uri}`;
  return H(`${sessionHa1}:${input.nonce}:${nc}:${cnonce}:${input.qop}:${H(a2)}`);
}

function checkedHa1(hash: DigestHashName, ha1: string): string {
  // A wrong-length HA1 (e.g. an MD5 one stored for SHA-256) would only ever show up as
  // "bad password" for every user: say what is wrong instead.
  if (ha1.length !== HEX_LENGTH[hash] || !/^[0-9a-fA-F]+$/.test(ha1)) {
    throw new DigestError('DIGEST_INVALID_HA1', `HA1 for ${hash} must be ${HEX_LENGTH[hash]} hex digits; store ha1For(username, realm, password, '${hash}')`);
  }
  return ha1.toLowerCase();
}
