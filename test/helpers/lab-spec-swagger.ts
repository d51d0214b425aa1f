// Checks requests to and answers of the fake XiVO against the published Swagger 2.0 files of confd
// and xivo-auth (lab-specs/*.json): the operation must exist, path and query parameters must be
// declared and typed right, the body must match the `in: body` schema, and the answer's status must
// be documented with a body matching its schema.

import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

interface SwaggerParameter {
  $ref?: string;
  name: string;
  in: 'path' | 'query' | 'body' | 'header' | 'formData';
  required?: boolean;
  type?: string;
  enum?: unknown[];
  schema?: unknown;
}

interface SwaggerOperation {
  parameters?: SwaggerParameter[];
  responses: Record<string, { $ref?: string; schema?: unknown }>;
}

interface SwaggerFile {
  basePath?: string;
  paths: Record<string, Record<string, SwaggerOperation>>;
  parameters?: Record<string, SwaggerParameter>;
  responses?: Record<string, { schema?: unknown }>;
}

interface Route {
  template: string;
  pattern: RegExp;
  names: string[];
  operations: Record<string, SwaggerOperation>;
}

/** Statuses an auth layer adds in front of every operation, which the files do not list. */
const UNDOCUMENTED_OK = new Set([401]);

export class SwaggerSpec {
  readonly basePath: string;
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly scalars = new Ajv({ strict: false, coerceTypes: true });
  private readonly routes: Route[];
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly file: SwaggerFile;

  constructor(readonly name: string, fileName: string) {
    this.file = JSON.parse(readFileSync(new URL(`./lab-specs/${fileName}`, import.meta.url), 'utf8')) as SwaggerFile;
    this.basePath = this.file.basePath ?? '';
    this.ajv.addSchema(this.file, name);
    this.routes = Object.entries(this.file.paths).map(([template, operations]) => ({
      template, operations,
      names: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''),
      pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '([^/]+)')}$`),
    })).sort((a, b) => a.names.length - b.names.length);
  }

  private find(method: string, path: string): { route: Route; op: SwaggerOperation; pathParams: Record<string, string> } | undefined {
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      const op = route.operations[method.toLowerCase()];
      if (m === null || op === undefined) continue;
      const pathParams: Record<string, string> = {};
      route.names.forEach((n, i) => { pathParams[n] = decodeURIComponent(m[i + 1] ?? ''); });
      return { route, op, pathParams };
    }
    return undefined;
  }

  private resolveParameter(p: SwaggerParameter): SwaggerParameter {
    if (p.$ref === undefined) return p;
    const name = p.$ref.replace('#/parameters/', '');
    const resolved = this.file.parameters?.[name];
    if (resolved === undefined) throw new Error(`${this.name}: unresolved ${p.$ref}`);
    return resolved;
  }

  /** Inline schemas refer to `#/definitions/…` of the file: point those refs at the added document. */
  private compile(schema: unknown): ValidateFunction {
    const key = JSON.stringify(schema);
    let fn = this.cache.get(key);
    if (fn === undefined) {
      fn = this.ajv.compile(JSON.parse(key.replaceAll('"$ref":"#/', `"$ref":"${this.name}#/`)) as object);
      this.cache.set(key, fn);
    }
    return fn;
  }

  checkRequest(method: string, path: string, query: Record<string, string>, headers: Record<string, string | string[] | undefined>, body: unknown): string[] {
    const where = `${this.name} ${method} ${path}`;
    const found = this.find(method, path);
    if (found === undefined) return [`${where}: no such operation in ${this.name}`];
    const problems: string[] = [];
    const params = (found.op.parameters ?? []).map((p) => this.resolveParameter(p));
    for (const p of params) {
      const value = p.in === 'path' ? found.pathParams[p.name] : p.in === 'query' ? query[p.name] : p.in === 'header' ? headers[p.name.toLowerCase()] : undefined;
      if (p.in === 'body') {
        if (body === undefined) {
          if (p.required === true) problems.push(`${where}: the body is required`);
        } else if (p.schema !== undefined) {
          const validate = this.compile(p.schema);
          if (!validate(body)) problems.push(...(validate.errors ?? []).map((e) => `${where}: body${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
        }
        continue;
      }
      if (value === undefined) {
        if (p.required === true) problems.push(`${where}: ${p.in} parameter ${p.name} is required`);
        continue;
      }
      if (p.type !== undefined && p.in !== 'header') {
        const check = this.scalars.compile({ type: p.type === 'file' ? 'string' : p.type, ...(p.enum === undefined ? {} : { enum: p.enum }) });
        const holder = { v: value };
        const validate = this.scalars.compile({ type: 'object', properties: { v: (check.schema as object) } });
        if (!validate(holder)) problems.push(`${where}: ${p.in} parameter ${p.name}=${JSON.stringify(value)} is not a ${p.type}${p.enum === undefined ? '' : ` in ${JSON.stringify(p.enum)}`}`);
      }
    }
    for (const name of Object.keys(query)) {
      if (!params.some((p) => p.in === 'query' && p.name === name)) problems.push(`${where}: query parameter ${name} is not declared`);
    }
    if (body !== undefined && !params.some((p) => p.in === 'body')) problems.push(`${where}: this operation takes no body`);
    return problems;
  }

  checkResponse(method: string, path: string, status: number, body: unknown): string[] {
    const where = `${this.name} ${method} ${path} → ${status}`;
    const found = this.find(method, path);
    if (found === undefined) return [`${where}: no such operation`];
    let response = found.op.responses[String(status)];
    if (response?.$ref !== undefined) response = this.file.responses?.[response.$ref.replace('#/responses/', '')];
    if (response === undefined) return UNDOCUMENTED_OK.has(status) ? [] : [`${where}: status ${status} is not documented for this operation`];
    if (response.schema === undefined) return body === undefined ? [] : [`${where}: documented without a body, but one was sent`];
    const validate = this.compile(response.schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${where}: body${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }
}
