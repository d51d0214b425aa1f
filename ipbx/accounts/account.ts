// An account as the IPBX uses it: credentials only as digest HA1 hashes (realm = the SIP domain).

import type { DigestHashName } from '../sip/index.ts';
import type { TransportProtocol } from '../sip/index.ts';

export interface Account {
  extension: string;
  displayName: string;
  /** HA1 per algorithm: H(extension:domain:password). The password itself is never kept. */
  ha1: Partial<Record<DigestHashName, string>>;
  enabled: boolean;
  /** Transports this account may register and call over. */
  transports: TransportProtocol[];
  maxContacts: number;
  /** Its calls are recorded (media mode rtpengine). */
  record?: boolean;
  /** How its phone sends and wants DTMF: RFC 4733 in the RTP (default) or SIP INFO. */
  dtmfMode?: 'rfc4733' | 'info';
}

/** Read access to accounts, for the registrar, the router and the B2BUA. */
export interface AccountDirectory {
  get(extension: string): Account | undefined;
  list(): Account[];
}
