// Validates config data against ConfigSchema with ajv (defaults applied in place) and turns ajv's
// errors into one readable issue per problem. Unions (`anyOf`) make ajv report every branch's
// failure; we keep the branch the data meant (its `type` matched) or say which values are allowed.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ConfigSchema, type VoiplabConfig } from './config-schema.ts';
import { pointerToPath } from './config-path.ts';
import type { PathIssue } from './path-issue.ts';

let compiled: ValidateFunction<VoiplabConfig> | undefined;

function validator(): ValidateFunction<VoiplabConfig> {
  // strict: a schema mistake (unknown keyword, ignored default) fails loudly here, not silently in use.
  compiled ??= new Ajv({ useDefaults: true, allErrors: true, strict: true, verbose: true }).compile<VoiplabConfig>(ConfigSchema);
  return compiled;
}

/** Mutates `data` (fills defaults). Returns the issues, empty when valid. */
export function validateSchema(data: unknown): PathIssue[] {
  const validate = validator();
  if (validate(data)) return [];
  return simplify(validate.errors ?? []).map(toIssue);
}

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
    return [{ ...union, message: consts.length > 0 ? `must be one of ${allowed(consts)}` : 'has the wrong type' }];
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
    return [tag !== undefined ? { ...tag, message: `must be one of ${allowed(tagErrors)}` } : { ...union, message: 'does not match any allowed form' }];
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
    case 'pattern':
      return { path, message: `${JSON.stringify(e.data)} must match the pattern ${String(params['pattern'])}` };
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}
