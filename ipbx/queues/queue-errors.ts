// Errors of queue agent operations (feature codes and the API); the API answers each code with
// its HTTP status.

import { CodedError } from '../sip/index.ts';

/** Every code with what it means; one row per code belongs in docs/errors.md. */
export const QUEUE_ERROR_CODES = {
  IPBX_QUEUE_NOT_FOUND: 'No queue has this name.',
  IPBX_QUEUE_AGENT_NOT_ALLOWED: 'The account is not in the queue\'s `agents` list (or, without a queue named, may log in to no queue), or is no account.',
  IPBX_QUEUE_STATIC_MEMBER: 'A static member (the queue\'s `members` in the config) cannot log in or out; it can pause.',
  IPBX_QUEUE_NOT_LOGGED_IN: 'The agent is not logged in to the queue, so it cannot pause or log out.',
} as const;

export type QueueErrorCode = keyof typeof QUEUE_ERROR_CODES;

export class QueueError extends CodedError<QueueErrorCode> {
  override readonly name = 'QueueError';
}
