// The composition root of `voiplab serve`: builds the SIP transports and stack, the store, the
// registrar, the router, the B2BUA and the HTTP API from one ConfigService, and starts them.

import type { ConfigService } from './config/config-service.ts';
import type { BoundEndpoint } from './sip/index.ts';

export interface IpbxOptions {
  config: ConfigService;
  /** Folder for the SQLite store (bindings, CDRs) and generated files. */
  dataDir: string;
  /** PEM certificate and key for TLS, WSS and HTTPS. */
  tls: { cert: string; key: string };
  /** Bearer token of the HTTP API. */
  adminToken: string;
  /** One line per notable event (listening addresses, bans); defaults to stderr. */
  log?: (line: string) => void;
}

export interface RunningIpbx {
  sipEndpoints: BoundEndpoint[];
  httpEndpoints: Array<{ protocol: 'http' | 'https'; address: string; port: number }>;
  close(): Promise<void>;
}

export async function startIpbx(options: IpbxOptions): Promise<RunningIpbx> {
  void options;
  await Promise.resolve();
  throw new Error('startIpbx: composition root under construction');
}
