// Secrets come only from the environment: the lab file names the variables. Every missing one is
// reported at once, with the field that names it, so a trainer exports them all in one go.

import type { ProxmoxCredentials } from '../proxmox/proxmox-auth.ts';
import { LabError } from '../lab-error.ts';
import type { LabFile } from './lab-schema.ts';

export interface LabSecrets {
  proxmox: ProxmoxCredentials;
  xivoAdminPassword: string;
  accountSeed: string;
}

export function readLabSecrets(lab: LabFile, env: NodeJS.ProcessEnv): LabSecrets {
  const missing: string[] = [];
  const read = (variable: string | undefined, fallback: string, field: string): string => {
    const name = variable ?? fallback;
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      missing.push(`${name} (named by ${field})`);
      return '';
    }
    return value;
  };
  const p = lab.proxmox;
  const proxmox: ProxmoxCredentials = (p.auth ?? 'token') === 'token'
    ? { kind: 'token', tokenId: read(p.tokenIdEnv, 'PVE_TOKEN_ID', 'proxmox.tokenIdEnv'), secret: read(p.tokenSecretEnv, 'PVE_TOKEN_SECRET', 'proxmox.tokenSecretEnv') }
    : { kind: 'ticket', username: read(p.userEnv, 'PVE_USER', 'proxmox.userEnv'), password: read(p.passwordEnv, 'PVE_PASSWORD', 'proxmox.passwordEnv') };
  const xivoAdminPassword = read(lab.xivo.adminPasswordEnv, 'XIVO_ADMIN_PASSWORD', 'xivo.adminPasswordEnv');
  const accountSeed = read(lab.xivo.accountSeedEnv, 'VOIPLAB_ACCOUNT_SEED', 'xivo.accountSeedEnv');
  if (missing.length > 0) {
    throw new LabError('LAB_SECRET_MISSING', `set these environment variables (secrets never go in the lab file): ${missing.join(', ')}`);
  }
  if (accountSeed.length < 16) throw new LabError('LAB_SECRET_MISSING', `${lab.xivo.accountSeedEnv ?? 'VOIPLAB_ACCOUNT_SEED'} must hold at least 16 characters: every SIP password is derived from it (e.g. openssl rand -base64 24)`);
  if (xivoAdminPassword.length < 8) throw new LabError('LAB_SECRET_MISSING', `${lab.xivo.adminPasswordEnv ?? 'XIVO_ADMIN_PASSWORD'} must hold at least 8 characters`);
  return { proxmox, xivoAdminPassword, accountSeed };
}
