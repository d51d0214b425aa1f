// Recordings' listing in SQLite: written once per converted call, queried by the API newest
// first, swept oldest first by the retention timer.

import type { Db } from './open-database.ts';
import type { Recording, RecordingQuery, RecordingStore } from './recording-store.ts';

interface RecordingRow {
  id: string;
  call_id: string;
  caller: string;
  callee: string;
  started_at: number;
  ended_at: number;
  duration_ms: number;
  size_bytes: number;
  sample_rate: number;
  channels: number;
  file: string;
}

export class SqliteRecordingStore implements RecordingStore {
  readonly #db: Db;
  readonly #insert;
  readonly #get;
  readonly #startedBefore;
  readonly #remove;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT OR REPLACE INTO recordings (id, call_id, caller, callee, started_at, ended_at, duration_ms, size_bytes, sample_rate, channels, file)
      VALUES (@id, @callId, @caller, @callee, @startedAt, @endedAt, @durationMs, @sizeBytes, @sampleRate, @channels, @file)`);
    this.#get = db.prepare('SELECT * FROM recordings WHERE id = ?');
    this.#startedBefore = db.prepare('SELECT * FROM recordings WHERE started_at < ? ORDER BY started_at, id LIMIT ?');
    this.#remove = db.prepare('DELETE FROM recordings WHERE id = ?');
  }

  insert(recording: Recording): void {
    this.#insert.run(recording);
  }

  get(id: string): Recording | undefined {
    const row = this.#get.get(id) as RecordingRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  query(q: RecordingQuery): { total: number; items: Recording[] } {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (q.extension !== undefined) {
      where.push('(caller = @extension OR callee = @extension)');
      params['extension'] = q.extension;
    }
    if (q.callId !== undefined) {
      where.push('call_id = @callId');
      params['callId'] = q.callId;
    }
    const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    const total = (this.#db.prepare(`SELECT COUNT(*) AS n FROM recordings ${clause}`).get(params) as { n: number }).n;
    const rows = this.#db.prepare(`SELECT * FROM recordings ${clause} ORDER BY started_at DESC, id LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: q.limit, offset: q.offset }) as RecordingRow[];
    return { total, items: rows.map(fromRow) };
  }

  startedBefore(startedBefore: number, limit: number): Recording[] {
    return (this.#startedBefore.all(startedBefore, limit) as RecordingRow[]).map(fromRow);
  }

  remove(id: string): boolean {
    return this.#remove.run(id).changes > 0;
  }
}

function fromRow(r: RecordingRow): Recording {
  return {
    id: r.id, callId: r.call_id, caller: r.caller, callee: r.callee, startedAt: r.started_at, endedAt: r.ended_at,
    durationMs: r.duration_ms, sizeBytes: r.size_bytes, sampleRate: r.sample_rate, channels: r.channels, file: r.file,
  };
}
