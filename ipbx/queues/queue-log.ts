// The queue log: one entry per queue event, with Asterisk's queue_log event names so that people
// who read those logs (and the tools built on them) recognise them. Statistics are folded from it
// (queue-stats.ts), so figures survive a restart; the wallboard and the API's event stream get
// every entry as it is written.

export const QUEUE_LOG_EVENTS = [
  'ENTERQUEUE', 'CONNECT', 'COMPLETECALLER', 'COMPLETEAGENT', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITEMPTY',
  'FULL', 'JOINEMPTY', 'RINGNOANSWER', 'ADDMEMBER', 'REMOVEMEMBER', 'PAUSE', 'UNPAUSE',
] as const;

export type QueueLogEvent = (typeof QUEUE_LOG_EVENTS)[number];

export interface QueueLogEntry {
  /** Epoch ms. */
  at: number;
  queue: string;
  event: QueueLogEvent;
  /** The waiting caller's call (B2BUA call id); null for agent events. */
  callId: string | null;
  /** The member's extension; null for caller-only events. */
  agent: string | null;
  /**
   * ENTERQUEUE: caller, position, priority. CONNECT: waitSeconds, ringSeconds. COMPLETE*:
   * waitSeconds, talkSeconds. ABANDON / EXITWITHTIMEOUT / EXITEMPTY: position, waitSeconds.
   * RINGNOANSWER: ringSeconds, reason (no-answer, rejected, busy). PAUSE: reason.
   */
  data: Record<string, string | number>;
}

/** A dynamic agent's membership, kept across restarts (Asterisk's persistentmembers). */
export interface DynamicMember {
  queue: string;
  extension: string;
  paused: boolean;
  pauseReason: string;
  /** Epoch ms of the login; orders dynamic agents after the static members. */
  since: number;
}

export interface QueueLogQuery {
  queue?: string | undefined;
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  limit: number;
}

export interface QueueStore {
  append(entry: QueueLogEntry): void;
  /** Entries in time order (the latest `limit` of them). */
  read(query: QueueLogQuery): QueueLogEntry[];
  members(): DynamicMember[];
  saveMember(member: DynamicMember): void;
  removeMember(queue: string, extension: string): void;
}
