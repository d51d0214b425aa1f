// CDRs in SQLite: written once per call, queried by the API newest first.

import type { Cdr } from '../events/ipbx-events.ts';
import type { CdrQuery, CdrStore } from './cdr-store.ts';
import type { Db } from './open-database.ts';

interface CdrRow {
  id: string;
  caller: string;
  caller_name: string;
  callee: string;
  started_at: number;
  answered_at: number | null;
  ended_at: number;
  duration: number;
  cause: string;
  status: number | null;
}

export class SqliteCdrStore implements CdrStore {
  readonly #db: Db;
  readonly #insert;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT OR REPLACE INTO cdrs (id, caller, caller_name, callee, started_at, answered_at, ended_at, duration, cause, status)
      VALUES (@id, @caller, @callerName, @callee, @startedAt, @answeredAt, @endedAt, @duration, @cause, @status)`);
  }

  insert(cdr: Cdr): void {
    this.#insert.run(cdr);
  }

  query(q: CdrQuery): { total: number; items: Cdr[] } {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (q.extension !== undefined) {
      where.push('(caller = @extension OR callee = @extension)');
      params['extension'] = q.extension;
    }
    if (q.since !== undefined) {
      where.push('started_at >= @since');
      params['since'] = q.since;
    }
    if (q.until !== undefined) {
      where.push('started_at <= @until');
      params['until'] = q.until;
    }
    const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    const total = (this.#db.prepare(`SELECT COUNT(*) AS n FROM cdrs ${clause}`).get(params) as { n: number }).n;
    const rows = this.#db.prepare(`SELECT * FROM cdrs ${clause} ORDER BY started_at DESC, id LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: q.limit, offset: q.offset }) as CdrRow[];
    return { total, items: rows.map(fromRow) };
  }
}

function fromRow(r: CdrRow): Cdr {
  return {
    id: r.id, caller: r.caller, callerName: r.caller_name, callee: r.callee, startedAt: r.started_at,
    answeredAt: r.answered_at, endedAt: r.ended_at, duration: r.duration, cause: r.cause, status: r.status,
  };
}
