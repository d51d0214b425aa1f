// Errors of the transaction layer. What a peer does wrong on the wire is not an error here (it is
// absorbed or dropped as RFC 3261 §17 says); these are for configuration mistakes, misuse by the
// TU, messages that cannot be matched at all, and broken state machines.

import { CodedError } from '../coded-error.ts';

/** Every code with what it means; one row per code belongs in docs/errors.md. */
export const TRANSACTION_ERROR_CODES = {
  TRANSACTION_INVALID_OPTION: 'A timer value (T1, T2, T4) or another TransactionLayer option is out of range.',
  TRANSACTION_ILLEGAL_TRANSITION: 'A state machine was asked to make a move RFC 3261 §17 / RFC 6026 do not allow (a bug in the transaction layer).',
  TRANSACTION_BAD_REQUEST: 'sendRequest() cannot start a transaction with this request (an ACK, or a top Via branch without the z9hG4bK cookie).',
  TRANSACTION_DUPLICATE: 'A live client transaction already has this branch and method.',
  TRANSACTION_CLOSED: 'The TransactionLayer is closed.',
  TRANSACTION_UNMATCHABLE: 'A received message lacks what matching needs (Via, CSeq, Call-ID) and was dropped.',
} as const;

export type TransactionErrorCode = keyof typeof TRANSACTION_ERROR_CODES;

export class TransactionError extends CodedError<TransactionErrorCode> {
  override readonly name = 'TransactionError';
}
