// The queue log and dynamic agents in SQLite: appended per event, read by the API and replayed
// at start for today's figures.

import type { DynamicMember, QueueLogEntry, QueueLogQuery, QueueStore } from '../queues/queue-log.ts';
import type { Db } from './open-database.ts';

interface LogRow {
  at: number;
  queue: string;
  event: QueueLogEntry['event'];
  call_id: string | null;
  agent: string | null;
  data: string;
}

interface MemberRow {
  queue: string;
  extension: string;
  paused: number;
  pause_reason: string;
  since: number;
}

export class SqliteQueueStore implements QueueStore {
  readonly #db: Db;
  readonly #append;
  readonly #saveMember;
  readonly #removeMember;

  constructor(db: Db) {
    this.#db = db;
    this.#append = db.prepare('INSERT INTO queue_log (at, queue, event, call_id, agent, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.#saveMember = db.prepare(`INSERT OR REPLACE INTO queue_members (queue, extension, paused, pause_reason, since)
      VALUES (@queue, @extension, @paused, @pauseReason, @since)`);
    this.#removeMember = db.prepare('DELETE FROM queue_members WHERE queue = ? AND extension = ?');
  }

  append(entry: QueueLogEntry): void {
    this.#append.run(entry.at, entry.queue, entry.event, entry.callId, entry.agent, JSON.stringify(entry.data));
  }

  read(query: QueueLogQuery): QueueLogEntry[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.queue !== undefined) {
      where.push('queue = ?');
      params.push(query.queue);
    }
    if (query.since !== undefined) {
      where.push('at >= ?');
      params.push(query.since);
    }
    const sql = `SELECT at, queue, event, call_id, agent, data FROM queue_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...params, query.limit) as LogRow[];
    return rows.reverse().map((row) => ({
      at: row.at, queue: row.queue, event: row.event, callId: row.call_id, agent: row.agent, data: parseData(row.data),
    }));
  }

  members(): DynamicMember[] {
    const rows = this.#db.prepare('SELECT queue, extension, paused, pause_reason, since FROM queue_members ORDER BY since').all() as MemberRow[];
    return rows.map((row) => ({ queue: row.queue, extension: row.extension, paused: row.paused === 1, pauseReason: row.pause_reason, since: row.since }));
  }

  saveMember(member: DynamicMember): void {
    this.#saveMember.run({ ...member, paused: member.paused ? 1 : 0 });
  }

  removeMember(queue: string, extension: string): void {
    this.#removeMember.run(queue, extension);
  }
}

function parseData(text: string): QueueLogEntry['data'] {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as QueueLogEntry['data']) : {};
  } catch {
    return {};
  }
}
