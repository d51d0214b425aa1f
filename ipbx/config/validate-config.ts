// One pass from plain data (parsed YAML, or a candidate change) to a VoiplabConfig: schema with
// defaults, then consistency rules, then passwords to HA1. Issues get their file position here.

import type { VoiplabConfig } from './config-schema.ts';
import { fieldName } from './config-path.ts';
import type { ConfigIssue } from './config-errors.ts';
import type { Locator } from './yaml-locate.ts';
import type { PathIssue } from './path-issue.ts';
import { validateSchema } from './schema-validator.ts';
import { checkSemantics } from './semantic-checks.ts';
import { resolveCredentials } from './account-credentials.ts';

export type ValidationResult = { ok: true; config: VoiplabConfig } | { ok: false; issues: ConfigIssue[] };

/** `data` is consumed: ajv fills defaults into it. */
export function validateConfigData(data: unknown, file: string, locate: Locator): ValidationResult {
  const schemaIssues = validateSchema(data);
  // Semantic rules assume the schema's shape; run them only on data that has it.
  const issues = schemaIssues.length > 0 ? schemaIssues : checkSemantics(data as VoiplabConfig);
  if (issues.length > 0) return { ok: false, issues: sortByPlace(issues.map((i) => placeIssue(i, file, locate))) };
  return { ok: true, config: resolveCredentials(data as VoiplabConfig) };
}

export function placeIssue(issue: PathIssue, file: string, locate: Locator): ConfigIssue {
  const { line, column } = locate(issue.at ?? issue.path, issue.pointAt);
  return { file, line, column, field: fieldName(issue.path), message: issue.message };
}

/** In file order, so a reader fixes them top to bottom; issues without a place last. */
function sortByPlace(issues: ConfigIssue[]): ConfigIssue[] {
  const key = (i: ConfigIssue): number => (i.line === 0 ? Number.MAX_SAFE_INTEGER : i.line * 10_000 + i.column);
  return issues.sort((a, b) => key(a) - key(b));
}
