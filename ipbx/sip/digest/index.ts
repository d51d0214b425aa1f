// Public entry of SIP digest authentication (RFC 3261 §22, RFC 7616, RFC 8760).

export { DigestError, DIGEST_ERROR_CODES, type DigestErrorCode } from './digest-errors.ts';
export { parseAuthValue, serializeAuthValue, type AuthValue, type AuthValueKind } from './auth-params.ts';
export {
  DIGEST_ALGORITHMS,
  parseAlgorithm,
  hashNameOf,
  isSessionAlgorithm,
  hashHex,
  computeHa1,
  computeResponse,
  type DigestAlgorithm,
  type DigestHashName,
  type DigestQop,
  type ResponseInput,
} from './digest-hash.ts';
export { NonceManager, DEFAULT_NONCE_LIFETIME_MS, type NonceOptions, type NonceStatus, type NonceInspection } from './nonce.ts';
export {
  DigestServer,
  ha1For,
  type DigestServerOptions,
  type DigestVerifyInput,
  type DigestVerifyResult,
  type DigestFailureReason,
} from './digest-server.ts';
export { DigestClient, type DigestClientOptions, type DigestRequest, type AuthorizeInput } from './digest-client.ts';
