// Errors of the configuration area. A config error lists every problem at once, each with the file,
// line, column and field, so a trainer fixes a hand-written voiplab.yaml in one pass.

/** Every code with what it means; one row per code belongs in docs/errors.md. */
export const CONFIG_ERROR_CODES = {
  IPBX_CONFIG_INVALID: 'The config file (or a change made through the API or CLI) breaks the schema or a consistency rule; each issue names the file, line, column and field.',
  IPBX_CONFIG_UNREADABLE: 'The config file cannot be read or written (missing, permissions).',
  IPBX_ACCOUNT_EXISTS: 'An account with this extension already exists.',
  IPBX_ACCOUNT_NOT_FOUND: 'No account has this extension.',
  IPBX_TLS_UNREADABLE: 'The configured TLS certificate or key file cannot be read, is not PEM, or the key does not match the certificate.',
  IPBX_ADMIN_TOKEN_INVALID: 'VOIPLAB_ADMIN_TOKEN is shorter than 16 characters.',
} as const;

export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

export interface ConfigIssue {
  file: string;
  /** 1-based; 0 when the issue has no place in the file (a value given through the API). */
  line: number;
  column: number;
  /** Dotted path of the field (`accounts[2].extension`); empty for YAML syntax errors. */
  field: string;
  message: string;
}

/** `file:line:column: field: message`, the shape compilers use, so editors can jump to it. */
export function formatIssue(issue: ConfigIssue): string {
  const place = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return issue.field === '' ? `${place}: ${issue.message}` : `${place}: ${issue.field}: ${issue.message}`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly issues: ConfigIssue[];

  constructor(code: ConfigErrorCode, issues: ConfigIssue[], options?: ErrorOptions) {
    super(issues.length === 1 && issues[0] !== undefined ? formatIssue(issues[0]) : `${issues.length} problems:\n${issues.map(formatIssue).join('\n')}`, options);
    this.code = code;
    this.issues = issues;
  }

  /** The field of the first issue, for API answers that name one field (400). */
  get field(): string {
    return this.issues[0]?.field ?? '';
  }
}

/** A one-issue error with no position (API input, unreadable files). */
export function configError(code: ConfigErrorCode, file: string, field: string, message: string, options?: ErrorOptions): ConfigError {
  return new ConfigError(code, [{ file, line: 0, column: 0, field, message }], options);
}
