// The two ways Proxmox VE authenticates API calls. An API token is one header on every call (no
// CSRF token). A ticket comes from POST /access/ticket (user + password; tokens may not call it) and
// travels as the PVEAuthCookie cookie, with CSRFPreventionToken on every write.

import type { OutgoingHttpHeaders } from 'node:http';
import { LabError } from '../lab-error.ts';

export type ProxmoxCredentials =
  | { kind: 'token'; /** `user@realm!tokenid` */ tokenId: string; secret: string }
  | { kind: 'ticket'; /** `user@realm` */ username: string; password: string };

const TOKEN_ID_RE = /^[^\s@!]+@[^\s@!]+![A-Za-z][A-Za-z0-9._-]*$/;
const USER_RE = /^[^\s@!]+@[^\s@!]+$/;

export function checkCredentials(credentials: ProxmoxCredentials): void {
  if (credentials.kind === 'token') {
    if (!TOKEN_ID_RE.test(credentials.tokenId)) {
      throw new LabError('LAB_BAD_OPTION', `the Proxmox token id ${JSON.stringify(credentials.tokenId)} must read USER@REALM!TOKENID (e.g. voiplab@pve!lab), as listed by pveum user token list`);
    }
    if (credentials.secret.trim() === '') throw new LabError('LAB_BAD_OPTION', 'the Proxmox token secret is empty');
  } else {
    if (!USER_RE.test(credentials.username)) throw new LabError('LAB_BAD_OPTION', `the Proxmox user ${JSON.stringify(credentials.username)} must read USER@REALM (e.g. root@pam)`);
    if (credentials.password === '') throw new LabError('LAB_BAD_OPTION', 'the Proxmox password is empty');
  }
}

export interface Ticket {
  ticket: string;
  csrfToken: string;
}

export function tokenHeader(credentials: Extract<ProxmoxCredentials, { kind: 'token' }>): string {
  return `PVEAPIToken=${credentials.tokenId}=${credentials.secret}`;
}

/** Headers for one call; writes carry the CSRF token with a ticket. */
export function authHeaders(credentials: ProxmoxCredentials, ticket: Ticket | undefined, method: string): OutgoingHttpHeaders {
  if (credentials.kind === 'token') return { authorization: tokenHeader(credentials) };
  if (ticket === undefined) return {};
  const headers: OutgoingHttpHeaders = { cookie: `PVEAuthCookie=${encodeURIComponent(ticket.ticket)}` };
  if (method !== 'GET' && method !== 'HEAD') headers['csrfpreventiontoken'] = ticket.csrfToken;
  return headers;
}
