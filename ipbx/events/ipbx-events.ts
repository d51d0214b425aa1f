// Live events of the IPBX: the API's WebSocket streams them, the wallboard and the scenario runner
// follow them. One typed bus per IPBX instance.

import { EventEmitter } from 'node:events';
import type { QueueLogEntry } from '../queues/queue-log.ts';

export type RegistrationEvent = {
  type: 'registered' | 'refreshed' | 'unregistered' | 'expired';
  extension: string;
  contact: string;
  protocol: string;
  source: string;
  expiresAt: number;
  at: number;
};

export type CallState = 'routing' | 'ringing' | 'answered' | 'held' | 'transferred' | 'ended';

export type CallEvent = {
  type: 'call';
  callId: string;
  state: CallState;
  caller: string;
  callee: string;
  /** SIP status or cause for `ended`. */
  cause?: string | undefined;
  at: number;
};

export interface Cdr {
  id: string;
  caller: string;
  callerName: string;
  callee: string;
  /** Epoch ms. */
  startedAt: number;
  answeredAt: number | null;
  endedAt: number;
  /** Seconds from answer to end (0 when unanswered). */
  duration: number;
  /** answered | busy | no-answer | cancelled | rejected | unknown-number | offline | failed | transferred, with the SIP status when there is one. */
  cause: string;
  status: number | null;
}

/** A queue log entry as it is written (see ipbx/queues/queue-log.ts for the events and their data). */
export type QueueEvent = { type: 'queue' } & QueueLogEntry;

export interface IpbxEventMap {
  registration: [RegistrationEvent];
  call: [CallEvent];
  cdr: [Cdr];
  queue: [QueueEvent];
}

export class IpbxEvents extends EventEmitter<IpbxEventMap> {}
