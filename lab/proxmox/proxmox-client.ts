// The Proxmox VE API over HTTPS: authentication (API token or ticket), the `{"data": …}` envelope,
// and HTTP failures turned into LabErrors that say what to do. Calls are JSON; booleans travel as
// 0/1 like Proxmox's own. Higher-level operations (VMs, tasks, guest agent) build on get/post/….

import { sendHttp, type HttpAnswer, type HttpEndpoint, type QueryValue } from '../http/http-request.ts';
import { insecureWarning, type TlsTrust } from '../http/tls-trust.ts';
import { LabError } from '../lab-error.ts';
import { authHeaders, checkCredentials, type ProxmoxCredentials, type Ticket } from './proxmox-auth.ts';
import { parsePermissionFailure, privilegesFor } from './proxmox-permissions.ts';

export interface ProxmoxClientOptions {
  /** `https://pve.example:8006` (the `/api2/json` base path is added). */
  url: string;
  credentials: ProxmoxCredentials;
  trust: TlsTrust;
  /** Per HTTP call; default 30 s. Task waits have their own limits. */
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

export type ProxmoxParams = Record<string, string | number | boolean | string[] | undefined>;

export class ProxmoxClient {
  readonly url: string;
  private readonly endpoint: HttpEndpoint;
  private readonly credentials: ProxmoxCredentials;
  private ticket: Ticket | undefined;

  constructor(options: ProxmoxClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new LabError('LAB_BAD_OPTION', `proxmox.url ${JSON.stringify(options.url)} is not a URL (e.g. https://pve.example:8006)`);
    }
    if (parsed.protocol !== 'https:') throw new LabError('LAB_BAD_OPTION', `proxmox.url must be https:// (Proxmox serves its API over TLS on port 8006), not ${parsed.protocol}`);
    checkCredentials(options.credentials);
    this.url = parsed.origin;
    this.credentials = options.credentials;
    this.endpoint = { baseUrl: `${parsed.origin}/api2/json`, trust: options.trust, timeoutMs: options.requestTimeoutMs ?? 30_000 };
    if (options.trust.kind === 'insecure') (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(insecureWarning(parsed.origin));
  }

  get<T>(path: string, query: Record<string, QueryValue> = {}): Promise<T> {
    return this.call<T>('GET', path, query, undefined);
  }

  post<T>(path: string, params: ProxmoxParams = {}): Promise<T> {
    return this.call<T>('POST', path, {}, params);
  }

  put<T>(path: string, params: ProxmoxParams = {}): Promise<T> {
    return this.call<T>('PUT', path, {}, params);
  }

  delete<T>(path: string, query: Record<string, QueryValue> = {}): Promise<T> {
    return this.call<T>('DELETE', path, query, undefined);
  }

  private async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, query: Record<string, QueryValue>, params: ProxmoxParams | undefined): Promise<T> {
    if (this.credentials.kind === 'ticket' && this.ticket === undefined) await this.login();
    const json = params === undefined ? undefined : encodeParams(params);
    let answer = await sendHttp(this.endpoint, { method, path, query, json, headers: authHeaders(this.credentials, this.ticket, method) });
    if (answer.status === 401 && this.credentials.kind === 'ticket') {
      // Tickets expire after two hours: log in again once.
      await this.login();
      answer = await sendHttp(this.endpoint, { method, path, query, json, headers: authHeaders(this.credentials, this.ticket, method) });
    }
    if (answer.status < 200 || answer.status > 299) throw proxmoxHttpError(method, path, answer, this.credentials);
    const body = answer.body as { data?: unknown } | undefined;
    if (typeof body !== 'object' || body === null || !('data' in body)) {
      throw new LabError('LAB_BAD_RESPONSE', `${method} ${path}: Proxmox answered ${answer.status} without the {"data": …} envelope; is ${this.url} a Proxmox VE API?`);
    }
    return body.data as T;
  }

