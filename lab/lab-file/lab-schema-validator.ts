// ajv for the lab file: defaults filled in place, and each ajv error turned into one readable
// PathIssue (the path helpers and issue shapes are the config area's, reused).

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { pointerToPath } from '../../ipbx/config/config-path.ts';
import type { PathIssue } from '../../ipbx/config/path-issue.ts';
import { LabFileSchema, type LabFile } from './lab-schema.ts';

let compiled: ValidateFunction<LabFile> | undefined;

function validator(): ValidateFunction<LabFile> {
  compiled ??= new Ajv({ useDefaults: true, allErrors: true, strict: true, verbose: true }).compile<LabFile>(LabFileSchema);
  return compiled;
}

/** Mutates `data` (fills defaults). Returns the issues, empty when valid. */
export function validateLabSchema(data: unknown): PathIssue[] {
  const validate = validator();
  if (validate(data)) return [];
  return dedupe((validate.errors ?? []).filter((e) => !isUnionNoise(e, validate.errors ?? [])).map(toIssue));
}

/** A union (`ip: dhcp | 10.1.1.10/24`) reports each branch; keep one message for the field. */
function isUnionNoise(e: ErrorObject, all: ErrorObject[]): boolean {
  const union = all.find((u) => u.keyword === 'anyOf' && u.instancePath === e.instancePath);
  return union !== undefined && e !== union;
}

function toIssue(e: ErrorObject): PathIssue {
  const path = pointerToPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const missing = String(params['missingProperty']);
      return { path: [...path, missing], at: path, message: 'is required' };
    }
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return { path: [...path, String(params['additionalProperty'])], pointAt: 'key', message: `unknown field (allowed: ${known.join(', ')})` };
    }
    case 'anyOf': {
      const branches = ((e.parentSchema as { anyOf?: Array<{ const?: unknown; pattern?: string }> } | undefined)?.anyOf ?? []);
      const allowed = branches.map((b) => (b.const !== undefined ? JSON.stringify(b.const) : b.pattern !== undefined ? `a value matching ${b.pattern}` : 'another form'));
      return { path, message: `${JSON.stringify(e.data)} must be one of ${allowed.join(', ')}` };
    }
    case 'minProperties':
    case 'maxProperties':
      return { path, message: `give exactly one of ${Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).join(', ')}` };
    case 'type':
      if (params['type'] === 'string' && typeof e.data === 'number') return { path, message: `must be a string: write "${e.data}" in quotes (a bare ${e.data} is a number in YAML)` };
      return { path, message: e.message ?? 'has the wrong type' };
    case 'pattern':
      return { path, message: `${JSON.stringify(e.data)} does not have the expected form (${(e.parentSchema as { description?: string } | undefined)?.description ?? `pattern ${String(params['pattern'])}`})` };
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

function dedupe(issues: PathIssue[]): PathIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path.join('.')}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
