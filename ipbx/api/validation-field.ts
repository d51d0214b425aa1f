// Turns ajv's errors into the one field a client must fix. ajv reports every branch of a union
// (`anyOf`, e.g. the dialplan actions keyed by `type`); the branch whose `type` matched is the one
// the client meant, so its error is reported, not the anyOf summary.

import type { FastifySchemaValidationError } from 'fastify';

export interface FieldProblem {
  /** Dotted path with [index] for arrays: `password`, `rules[0].action.code`; the part name when the whole part is wrong. */
  field: string;
  message: string;
}

type AjvError = FastifySchemaValidationError;

const PART_NAMES: Readonly<Record<string, string>> = { querystring: 'query', params: 'params', body: 'body', headers: 'headers' };

export function describeValidation(errors: readonly AjvError[], part: string): FieldProblem {
  const partName = PART_NAMES[part] ?? part;
  const { pointer, message } = explain(errors);
  const field = pointerToField(pointer);
  return { field: field === '' ? partName : field, message: `${field === '' ? partName : field} ${message}` };
}

function explain(errors: readonly AjvError[]): { pointer: string; message: string } {
  const unions = errors.filter(isUnion);
  const top = errors.find((e) => !unions.some((u) => isInside(e, u)));
  if (top === undefined) return { pointer: '', message: 'is invalid' };
  if (!isUnion(top)) return plain(top);

  const branches = new Map<string, AjvError[]>();
  for (const e of errors) {
    if (!isInside(e, top)) continue;
    const index = e.schemaPath.slice(top.schemaPath.length + 1).split('/')[0] ?? '';
    branches.set(index, [...(branches.get(index) ?? []), e]);
  }
  const all = [...branches.values()];
  // A union of literals (transports: 'udp' | 'tcp' | …): list what is allowed.
  if (all.length > 0 && all.every((b) => b.every((e) => e.keyword === 'const' && e.instancePath === top.instancePath))) {
    return { pointer: top.instancePath, message: `must be one of: ${allowedValues(all.flat())}` };
  }
  // A tagged union: a branch whose tag (a direct property checked with const, not inside a nested
  // union such as an announcement's `then`) differs is not the one meant.
  const tagErrors = (b: AjvError[]): AjvError[] => {
    const nested = b.filter(isUnion);
    return b.filter((e) => e.keyword === 'const' && parentPointer(e.instancePath) === top.instancePath && !nested.some((u) => isInside(e, u)));
  };
  const meant = all.find((b) => tagErrors(b).length === 0);
  if (meant !== undefined) return explain(meant);
  const tags = all.flatMap(tagErrors);
  const firstTag = tags[0];
  if (firstTag !== undefined) return { pointer: firstTag.instancePath, message: `must be one of: ${allowedValues(tags)}` };
  return plain(top);
}

function plain(e: AjvError): { pointer: string; message: string } {
  const missing = e.params['missingProperty'];
  if (e.keyword === 'required' && typeof missing === 'string') return { pointer: `${e.instancePath}/${escapePointer(missing)}`, message: 'is required' };
  const extra = e.params['additionalProperty'];
  if (e.keyword === 'additionalProperties' && typeof extra === 'string') return { pointer: `${e.instancePath}/${escapePointer(extra)}`, message: 'is not an allowed field' };
  return { pointer: e.instancePath, message: e.message ?? 'is invalid' };
}

function isUnion(e: AjvError): boolean {
  return e.keyword === 'anyOf' || e.keyword === 'oneOf';
}

/** Whether e was reported while checking a branch of union u (same data, deeper schema). */
function isInside(e: AjvError, u: AjvError): boolean {
  return e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`)
    && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`));
}

function allowedValues(errors: readonly AjvError[]): string {
  return [...new Set(errors.map((e) => String(e.params['allowedValue'])))].join(', ');
}

function parentPointer(pointer: string): string {
  return pointer.slice(0, Math.max(0, pointer.lastIndexOf('/')));
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** `/rules/0/action/code` → `rules[0].action.code` (RFC 6901 escapes undone). */
export function pointerToField(pointer: string): string {
  let field = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    field += /^[0-9]+$/.test(segment) ? `[${segment}]` : field === '' ? segment : `.${segment}`;
  }
  return field;
}