  private async login(): Promise<void> {
    if (this.credentials.kind !== 'ticket') return;
    const answer = await sendHttp(this.endpoint, { method: 'POST', path: '/access/ticket', json: { username: this.credentials.username, password: this.credentials.password } });
    const data = (answer.body as { data?: { ticket?: unknown; CSRFPreventionToken?: unknown } } | undefined)?.data;
    if (answer.status !== 200 || typeof data?.ticket !== 'string' || typeof data.CSRFPreventionToken !== 'string') {
      throw new LabError('LAB_PROXMOX_AUTH_FAILED', `Proxmox refused the login of ${this.credentials.username} (HTTP ${answer.status}); check the user, realm and password (two-factor users cannot log in here: use an API token)`);
    }
    this.ticket = { ticket: data.ticket, csrfToken: data.CSRFPreventionToken };
  }
}

function encodeParams(params: ProxmoxParams): Record<string, string | number | string[]> {
  const out: Record<string, string | number | string[]> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }
  return out;
}

/** Proxmox puts its reason in the status line, newer versions also in `message`, and parameter errors in `errors`. */
export function proxmoxMessage(answer: HttpAnswer): string {
  const body = answer.body as { message?: unknown; errors?: unknown } | undefined;
  const parts: string[] = [];
  if (typeof body?.message === 'string' && body.message.trim() !== '') parts.push(body.message.trim());
  else if (answer.statusMessage !== '') parts.push(answer.statusMessage);
  if (typeof body?.errors === 'object' && body.errors !== null) {
    for (const [field, text] of Object.entries(body.errors)) parts.push(`${field}: ${String(text).trim()}`);
  }
  return parts.join('; ');
}

function proxmoxHttpError(method: string, path: string, answer: HttpAnswer, credentials: ProxmoxCredentials): LabError {
  const message = proxmoxMessage(answer);
  const who = credentials.kind === 'token' ? `the API token ${credentials.tokenId}` : `the user ${credentials.username}`;
  const call = `${method} ${path}`;
  if (answer.status === 401) {
    return new LabError('LAB_PROXMOX_AUTH_FAILED', `${call}: Proxmox refused ${who} (401 ${message}); check the token id and secret environment variables, and that the token exists and has not expired (pveum user token list)`, { statusCode: 401 });
  }
  if (answer.status === 403) {
    const failed = parsePermissionFailure(message);
    const hint = failed !== undefined
      ? `${who} lacks ${failed.privilege} on ${failed.path}; grant a role with it, e.g. pveum acl modify ${failed.path} --tokens '${credentials.kind === 'token' ? credentials.tokenId : credentials.username}' --roles <role>`
      : `${who} lacks a privilege for this call${privilegesFor(method, path) !== undefined ? `; it needs ${privilegesFor(method, path)}` : ''}`;
    return new LabError('LAB_PROXMOX_PERMISSION', `${call}: permission denied (${message}): ${hint}. With privilege separation, the token's rights are also limited to its user's.`, { statusCode: 403 });
  }
  const classified = classifyProxmoxFailure(message);
  if (classified !== undefined) return new LabError(classified.code, `${call}: ${message}: ${classified.hint}`, { statusCode: answer.status });
  return new LabError('LAB_PROXMOX_API', `${call}: Proxmox answered ${answer.status}: ${message || '(no message)'}`, { statusCode: answer.status });
}

/** Failures worth their own code, recognised from Proxmox's text in HTTP errors and task exit statuses. */
export function classifyProxmoxFailure(text: string): { code: 'LAB_STORAGE_FULL' | 'LAB_GUEST_AGENT_DOWN'; hint: string } | undefined {
  if (/no space left|not enough (free )?space|out of space|insufficient space/i.test(text)) {
    return { code: 'LAB_STORAGE_FULL', hint: 'the storage is full: free space (remove unused clones or old snapshots), pick another proxmox.storage, or use linked clones (source.template.clone: linked)' };
  }
  if (/guest agent is not running|QEMU guest agent/i.test(text)) {
    return { code: 'LAB_GUEST_AGENT_DOWN', hint: 'the QEMU guest agent is not answering: install and enable qemu-guest-agent in the template, and keep the VM option agent=1' };
  }
  return undefined;
}
