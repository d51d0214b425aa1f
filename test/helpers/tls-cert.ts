// A throwaway self-signed certificate for 127.0.0.1, ::1 and localhost, made with the openssl
// CLI so that TLS and WSS tests need no committed key material.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCert {
  key: string;
  /** Also the CA to trust: the certificate signs itself. */
  cert: string;
  dir: string;
  cleanup(): Promise<void>;
}

export async function makeSelfSignedCert(): Promise<TestCert> {
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  try {
    await run('openssl', [
      'req', '-x509', '-nodes', '-days', '2',
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', keyPath, '-out', certPath,
      '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    ], { timeout: 20_000 });
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    return { key, cert, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`openssl could not make a test certificate: ${(err as Error).message}`, { cause: err });
  }
}
