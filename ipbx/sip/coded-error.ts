// The base of every area's error class (DigestError, TransportError, DialplanError, …): a stable
// `code` from the area's exported codes table, each with a row in docs/errors.md, and where it
// applies the SIP status a peer is answered with or the HTTP status an API client gets.
//
// An area declares its table and its class, and nothing more:
//
//   export const AREA_ERROR_CODES = { AREA_SOMETHING: 'what it means', … } as const;
//   export type AreaErrorCode = keyof typeof AREA_ERROR_CODES;
//   export class AreaError extends CodedError<AreaErrorCode> {
//     override readonly name = 'AreaError';
//   }

export interface CodedErrorOptions extends ErrorOptions {
  /** The SIP status to answer with, when a peer caused the error. */
  sipStatus?: number;
  /** The HTTP status to answer with, when an API client caused the error. */
  statusCode?: number;
}

export abstract class CodedError<Code extends string> extends Error {
  readonly code: Code;
  // Declared, not initialised: an error without a status has no such property at all.
  declare readonly sipStatus?: number;
  declare readonly statusCode?: number;

  constructor(code: Code, message: string, options: CodedErrorOptions = {}) {
    const { sipStatus, statusCode, ...errorOptions } = options;
    super(message, errorOptions);
    this.code = code;
    if (sipStatus !== undefined) this.sipStatus = sipStatus;
    if (statusCode !== undefined) this.statusCode = statusCode;
  }
}
