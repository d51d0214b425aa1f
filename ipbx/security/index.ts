// Public entry of the IPBX's protections (on by default): per-source rate limiting and
// authentication failure bans.

export { RateLimiter, DEFAULT_MAX_SOURCES, type RateLimiterOptions } from './rate-limiter.ts';
export {
  AuthFailureGuard,
  DEFAULT_TRUST_SECONDS,
  DEFAULT_MAX_ENTRIES,
  type AuthFailureGuardOptions,
  type BanEntry,
  type AccountProtection,
} from './auth-failure-guard.ts';
export { SecurityError, SECURITY_ERROR_CODES, type SecurityErrorCode } from './security-errors.ts';
