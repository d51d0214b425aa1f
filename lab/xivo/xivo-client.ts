// XiVO's REST services on one machine: xivo-auth (port 9497, /0.1) hands out a token for the admin
// (HTTP Basic), confd (port 9486, /1.1) takes it in X-Auth-Token. Errors come back as a JSON list of
// messages; they are quoted in LabErrors. The token is fetched on first use and once more on a 401.

import { sendHttp, type HttpAnswer, type HttpCall, type HttpEndpoint, type QueryValue } from '../http/http-request.ts';
import { insecureWarning, type TlsTrust } from '../http/tls-trust.ts';
import { LabError } from '../lab-error.ts';
import type { XivoFlavour } from './xivo-flavour.ts';

export interface XivoClientOptions {
  /** Address of the XiVO (IP or name), as the lab reaches it. */
  host: string;
  confdPort?: number;
  authPort?: number;
  trust: TlsTrust;
  flavour: XivoFlavour;
  /** Web administrator; `root` after the wizard. */
  username?: string;
  password: string;
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

const TOKEN_SECONDS = 3600;

export class XivoClient {
  readonly host: string;
  readonly flavour: XivoFlavour;
  private readonly confd: HttpEndpoint;
  private readonly auth: HttpEndpoint;
  private readonly username: string;
  private readonly password: string;
  private token: string | undefined;
  /** The token's tenant (Wazo 26 scopes confd calls by it). */
  private tenant: string | undefined;

  constructor(options: XivoClientOptions) {
    if (options.host === '' || /[/\s]/.test(options.host)) throw new LabError('LAB_BAD_OPTION', `XiVO host ${JSON.stringify(options.host)} must be an address or a host name`);
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.host = options.host;
    this.flavour = options.flavour;
    this.confd = { baseUrl: `https://${host}:${options.confdPort ?? 9486}/1.1`, trust: options.trust, timeoutMs };
    this.auth = { baseUrl: `https://${host}:${options.authPort ?? 9497}/0.1`, trust: options.trust, timeoutMs };
    this.username = options.username ?? 'root';
    this.password = options.password;
    if (options.trust.kind === 'insecure') (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(insecureWarning(`https://${host}`));
  }

  /** The confd base URL, for messages and reports. */
  get confdUrl(): string {
    return this.confd.baseUrl;
  }

  /** confd calls that need no token (the wizard, before the XiVO is configured). */
  async anonymous<T>(method: HttpCall['method'], path: string, json?: unknown): Promise<T> {
    const answer = await this.send(this.confd, { method, path, json });
    if (answer.status < 200 || answer.status > 299) throw xivoHttpError(`${method} ${path}`, answer, this.flavour);
    return answer.body as T;
  }

  async get<T>(path: string, query: Record<string, QueryValue> = {}): Promise<T> {
    return this.call<T>({ method: 'GET', path, query });
  }

  async post<T>(path: string, json: unknown): Promise<T> {
    return this.call<T>({ method: 'POST', path, json });
  }

  async put(path: string, json?: unknown): Promise<void> {
    await this.call({ method: 'PUT', path, json });
  }

  async delete(path: string): Promise<void> {
    await this.call({ method: 'DELETE', path });
  }

  private async call<T>(call: HttpCall): Promise<T> {
    this.token ??= await this.createToken();
    let answer = await this.send(this.confd, { ...call, headers: this.confdHeaders(this.token) });
    if (answer.status === 401) {
      this.token = await this.createToken();
      answer = await this.send(this.confd, { ...call, headers: this.confdHeaders(this.token) });
    }
    if (answer.status === 401) {
      throw new LabError('LAB_XIVO_AUTH_FAILED', `${call.method} ${call.path}: confd refused a fresh token of ${this.username}; check the ACLs of that account (it needs confd.#)`, { statusCode: 401 });
    }
    if (answer.status < 200 || answer.status > 299) throw xivoHttpError(`${call.method} ${call.path}`, answer, this.flavour);
    return answer.body as T;
  }

  private confdHeaders(token: string): Record<string, string> {
    return { 'x-auth-token': token, ...(this.flavour.tenantHeader && this.tenant !== undefined ? { 'wazo-tenant': this.tenant } : {}) };
  }

  private async createToken(): Promise<string> {
    const basic = Buffer.from(`${this.username}:${this.password}`).toString('base64');
    const answer = await this.send(this.auth, { method: 'POST', path: '/token', json: this.flavour.tokenBody(TOKEN_SECONDS), headers: { authorization: `Basic ${basic}` } });
    if (answer.status === 401) {
      throw new LabError('LAB_XIVO_AUTH_FAILED', `xivo-auth on ${this.host} refused ${this.username}: the admin password in the environment variable is not this XiVO's (was the wizard run by hand with another one?)`, { statusCode: 401 });
    }
    const data = (answer.body as { data?: { token?: unknown; metadata?: { tenant_uuid?: unknown } } } | undefined)?.data;
    const token = data?.token;
    if (answer.status !== 200 || typeof token !== 'string') throw xivoHttpError('POST /0.1/token', answer, this.flavour);
    const tenant = data?.metadata?.tenant_uuid;
    if (typeof tenant === 'string') this.tenant = tenant;
    return token;
  }

  private async send(endpoint: HttpEndpoint, call: HttpCall): Promise<HttpAnswer> {
    try {
      return await sendHttp(endpoint, call);
    } catch (err) {
      if (err instanceof LabError && err.code === 'LAB_UNREACHABLE') {
        throw new LabError('LAB_XIVO_UNREACHABLE', `${this.flavour.product} at ${this.host} is not answering (${err.message}); is the VM up and XiVO's services started (xivo-service status)?`, { cause: err });
      }
      throw err;
    }
  }
}

/** confd and xivo-auth errors are a JSON list of strings (xivo-auth 16.15: `{reason: [...]}`). */
export function xivoMessages(answer: HttpAnswer): string {
  const body = answer.body;
  if (Array.isArray(body)) return body.map(String).join('; ');
  const reason = (body as { reason?: unknown } | undefined)?.reason;
  if (Array.isArray(reason)) return reason.map(String).join('; ');
  return answer.text.trim().slice(0, 300) || answer.statusMessage;
}

function xivoHttpError(call: string, answer: HttpAnswer, flavour: XivoFlavour): LabError {
  return new LabError('LAB_XIVO_API', `${call}: ${flavour.product} answered ${answer.status}: ${xivoMessages(answer) || '(no message)'}`, { statusCode: answer.status });
}
