// Errors of the HTTP API. Each code has the HTTP status it is answered with and the `error` word
// clients switch on; codes the ConfigService raises are mapped here too, so the one error handler
// needs no other table.

export const API_ERROR_CODES = {
  IPBX_API_VALIDATION: { status: 400, meaning: 'A path parameter, query parameter or body field breaks the route\'s schema; `field` names it (e.g. `password`, `rules[0].action.code`).' },
  IPBX_API_MALFORMED_REQUEST: { status: 400, meaning: 'The body is not JSON, is empty while a JSON content type is set, is larger than the body limit (413) or has another content type (415).' },
  IPBX_API_UNAUTHORIZED: { status: 401, meaning: 'No `Authorization: Bearer <admin token>` header, or a wrong token (the events WebSocket also takes `?token=`).' },
  IPBX_API_NOT_FOUND: { status: 404, meaning: 'No API route has this method and path.' },
  IPBX_CALL_NOT_FOUND: { status: 404, meaning: 'No active call has this id (it may have ended).' },
  IPBX_QUEUE_NOT_FOUND: { status: 404, meaning: 'No queue has this name (`queues` in the config).' },
  IPBX_QUEUE_AGENT_NOT_ALLOWED: { status: 403, meaning: 'The account is not in the queue\'s `agents` list, so it cannot log in as an agent there.' },
  IPBX_QUEUE_STATIC_MEMBER: { status: 409, meaning: 'A static member (the queue\'s `members`) is always logged in: it cannot log in or out, only pause.' },
  IPBX_QUEUE_NOT_LOGGED_IN: { status: 409, meaning: 'The agent is not logged in to the queue, so it cannot pause or log out.' },
  IPBX_API_UPGRADE_REQUIRED: { status: 426, meaning: '`GET /api/v1/events` was called without a WebSocket upgrade.' },
  IPBX_API_INTERNAL: { status: 500, meaning: 'An unexpected failure; details are logged, never sent to the client.' },
  // Thrown by buildApp() to the composition root, never answered over HTTP (hence no status).
  IPBX_API_BAD_OPTION: { status: 0, meaning: 'buildApp() was given an unusable option (an admin token shorter than 16 characters, a CORS origin that is not an origin); the message names it.' },
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** Codes the ConfigService throws, with the status the API answers them with. */
export const CONFIG_ERROR_STATUS = {
  IPBX_CONFIG_INVALID: 400,
  IPBX_ACCOUNT_NOT_FOUND: 404,
  IPBX_ACCOUNT_EXISTS: 409,
} as const;

export type ConfigErrorCode = keyof typeof CONFIG_ERROR_STATUS;

export function isConfigErrorCode(code: unknown): code is ConfigErrorCode {
  return typeof code === 'string' && Object.hasOwn(CONFIG_ERROR_STATUS, code);
}

/** The `error` word of a response body, by HTTP status. */
export function errorWord(status: number): string {
  switch (status) {
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 413: return 'payload_too_large';
    case 415: return 'unsupported_media_type';
    case 426: return 'upgrade_required';
    default: return status >= 500 ? 'internal_error' : 'bad_request';
  }
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** Config codes too: an unknown account is IPBX_ACCOUNT_NOT_FOUND whether the API or the ConfigService finds out. */
  readonly code: ApiErrorCode | ConfigErrorCode;
  readonly statusCode: number;
  /** The offending field, for IPBX_API_VALIDATION raised by a handler's own checks. */
  readonly field: string | undefined;

  constructor(code: ApiErrorCode | ConfigErrorCode, message: string, field?: string) {
    super(message);
    this.code = code;
    this.statusCode = isConfigErrorCode(code) ? CONFIG_ERROR_STATUS[code] : API_ERROR_CODES[code].status;
    this.field = field;
  }
}
