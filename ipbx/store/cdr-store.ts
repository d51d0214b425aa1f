// Call detail records: one per call, written when it ends, queried by the API.

import type { Cdr } from '../events/ipbx-events.ts';

export interface CdrQuery {
  limit: number;
  offset: number;
  /** Matches caller or callee. */
  extension?: string | undefined;
  /** Epoch ms bounds on startedAt. */
  since?: number | undefined;
  until?: number | undefined;
}

export interface CdrStore {
  insert(cdr: Cdr): void;
  query(q: CdrQuery): { total: number; items: Cdr[] };
}
