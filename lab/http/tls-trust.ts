// How a client decides to trust a server's certificate: a CA file (the Proxmox cluster CA, or the
// certificate itself when self-signed), a pinned SHA-256 fingerprint (what `pvenode cert info` prints;
// clones of one XiVO template share their certificate, so one pin fits a whole class), or nothing at
// all — only when asked explicitly, and said loudly, since anyone on the path then reads the token.

import { LabError } from '../lab-error.ts';

export type TlsTrust =
  | { kind: 'ca'; ca: string; source: string }
  | { kind: 'fingerprint'; sha256: string }
  | { kind: 'insecure' };

const FINGERPRINT_RE = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

/** `AB:CD:…`, `ab:cd:…` or 64 hex digits → Node's `fingerprint256` form (upper case, colons). */
export function normalizeFingerprint(text: string, field: string): string {
  const hex = text.trim().replaceAll(':', '').toUpperCase();
  const formatted = hex.match(/.{1,2}/g)?.join(':') ?? '';
  if (!FINGERPRINT_RE.test(formatted)) {
    throw new LabError('LAB_BAD_OPTION', `${field}: ${JSON.stringify(text)} is not a SHA-256 fingerprint (32 hex bytes, e.g. the "Fingerprint (sha256)" line of pvenode cert info)`);
  }
  return formatted;
}

/** The warning printed once per client when verification is off. */
export function insecureWarning(url: string): string {
  return `WARNING: TLS certificate verification is OFF for ${url} (tls: insecure). Anyone between this machine and the server can read the API token and passwords. Pin the certificate with tls.fingerprint or give tls.caFile instead.`;
}
