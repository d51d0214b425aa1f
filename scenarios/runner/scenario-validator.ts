// ajv for scenario files: defaults filled in place, every error turned into one readable issue.
// Steps are one-key maps whose union would make ajv report every step kind's failure; so a step is
// judged by its key alone (`- answer: …` against the answer schema), and a `phone or { phone: … }`
// union by the form the author wrote.

import type { TSchema } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { ConfigPath } from '../../ipbx/config/config-path.ts';
import type { PathIssue } from '../../ipbx/config/path-issue.ts';
import { schemaCheck, type SchemaCheck } from '../../ipbx/config/schema-validator.ts';
import { STEP_KINDS, STEP_SCHEMAS, ScenarioSchema, type StepKind } from './scenario-schema.ts';

/** The file without its steps: they are checked one by one below (ajv refuses defaults inside the steps' union anyway). */
const checkScenario = schemaCheck({ ...ScenarioSchema, properties: { ...ScenarioSchema.properties, steps: Type.Array(Type.Unknown(), { minItems: 1 }) } });
const branchChecks = new Map<TSchema, SchemaCheck>();

function checkOf(schema: TSchema): SchemaCheck {
  let check = branchChecks.get(schema);
  if (check === undefined) {
    check = schemaCheck(schema);
    branchChecks.set(schema, check);
  }
  return check;
}

/** Mutates `data` (fills defaults). Returns the issues, empty when valid. */
export function validateScenarioSchema(data: unknown): PathIssue[] {
  const steps = isRecord(data) && Array.isArray(data['steps']) ? (data['steps'] as unknown[]) : [];
  // Each step is checked on its own first, so its defaults are in place and its issues precise.
  const stepIssues = steps.flatMap((value, index) => validateStep(value, ['steps', index]));
  const otherIssues = checkScenario(data).filter((i) => !(i.path[0] === 'steps' && typeof i.path[1] === 'number'));
  return [...otherIssues, ...stepIssues];
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
  return checkOf(branch)(value[key]).map((i) => ({ ...i, path: [...path, ...i.path], ...(i.at === undefined ? {} : { at: [...path, ...i.at] }) }));
}

/** The branch of a `name | { … }` union matching what was written; the schema itself otherwise. */
function chooseBranch(schema: TSchema, value: unknown): TSchema | undefined {
  const branches = (schema as { anyOf?: TSchema[] }).anyOf;
  if (branches === undefined) return schema;
  const written = typeof value === 'string' ? 'string' : isRecord(value) ? 'object' : typeof value;
  return branches.find((b) => (b as { type?: string }).type === written);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
