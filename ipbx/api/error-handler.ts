// The one error handler of the API: every failure becomes `{ error, code, message, field? }` with
// the status its code has. Anything unexpected is a 500 that says nothing about internals; the
// details go to the log.

import type { FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { ApiError, CONFIG_ERROR_STATUS, errorWord, isConfigErrorCode, type ConfigErrorCode } from './api-errors.ts';
import type { ErrorBody } from './error-schema.ts';
import { describeValidation } from './validation-field.ts';

export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  /** True when the failure is ours, not the client's: it must be logged. */
  unexpected: boolean;
}

type Loose = Record<string, unknown>;

const CONFIG_FALLBACK: Readonly<Record<ConfigErrorCode, string>> = {
  IPBX_CONFIG_INVALID: 'the change breaks the configuration rules',
  IPBX_ACCOUNT_NOT_FOUND: 'no such account',
  IPBX_ACCOUNT_EXISTS: 'the account already exists',
};

export function toErrorAnswer(error: unknown): ErrorAnswer {
  const e: Loose = typeof error === 'object' && error !== null ? (error as Loose) : {};
  const message = typeof e['message'] === 'string' ? e['message'] : '';

  if (Array.isArray(e['validation'])) {
    const part = typeof e['validationContext'] === 'string' ? e['validationContext'] : 'body';
    const problem = describeValidation(e['validation'] as FastifySchemaValidationError[], part);
    return answer(400, 'IPBX_API_VALIDATION', problem.message, { field: problem.field });
  }
  if (error instanceof ApiError) {
    return answer(error.statusCode, error.code, error.message, error.field === undefined ? {} : { field: error.field });
  }
  // ConfigService errors are matched by code, not class: the API depends on the contract only.
  // Their message starts with the config file's path, so the answer is built from the issues.
  if (isConfigErrorCode(e['code'])) {
    const code = e['code'];
    const issues = configIssues(e['issues']);
    const first = issues[0];
    if (code !== 'IPBX_CONFIG_INVALID') {
      return answer(CONFIG_ERROR_STATUS[code], code, first?.message ?? CONFIG_FALLBACK[code], first === undefined || first.field === '' ? {} : { field: first.field });
    }
    const text = first === undefined ? CONFIG_FALLBACK[code] : first.field === '' ? first.message : `${first.field}: ${first.message}`;
    return answer(400, code, text, first === undefined || first.field === '' ? { issues } : { field: first.field, issues });
  }
  // fastify's own client errors: bad JSON, empty body, wrong content type, body too large.
  const status = e['statusCode'];
  const code = e['code'];
  if (typeof status === 'number' && status >= 400 && status < 500 && ((typeof code === 'string' && code.startsWith('FST_')) || error instanceof SyntaxError)) {
    // These messages may quote the request (a whole URL): enough to recognise it, no more.
    return answer(status, 'IPBX_API_MALFORMED_REQUEST', message.length > 200 ? `${message.slice(0, 200)}…` : message);
  }
  return { ...answer(500, 'IPBX_API_INTERNAL', 'internal error; the IPBX log has the details'), unexpected: true };
}

function answer(status: number, code: string, message: string, extra: Pick<ErrorBody, 'field' | 'issues'> = {}): ErrorAnswer {
  return { status, body: { error: errorWord(status), code, message, ...extra }, unexpected: false };
}

function configIssues(raw: unknown): Array<{ field: string; message: string }> {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((issue: unknown) => {
    const i: Loose = typeof issue === 'object' && issue !== null ? (issue as Loose) : {};
    // file/line/column point into voiplab.yaml on the server: not passed on to API clients.
    return typeof i['field'] === 'string' && typeof i['message'] === 'string' ? [{ field: i['field'], message: i['message'] }] : [];
  });
}

export function createErrorHandler(log: (line: string) => void) {
  return function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const { status, body, unexpected } = toErrorAnswer(error);
    if (unexpected) {
      // The route pattern, not the URL: the events URL may carry ?token=.
      const where = `${request.method} ${request.routeOptions.url ?? '(no route)'}`;
      log(`api: ${where} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    return reply.code(status).send(body);
  };
}
