// Errors of the dialplan router: only configuration mistakes. A dialled number that matches no
// rule is not an error (the router answers `no-match` and the B2BUA sends 404).

import { CodedError } from '../sip/index.ts';

/** Every code with what it means; one row per code belongs in docs/errors.md. */
export const DIALPLAN_ERROR_CODES = {
  IPBX_DIALPLAN_BAD_PATTERN: 'A dialplan rule\'s `match` is not a valid exact number or `_` pattern; the message names the rule, the pattern and the position.',
} as const;

export type DialplanErrorCode = keyof typeof DIALPLAN_ERROR_CODES;

export class DialplanError extends CodedError<DialplanErrorCode> {
  override readonly name = 'DialplanError';
  /** The pattern as written in the config. */
  readonly pattern: string;
  /** 0-based index of the offending character in `pattern`. */
  readonly position: number;

  constructor(code: DialplanErrorCode, message: string, pattern: string, position: number) {
    super(code, message);
    this.pattern = pattern;
    this.position = position;
  }
}
