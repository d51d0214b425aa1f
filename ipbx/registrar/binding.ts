// A registered contact of an account (RFC 3261 §10.3), with the flow it registered over so that
// requests to TCP/TLS/WS clients reuse their connection (RFC 5626).

import type { Endpoint, TransportProtocol } from '../sip/index.ts';

export interface Binding {
  extension: string;
  /** The Contact URI as registered, e.g. `sip:1001@192.0.2.10:5062;transport=tcp`. */
  contact: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** q-value (0..1), 1 when absent. */
  q: number;
  callId: string;
  cseq: number;
  protocol: TransportProtocol;
  /** Where the REGISTER came from (after NAT): requests go there, not to the Contact's host. */
  source: Endpoint;
  /** The connection (or UDP socket + peer) it arrived on. */
  flowId: string;
  /** RFC 5626 `+sip.instance` and `reg-id`, when the UA supports outbound. */
  instanceId?: string | undefined;
  regId?: number | undefined;
  userAgent?: string | undefined;
  registeredAt: number;
}

/** How the B2BUA finds where to send a call. */
export interface LocationLookup {
  /** Live bindings of an account, best q first. */
  lookup(extension: string): Binding[];
}
