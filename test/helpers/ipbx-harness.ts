// A real `voiplab serve` in the test process: a temp data folder, a voiplab.yaml written from
// the given accounts/dialplan/groups, the file-backed ConfigService, and startIpbx() listening on
// 127.0.0.1 with ephemeral ports.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigFileService, loadTlsMaterial } from '../../ipbx/config/index.ts';
import { startIpbx, type RunningIpbx } from '../../ipbx/server.ts';
import type { TransportProtocol } from '../../ipbx/sip/index.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** The IPBX's log lines go to stderr when VOIPLAB_TEST_LOG is set (debugging a test), nowhere otherwise. */
const harnessLog = process.env['VOIPLAB_TEST_LOG'] === undefined ? () => undefined : (line: string) => void process.stderr.write(`${line}\n`);

export interface HarnessOptions {
  domain?: string;
  accounts?: Array<{ extension: string; password: string; displayName?: string; maxContacts?: number; record?: boolean; dtmfMode?: 'rfc4733' | 'info' }>;
  dialplan?: unknown[];
  groups?: unknown[];
  protocols?: TransportProtocol[];
  /** Extra top-level config (security, calls…), merged over the defaults here. */
  extra?: Record<string, unknown>;
  /** Reuse a data folder (restart tests). */
  dataDir?: string;
}

export interface IpbxHarness {
  ipbx: RunningIpbx;
  config: ConfigFileService;
  dataDir: string;
  configFile: string;
  domain: string;
  /** The PEM certificate of its TLS and WSS listeners (self-signed, generated in the data folder). */
  certificate: string;
  port(protocol: TransportProtocol): number;
  /** `http://127.0.0.1:PORT` of the API. */
  apiBase: string;
  api(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<IpbxHarness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'voiplab-ipbx-'));
  const configFile = join(dataDir, 'voiplab.yaml');
  const domain = options.domain ?? 'voiplab.test';
  const protocols = options.protocols ?? ['udp', 'tcp'];
  const doc = {
    domain,
    sip: { listeners: protocols.map((protocol) => ({ protocol, address: '127.0.0.1', port: 0 })) },
    http: { listeners: [{ protocol: 'http', address: '127.0.0.1', port: 0 }] },
    accounts: (options.accounts ?? [
      { extension: '1001', password: 'alice-secret-1001', displayName: 'Alice' },
      { extension: '1002', password: 'bob-secret-1002', displayName: 'Bob' },
    ]).map((a) => ({ displayName: '', ...a })),
    groups: options.groups ?? [],
    dialplan: options.dialplan ?? [{ match: '_1XXX', action: { type: 'account' } }],
    security: { adminToken: ADMIN_TOKEN },
    ...options.extra,
  };
  if (options.dataDir === undefined) writeFileSync(configFile, stringify(doc), { mode: 0o600 });
  const config = await ConfigFileService.open(configFile);
  const tls = await loadTlsMaterial({ config: config.current, configFile, dataDir });
  const ipbx = await startIpbx({ config, dataDir, tls: { cert: tls.cert, key: tls.key }, adminToken: ADMIN_TOKEN, log: harnessLog });
  const http = ipbx.httpEndpoints[0];
  const apiBase = `http://127.0.0.1:${http?.port ?? 0}`;
  return {
    ipbx, config, dataDir, configFile, domain, apiBase, certificate: tls.cert,
    port: (protocol) => {
      const ep = ipbx.sipEndpoints.find((e) => e.protocol === protocol);
      if (ep === undefined) throw new Error(`no ${protocol} listener`);
      return ep.port;
    },
    api: (path, init = {}) => fetch(apiBase + path, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    }),
    close: async () => {
      await ipbx.close();
      config.close();
    },
  };
}

/**
 * The `media` config of an IPBX whose calls go through an embedded rtpengine on 127.0.0.1, on a
 * random 1,000-port window below the kernel's ephemeral range, so parallel tests rarely meet.
 */
export function rtpengineMedia(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const portMin = 20_000 + 1_000 * Math.floor(Math.random() * 10);
  return { mode: 'rtpengine', rtpengine: { address: '127.0.0.1', portMin, portMax: portMin + 999 }, ...extra };
}
