// Turns a lab file's `tls:` block into the TlsTrust the clients use (reading the CA file relative
// to the lab file).

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { normalizeFingerprint, type TlsTrust } from '../http/tls-trust.ts';
import { LabError } from '../lab-error.ts';
import type { TlsTrustConfig } from './lab-schema.ts';

export async function loadTlsTrust(config: TlsTrustConfig, labFileDir: string, field: string): Promise<TlsTrust> {
  if (config.fingerprint !== undefined) return { kind: 'fingerprint', sha256: normalizeFingerprint(config.fingerprint, `${field}.fingerprint`) };
  if (config.caFile !== undefined) {
    const path = resolve(labFileDir, config.caFile);
    let ca: string;
    try {
      ca = await readFile(path, 'utf8');
    } catch (err) {
      throw new LabError('LAB_BAD_OPTION', `${field}.caFile: cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new LabError('LAB_BAD_OPTION', `${field}.caFile: ${path} holds no PEM certificate`);
    return { kind: 'ca', ca, source: path };
  }
  return { kind: 'insecure' };
}
