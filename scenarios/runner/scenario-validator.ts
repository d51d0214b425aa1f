// ajv for scenario files: defaults filled in place, every error turned into one readable issue.
// Steps are one-key maps whose union would make ajv report every step kind's failure; so a step is
// judged by its key alone (`- answer: …` against the answer schema), and a `phone or { phone: … }`
// union by the form the author wrote.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { pointerToPath, type ConfigPath } from '../../ipbx/config/config-path.ts';
import type { PathIssue } from '../../ipbx/config/path-issue.ts';
import { Type } from '@sinclair/typebox';
import { STEP_KINDS, STEP_SCHEMAS, ScenarioSchema, type Scenario, type StepKind } from './scenario-schema.ts';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: true, verbose: true });
let scenarioValidator: ValidateFunction<Scenario> | undefined;
const branchValidators = new Map<TSchema, ValidateFunction>();

function compiled(schema: TSchema): ValidateFunction {
  let validate = branchValidators.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    branchValidators.set(schema, validate);
  }
  return validate;
}

/** Mutates `data` (fills defaults). Returns the issues, empty when valid. */
export function validateScenarioSchema(data: unknown): PathIssue[] {
  // Steps are validated one by one below (ajv refuses defaults inside the steps' union anyway).
  scenarioValidator ??= ajv.compile<Scenario>({ ...ScenarioSchema, properties: { ...ScenarioSchema.properties, steps: Type.Array(Type.Unknown(), { minItems: 1 }) } });
  const steps = isRecord(data) && Array.isArray(data['steps']) ? (data['steps'] as unknown[]) : [];
  // Each step is checked on its own first, so its defaults are in place and its issues precise.
  const stepIssues = steps.flatMap((value, index) => validateStep(value, ['steps', index]));
  const valid = scenarioValidator(data);
  const otherIssues = valid ? [] : toIssues(scenarioValidator.errors ?? []).filter((i) => !(i.path[0] === 'steps' && typeof i.path[1] === 'number'));
  return dedupe([...otherIssues, ...stepIssues]);
}

function validateStep(value: unknown, at: ConfigPath): PathIssue[] {
  const kinds = STEP_KINDS.join(', ');
  if (!isRecord(value)) return [{ path: at, message: `a step is a one-key map, one of: ${kinds}` }];
  const keys = Object.keys(value);
  const [key] = keys;
  if (keys.length !== 1 || key === undefined) return [{ path: at, message: `a step has exactly one key (found ${keys.length === 0 ? 'none' : keys.join(', ')}), one of: ${kinds}` }];
  if (!(STEP_KINDS as string[]).includes(key)) return [{ path: [...at, key], pointAt: 'key', message: `unknown step (allowed: ${kinds})` }];
  const schema: TSchema = STEP_SCHEMAS[key as StepKind];
  const path = [...at, key];
  const branch = chooseBranch(schema, value[key]);
  if (branch === undefined) return [{ path, message: 'must be a phone name or a map with phone: and the options of this step' }];
  const validate = compiled(branch);
  if (validate(value[key])) return [];
  return toIssues(validate.errors ?? []).map((i) => ({ ...i, path: [...path, ...i.path], ...(i.at === undefined ? {} : { at: [...path, ...i.at] }) }));
}

/** The branch of a `name | { … }` union matching what was written; the schema itself otherwise. */
function chooseBranch(schema: TSchema, value: unknown): TSchema | undefined {
  const branches = (schema as { anyOf?: TSchema[] }).anyOf;
  if (branches === undefined) return schema;
  const written = typeof value === 'string' ? 'string' : isRecord(value) ? 'object' : typeof value;
  return branches.find((b) => (b as { type?: string }).type === written);
}

function toIssues(errors: ErrorObject[]): PathIssue[] {
  // A union of literals (`kind: phone | baresip | browser`) reports every branch: keep one message.
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const inUnion = (e: ErrorObject): boolean => unions.some((u) => e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`) && e.instancePath === u.instancePath);
  return errors.filter((e) => !inUnion(e)).map(toIssue);
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
      return { path: [...path, String(params['additionalProperty'])], pointAt: 'key', message: known.length > 0 ? `unknown field (allowed: ${known.join(', ')})` : 'is not a valid name' };
    }
    case 'anyOf': {
      const branches = (e.parentSchema as { anyOf?: Array<{ const?: unknown }> } | undefined)?.anyOf ?? [];
      return { path, message: `must be one of ${branches.map((b) => JSON.stringify(b.const)).join(', ')} (got ${JSON.stringify(e.data)})` };
    }
    case 'type':
      // YAML reads a bare 1001 as a number; extensions and dialled numbers are strings.
      if (params['type'] === 'string' && typeof e.data === 'number') return { path, message: `must be a string: write "${e.data}" in quotes (a bare ${e.data} is a number in YAML)` };
      return { path, message: e.message ?? 'has the wrong type' };
    case 'pattern': {
      const description = (e.parentSchema as { description?: string } | undefined)?.description;
      return { path, message: `${JSON.stringify(e.data)} is not ${description ?? `of the form ${String(params['pattern'])}`}` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify(params['allowedValue'])}` };
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
