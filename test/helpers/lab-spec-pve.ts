// Checks requests to and answers of the fake Proxmox against the published PVE 9 API schema
// (lab-specs/pve-apidata-lab.json). That schema is PVE's Perl dialect, not JSON Schema: this file
// normalises it (properties are required unless `optional: 1`, 0/1 for booleans, property-string
// `format` objects are strings, indexed options like `net[n]` become patterns, Perl regexes dropped).

import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

interface PveSchema {
  type?: string;
  optional?: number;
  properties?: Record<string, PveSchema>;
  additionalProperties?: number | boolean | PveSchema;
  items?: PveSchema;
  enum?: unknown[];
  minimum?: number | string;
  maximum?: number | string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: unknown;
}

interface PveMethod {
  parameters?: PveSchema;
  returns?: PveSchema;
}

type JsonSchema = Record<string, unknown>;

const BOOLEAN: JsonSchema = { anyOf: [{ type: 'boolean' }, { type: 'integer', enum: [0, 1] }] };

export function normalisePveSchema(s: PveSchema): JsonSchema {
  if (s.type === 'boolean') return BOOLEAN;
  const out: JsonSchema = {};
  if (s.type !== undefined && s.type !== 'any') out['type'] = s.type;
  if (s.enum !== undefined) out['enum'] = s.enum;
  for (const key of ['minimum', 'maximum', 'minLength', 'maxLength'] as const) {
    if (s[key] !== undefined) out[key] = Number(s[key]);
  }
  if (typeof s.pattern === 'string' && !s.pattern.includes('(?^')) out['pattern'] = s.pattern;
  if (s.items !== undefined) out['items'] = normalisePveSchema(s.items);
  if (s.properties !== undefined) {
    const properties: Record<string, JsonSchema> = {};
    const patternProperties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [name, prop] of Object.entries(s.properties)) {
      const indexed = /^(.+)\[n\]$/.exec(name);
      if (indexed?.[1] !== undefined) patternProperties[`^${indexed[1]}\\d+$`] = normalisePveSchema(prop);
      else {
        properties[name] = normalisePveSchema(prop);
        if (prop.optional !== 1) required.push(name);
      }
    }
    out['properties'] = properties;
    if (Object.keys(patternProperties).length > 0) out['patternProperties'] = patternProperties;
    if (required.length > 0) out['required'] = required;
  }
  if (s.additionalProperties === 0 || s.additionalProperties === false) out['additionalProperties'] = false;
  else if (typeof s.additionalProperties === 'object') out['additionalProperties'] = normalisePveSchema(s.additionalProperties);
  return out;
}

interface CompiledMethod {
  template: string;
  method: string;
  pattern: RegExp;
  names: string[];
  params: ValidateFunction;
  returns: ValidateFunction;
}

const ERROR_BODY = { type: 'object', properties: { data: { type: 'null' }, message: { type: 'string' }, errors: { type: 'object' } }, required: ['data'] };

export class PveSpec {
  private readonly methods: CompiledMethod[] = [];
  private readonly errorBody: ValidateFunction;

  constructor(file = new URL('./lab-specs/pve-apidata-lab.json', import.meta.url)) {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { methods: Array<{ path: string; info: Record<string, PveMethod> }> };
    // Coercion mirrors Proxmox, which reads every parameter from strings (form or query) the same way.
    const requests = new Ajv({ strict: false, allErrors: true, coerceTypes: true });
    const answers = new Ajv({ strict: false, allErrors: true });
    this.errorBody = answers.compile(ERROR_BODY);
    for (const { path, info } of data.methods) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
      const pattern = new RegExp(`^${path.replace(/\{\w+\}/g, '([^/]+)')}$`);
      for (const [method, spec] of Object.entries(info)) {
        const returns = spec.returns ?? {};
        const returnsSchema = returns.optional === 1 ? { anyOf: [normalisePveSchema(returns), { type: 'null' }] } : normalisePveSchema(returns);
        this.methods.push({
          template: path, method, pattern, names,
          params: requests.compile(normalisePveSchema(spec.parameters ?? { properties: {} })),
          returns: answers.compile({ type: 'object', properties: { data: returnsSchema }, required: ['data'] }),
        });
      }
    }
    // Literal paths before templated ones (/status/current is not /status/{x}).
    this.methods.sort((a, b) => a.names.length - b.names.length);
  }

  find(method: string, path: string): { spec: CompiledMethod; pathParams: Record<string, string> } | undefined {
    for (const spec of this.methods) {
      if (spec.method !== method) continue;
      const m = spec.pattern.exec(path);
      if (m === null) continue;
      const pathParams: Record<string, string> = {};
      spec.names.forEach((name, i) => { pathParams[name] = decodeURIComponent(m[i + 1] ?? ''); });
      return { spec, pathParams };
    }
    return undefined;
  }

  /** Problems with a request: path, query and body merged, as Proxmox merges them. */
  checkRequest(method: string, path: string, query: Record<string, string>, body: unknown): string[] {
    const found = this.find(method, path);
    if (found === undefined) return [`${method} ${path} is not a method of the PVE API schema`];
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) return [`${method} ${path}: the body must be a JSON object`];
    const merged = { ...query, ...(body as Record<string, unknown> | undefined), ...found.pathParams };
    if (found.spec.params(merged)) return [];
    return (found.spec.params.errors ?? []).map((e) => `${method} ${found.spec.template} parameter ${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }

  checkResponse(method: string, path: string, status: number, body: unknown): string[] {
    const found = this.find(method, path);
    if (found === undefined) return [`${method} ${path} is not a method of the PVE API schema`];
    const validate = status >= 200 && status < 300 ? found.spec.returns : this.errorBody;
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${method} ${found.spec.template} answer ${status} ${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }
}
