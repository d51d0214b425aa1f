// A typed parse failure: `code` says what is wrong, `reason` is fit for a 400 reason phrase, and
// `sipStatus` is the status a UAS should answer when the input was a request it can answer.

import type { HeaderList } from './header-list.ts';

/** Every code a parse can fail with; docs/errors.md has a row for each. */
export const SIP_PARSE_ERROR_CODES = [
  'SIP_MESSAGE_TOO_LARGE',
  'SIP_TOO_MANY_HEADERS',
  'SIP_LINE_TOO_LONG',
  'SIP_BAD_START_LINE',
  'SIP_BAD_VERSION',
  'SIP_BAD_STATUS',
  'SIP_BAD_HEADER',
  'SIP_MISSING_HEADER',
  'SIP_DUPLICATE_HEADER',
  'SIP_BAD_URI',
  'SIP_BAD_CONTENT_LENGTH',
  'SIP_TRUNCATED_BODY',
  'SIP_CSEQ_MISMATCH',
  'SIP_INCOMPLETE',
] as const;
export type SipParseErrorCode = (typeof SIP_PARSE_ERROR_CODES)[number];

/** What could be read before the failure, so a UAS can still build a 400 (RFC 3261 §8.1.3.3, §8.2). */
export interface PartialMessage {
  isRequest: boolean;
  method?: string;
  headers: HeaderList;
}

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  readonly code: SipParseErrorCode;
  readonly reason: string;
  readonly sipStatus: number;
  partial?: PartialMessage;

  constructor(code: SipParseErrorCode, reason: string, sipStatus = 400) {
    super(reason);
    this.code = code;
    this.reason = reason;
    this.sipStatus = sipStatus;
  }
}
