// Errors of the security guards: only configuration mistakes. A flood or a failed login is not
// an error here; the guards answer with booleans and the SIP layer drops or challenges.

import { CodedError } from '../sip/index.ts';

/** Every code with what it means; one row per code belongs in docs/errors.md. */
export const SECURITY_ERROR_CODES = {
  IPBX_SECURITY_BAD_OPTION: 'A rate-limit or ban option is missing or out of range; the message names it (security.rateLimit.*, security.ban.*).',
} as const;

export type SecurityErrorCode = keyof typeof SECURITY_ERROR_CODES;

export class SecurityError extends CodedError<SecurityErrorCode> {
  override readonly name = 'SecurityError';
}

/** Throws IPBX_SECURITY_BAD_OPTION unless `value` is a number > 0 (an integer ≥ 1 when `integer`). */
export function checkPositive(name: string, value: number, integer = false): void {
  const ok = Number.isFinite(value) && (integer ? Number.isInteger(value) && value >= 1 : value > 0);
  if (!ok) {
    const want = integer ? 'an integer of at least 1' : 'a number greater than 0';
    throw new SecurityError('IPBX_SECURITY_BAD_OPTION', `${name} must be ${want} (got ${String(value)})`);
  }
}
