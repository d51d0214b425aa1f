// Errors of the digest authentication area. Verification failures caused by a peer are not
// errors (DigestServer.verify returns a reason); these are for malformed input handed to a parser
// or serializer, unusable challenges, and configuration mistakes.

import { CodedError } from '../coded-error.ts';

/** Every code with what it means; one row per code belongs in docs/errors.md. */
export const DIGEST_ERROR_CODES = {
  DIGEST_MALFORMED: 'An auth header value, or a digest input, does not follow RFC 7616 / RFC 3261 §25 syntax.',
  DIGEST_UNSUPPORTED_ALGORITHM: 'No offered challenge uses an algorithm and qop this implementation supports.',
  DIGEST_INVALID_OPTION: 'A DigestServer, DigestClient or nonce option is missing or out of range.',
  DIGEST_INVALID_HA1: 'A stored HA1 is not the lowercase hex digest of the expected length for its algorithm.',
} as const;

export type DigestErrorCode = keyof typeof DIGEST_ERROR_CODES;

export class DigestError extends CodedError<DigestErrorCode> {
  override readonly name = 'DigestError';
}
