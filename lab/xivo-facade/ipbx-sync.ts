// Brings a running voiplab IPBX to what the facade's confd state asks (ipbx-mapping.ts) through the
// IPBX's HTTP API: accounts are created, changed and removed one by one; ring groups and the
// dialplan are replaced as a whole, in an order the IPBX's checks accept (rules to accounts first,
// then the groups, then every rule; removed accounts last, when nothing refers to them). Runs are
// serialised, and a confd write answers only once the IPBX holds the result.

import type { IpbxAccountWanted, IpbxWanted } from './ipbx-mapping.ts';

export interface IpbxApi {
  /** `http://127.0.0.1:PORT` of the IPBX's API. */
  baseUrl: string;
  adminToken: string;
}

const REQUEST_MS = 10_000;

export class IpbxSyncError extends Error {}

export class IpbxSync {
  /** What the last run wrote: passwords never come back from the API, so changes are judged against it. */
  private written: IpbxWanted = { accounts: [], groups: [], rules: [] };
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly api: IpbxApi) {}

  apply(wanted: IpbxWanted): Promise<void> {
    const run = this.queue.then(() => this.run(wanted));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(wanted: IpbxWanted): Promise<void> {
    const existing = new Set(((await this.call('GET', '/accounts')) as { items: Array<{ extension: string }> }).items.map((a) => a.extension));
    const before = new Map(this.written.accounts.map((a) => [a.extension, a]));
    for (const account of wanted.accounts) {
      if (!existing.has(account.extension)) await this.call('POST', '/accounts', account);
      else if (!sameAccount(before.get(account.extension), account)) await this.call('PATCH', `/accounts/${encodeURIComponent(account.extension)}`, { password: account.password, displayName: account.displayName });
    }
    const groupsChanged = JSON.stringify(wanted.groups) !== JSON.stringify(this.written.groups);
    if (groupsChanged || JSON.stringify(wanted.rules) !== JSON.stringify(this.written.rules)) {
      if (groupsChanged) {
        await this.call('PUT', '/dialplan', { rules: wanted.rules.filter((r) => r.action.type === 'account') });
        await this.call('PUT', '/groups', { groups: wanted.groups });
      }
      await this.call('PUT', '/dialplan', { rules: wanted.rules });
    }
    const kept = new Set(wanted.accounts.map((a) => a.extension));
    for (const extension of existing) if (!kept.has(extension)) await this.call('DELETE', `/accounts/${encodeURIComponent(extension)}`);
    this.written = structuredClone(wanted);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.api.baseUrl}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${this.api.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_MS),
      });
    } catch (err) {
      throw new IpbxSyncError(`the IPBX API at ${this.api.baseUrl} did not answer ${method} ${path}: ${(err as Error).message}`, { cause: err });
    }
    const text = await response.text();
    if (!response.ok) throw new IpbxSyncError(`the IPBX refused ${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text === '' ? undefined : JSON.parse(text) as unknown;
  }
}

function sameAccount(a: IpbxAccountWanted | undefined, b: IpbxAccountWanted): boolean {
  return a !== undefined && a.password === b.password && a.displayName === b.displayName;
}
