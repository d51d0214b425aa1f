// The HTTP API's admin token: VOIPLAB_ADMIN_TOKEN (CI, scripts) wins over security.adminToken in
// the file; with neither, one is generated, stored in the file and reported so the CLI prints it once.

import { configError } from './config-errors.ts';
import { generateToken } from './secrets.ts';

export const ADMIN_TOKEN_ENV = 'VOIPLAB_ADMIN_TOKEN';
const MIN_LENGTH = 16; // as the schema requires of security.adminToken

export interface AdminTokenSource {
  readonly file: string;
  readonly current: { security: { adminToken?: string | undefined } };
  setAdminToken(token: string): Promise<void>;
}

export interface ResolvedAdminToken {
  token: string;
  from: 'env' | 'file' | 'generated';
}

export async function resolveAdminToken(source: AdminTokenSource, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedAdminToken> {
  const fromEnv = env[ADMIN_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_LENGTH) {
      throw configError('IPBX_ADMIN_TOKEN_INVALID', ADMIN_TOKEN_ENV, ADMIN_TOKEN_ENV, `must be at least ${MIN_LENGTH} characters (it is ${fromEnv.length})`);
    }
    return { token: fromEnv, from: 'env' };
  }
  const inFile = source.current.security.adminToken;
  if (inFile !== undefined) return { token: inFile, from: 'file' };
  const token = generateToken();
  await source.setAdminToken(token);
  return { token, from: 'generated' };
}
