// Small helpers for softphone tests against a test IPBX: a free port to configure a listener
// with (so /phone/config.json names a real port), and the URL of the IPBX's /phone/ page.

import { createServer } from 'node:net';
import type { IpbxHarness } from './ipbx-harness.ts';

/** A TCP port free on 127.0.0.1 right now (the kernel picks it; a race with other tests is unlikely). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `http://127.0.0.1:PORT/phone/?…` of the harness's HTTP listener. */
export function softphoneUrl(harness: IpbxHarness, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query).toString();
  return `${harness.apiBase}/phone/${search === '' ? '' : `?${search}`}`;
}
