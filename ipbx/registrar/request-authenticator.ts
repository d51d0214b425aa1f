// Who is calling: the registrar's digest check, offered to the B2BUA for INVITE, MESSAGE and
// REFER from outside a dialog. On failure it has already answered (401/403, or nothing while the
// source is banned), so the caller just stops.

import type { Account } from '../accounts/account.ts';
import type { IncomingRequest } from '../sip/index.ts';

export type AuthOutcome = { ok: true; account: Account } | { ok: false };

export interface RequestAuthenticator {
  authenticate(incoming: IncomingRequest): AuthOutcome;
}
