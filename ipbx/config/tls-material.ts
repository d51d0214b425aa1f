// Certificate and key for TLS, WSS and HTTPS. Configured files are read and checked (PEM, key
// matches certificate) with errors naming the file. Without them, a self-signed pair is made once
// in <data>/tls/ and reused, so browsers on the LAN get a secure context after one exception.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { generate } from 'selfsigned';
import type { VoiplabConfig } from './config-schema.ts';
import { configError } from './config-errors.ts';
import { writeFileAtomic } from './atomic-write.ts';

export interface TlsMaterial {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  /** True when this call made a new self-signed pair. */
  generated: boolean;
}

export interface TlsOptions {
  config: VoiplabConfig;
  /** Relative certFile/keyFile paths start at the config file's folder. */
  configFile: string;
  dataDir: string;
}

const VALID_DAYS = 825; // the longest validity Apple platforms accept for a TLS server certificate
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export async function loadTlsMaterial(options: TlsOptions): Promise<TlsMaterial> {
  const { certFile, keyFile } = options.config.tls;
  if (certFile !== undefined && keyFile !== undefined) {
    const base = dirname(options.configFile);
    return readConfigured(resolve(base, certFile), resolve(base, keyFile));
  }
  const dir = join(options.dataDir, 'tls');
  const generatedCert = join(dir, 'cert.pem');
  const generatedKey = join(dir, 'key.pem');
  const existing = await reusable(generatedCert, generatedKey);
  if (existing !== undefined) return existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { cert, key } = await generateSelfSigned();
  await writeFileAtomic(generatedKey, key, 0o600);
  await writeFileAtomic(generatedCert, cert, 0o644);
  return { cert, key, certFile: generatedCert, keyFile: generatedKey, generated: true };
}

async function readConfigured(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const read = async (file: string, field: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw configError('IPBX_TLS_UNREADABLE', file, field, `cannot read: ${(err as Error).message}`, { cause: err });
    }
  };
  const cert = await read(certFile, 'tls.certFile');
  const key = await read(keyFile, 'tls.keyFile');
  const problem = mismatch(cert, key);
  if (problem !== undefined) throw configError('IPBX_TLS_UNREADABLE', problem.field === 'tls.certFile' ? certFile : keyFile, problem.field, problem.message);
  return { cert, key, certFile, keyFile, generated: false };
}

function mismatch(cert: string, key: string): { field: string; message: string } | undefined {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    return { field: 'tls.certFile', message: 'is not a PEM certificate' };
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) return { field: 'tls.keyFile', message: 'is not the key of the certificate in tls.certFile' };
  } catch {
    return { field: 'tls.keyFile', message: 'is not a PEM private key' };
  }
  return undefined;
}

/** A generated pair is reused while it parses, matches, and has a month left; otherwise made anew. */
async function reusable(certFile: string, keyFile: string): Promise<TlsMaterial | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    if (mismatch(cert, key) !== undefined) return undefined;
    if (Date.parse(new X509Certificate(cert).validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
    return { cert, key, certFile, keyFile, generated: false };
  } catch {
    return undefined;
  }
}

/** Names browsers and phones may use to reach this host: loopback, host name, LAN IPv4 addresses. */
export function subjectAltNames(): { dns: string[]; ips: string[] } {
  const host = hostname();
  const dns = ['localhost'];
  if (/^[A-Za-z0-9.-]+$/.test(host) && host !== 'localhost') dns.push(host, ...(host.includes('.') ? [] : [`${host}.local`]));
  const lan = Object.values(networkInterfaces()).flatMap((list) => list ?? []).filter((i) => i.family === 'IPv4' && !i.internal).map((i) => i.address);
  return { dns, ips: [...new Set(['127.0.0.1', '::1', ...lan])] };
}

export async function generateSelfSigned(): Promise<{ cert: string; key: string }> {
  const { dns, ips } = subjectAltNames();
  const notBeforeDate = new Date(Date.now() - 60_000); // a minute of slack for clocks slightly behind
  const notAfterDate = new Date(notBeforeDate.getTime() + VALID_DAYS * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: dns[1] ?? 'localhost' }, { name: 'organizationName', value: 'voiplab (self-signed)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...dns.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
