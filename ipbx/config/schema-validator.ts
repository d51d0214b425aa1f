// Validates hand-written YAML data (the config, lab and scenario files) against its schema with
// ajv (defaults applied in place) and turns ajv's errors into one readable issue per problem.
// Unions (`anyOf`) make ajv report every branch's failure; we keep the branch the data meant (its
// `type` matched) or say which values are allowed.

import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ConfigSchema } from './config-schema.ts';
import { pointerToPath } from './config-path.ts';
import type { PathIssue } from './path-issue.ts';

/** Mutates its argument (fills defaults); returns the issues, empty when valid. */
export type SchemaCheck = (data: unknown) => PathIssue[];

/** A check for `schema`, compiled on first use. */
export function schemaCheck(schema: TSchema): SchemaCheck {
  let compiled: ValidateFunction | undefined;
  return (data) => {
    // strict: a schema mistake (unknown keyword, ignored default) fails loudly here, not silently in use.
    compiled ??= new Ajv({ useDefaults: true, allErrors: true, strict: true, verbose: true }).compile(schema);
    if (compiled(data)) return [];
    return dedupe(simplify(compiled.errors ?? []).map(toIssue));
  };
}

/** The config file's check (voiplab.yaml). */
export const validateSchema: SchemaCheck = schemaCheck(ConfigSchema);

/** Errors about a scalar's own value: a union made only of these is a choice among values or forms. */
const SCALAR_KEYWORDS = new Set(['const', 'type', 'pattern', 'format', 'minLength', 'maxLength', 'minimum', 'maximum', 'enum']);

function simplify(errors: ErrorObject[]): ErrorObject[] {
  let list = [...errors];
  // Innermost unions first, so an outer union sees its branches' already-simplified errors.
  const unions = list.filter((e) => e.keyword === 'anyOf').sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const union of unions) {
    // The same schema applies to every array item: children are matched by schema and instance path.
    const prefix = `${union.schemaPath}/`;
    const at = union.instancePath;
    const children = list.filter((e) => e.schemaPath.startsWith(prefix) && (e.instancePath === at || e.instancePath.startsWith(`${at}/`)));
    list = list.filter((e) => e !== union && !children.includes(e));
    list.push(...resolveUnion(union, children));
  }
  return list;
}

function resolveUnion(union: ErrorObject, children: ErrorObject[]): ErrorObject[] {
  const at = union.instancePath;
  const allowed = (errs: ErrorObject[]): string => errs.map((e) => JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)).join(', ');
  const consts = children.filter((e) => e.keyword === 'const' && e.instancePath === at);
  // A union of literals ('udp' | 'tcp' | …): one message listing them.
  if (children.every((e) => e.instancePath === at && (e.keyword === 'const' || e.keyword === 'type'))) {
    return [{ ...union, message: consts.length > 0 ? `must be one of ${allowed(consts)} (got ${JSON.stringify(union.data)})` : 'has the wrong type' }];
  }
  // Literals and forms (`dhcp` or an address/prefix): one message naming each.
  if (children.every((e) => e.instancePath === at && SCALAR_KEYWORDS.has(e.keyword))) {
    const branchSchemas = (union.parentSchema as { anyOf?: Array<{ const?: unknown; pattern?: string; description?: string }> } | undefined)?.anyOf ?? [];
    const forms = branchSchemas.map((b) => (b.const !== undefined ? JSON.stringify(b.const) : b.description ?? (b.pattern !== undefined ? `a value matching ${b.pattern}` : 'another form')));
    return [{ ...union, message: `${JSON.stringify(union.data)} must be one of ${forms.join(', ')}` }];
  }
  const branches = new Map<string, ErrorObject[]>();
  for (const e of children) {
    const branch = e.schemaPath.slice(union.schemaPath.length + 1).split('/')[0] ?? '';
    branches.set(branch, [...(branches.get(branch) ?? []), e]);
  }
  // A tagged union (dialplan actions): branches whose `type` differs are not what the data meant.
  const tagErrors = children.filter((e) => e.keyword === 'const' && e.instancePath === `${at}/type`);
  const meant = [...branches.values()].filter((errs) => !errs.some((e) => tagErrors.includes(e) || (e.keyword === 'type' && e.instancePath === at)));
  if (meant.length === 0) {
    const [tag] = tagErrors;
    return [tag !== undefined ? { ...tag, message: `must be one of ${allowed(tagErrors)} (got ${JSON.stringify(tag.data)})` } : { ...union, message: 'does not match any allowed form' }];
  }
  return meant.reduce((best, errs) => (errs.length < best.length ? errs : best));
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
      const extra = String(params['additionalProperty']);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return { path: [...path, extra], pointAt: 'key', message: `unknown field${known.length > 0 ? ` (allowed: ${known.join(', ')})` : ''}` };
    }
    case 'type':
      // YAML reads a bare 1001 as a number; extensions and dialled numbers are strings.
      if (params['type'] === 'string' && typeof e.data === 'number') {
        return { path, message: `must be a string: write "${e.data}" in quotes (a bare ${e.data} is a number in YAML)` };
      }
      return { path, message: e.message ?? 'has the wrong type' };
    case 'pattern': {
      const description = (e.parentSchema as { description?: string } | undefined)?.description;
      return { path, message: `${JSON.stringify(e.data)} does not have the expected form: ${description === undefined ? '' : `${description} `}(pattern ${String(params['pattern'])})` };
    }
    case 'minProperties':
    case 'maxProperties':
      // Objects of mutually exclusive options (a CA file, a fingerprint or insecure).
      return { path, message: `give exactly one of ${Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).join(', ')}` };
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

/** One issue per field and message: ajv may report the same problem through several schema paths. */
function dedupe(issues: PathIssue[]): PathIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path.join('.')}|${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
