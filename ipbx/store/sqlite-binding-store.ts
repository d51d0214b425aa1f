// Registrations persisted so they survive a restart (RFC 3261 §10.3 asks the registrar to keep
// bindings for their lifetime); the location service keeps the working copy in memory.
// Writes are batched: a synchronous SQLite write per REGISTER was a third of the registrar's CPU
// (bench/results/ipbx-profile.json), so changes are queued (last change per binding wins) and
// written in one transaction on the next turn of the event loop. A crash loses at most that turn's
// changes, which the phones' next REGISTER restores.

import type { Binding } from '../registrar/binding.ts';
import type { TransportProtocol } from '../sip/index.ts';
import type { Db } from './open-database.ts';

interface BindingRow {
  extension: string;
  contact: string;
  expires_at: number;
  q: number;
  call_id: string;
  cseq: number;
  protocol: string;
  source_address: string;
  source_port: number;
  flow_id: string;
  instance_id: string | null;
  reg_id: number | null;
  user_agent: string | null;
  registered_at: number;
}

type PendingChange = { kind: 'save'; binding: Binding } | { kind: 'remove'; extension: string; contact: string };

export class SqliteBindingStore {
  readonly #db: Db;
  readonly #pending = new Map<string, PendingChange>();
  #flushScheduled = false;
  readonly #upsert;
  readonly #remove;
  readonly #removeExpired;
  readonly #all;

  constructor(db: Db) {
    this.#db = db;
    this.#upsert = db.prepare(`INSERT OR REPLACE INTO bindings
      (extension, contact, expires_at, q, call_id, cseq, protocol, source_address, source_port, flow_id, instance_id, reg_id, user_agent, registered_at)
      VALUES (@extension, @contact, @expiresAt, @q, @callId, @cseq, @protocol, @sourceAddress, @sourcePort, @flowId, @instanceId, @regId, @userAgent, @registeredAt)`);
    this.#remove = db.prepare('DELETE FROM bindings WHERE extension = ? AND contact = ?');
    this.#removeExpired = db.prepare('DELETE FROM bindings WHERE expires_at <= ?');
    this.#all = db.prepare('SELECT * FROM bindings');
  }

  save(b: Binding): void {
    this.#queue(`${b.extension}\u0000${b.contact}`, { kind: 'save', binding: b });
  }

  remove(extension: string, contact: string): void {
    this.#queue(`${extension}\u0000${contact}`, { kind: 'remove', extension, contact });
  }

  /** Writes every queued change now, in one transaction. */
  flush(): void {
    if (this.#pending.size === 0) return;
    const changes = [...this.#pending.values()];
    this.#pending.clear();
    this.#db.transaction(() => {
      for (const change of changes) {
        if (change.kind === 'remove') this.#remove.run(change.extension, change.contact);
        else this.#write(change.binding);
      }
    })();
  }

  #queue(key: string, change: PendingChange): void {
    // Map order is insertion order: re-inserting keeps the latest change last.
    this.#pending.delete(key);
    this.#pending.set(key, change);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#db.open) this.flush();
    });
  }

  #write(b: Binding): void {
    this.#upsert.run({
      extension: b.extension, contact: b.contact, expiresAt: b.expiresAt, q: b.q, callId: b.callId, cseq: b.cseq,
      protocol: b.protocol, sourceAddress: b.source.address, sourcePort: b.source.port, flowId: b.flowId,
      instanceId: b.instanceId ?? null, regId: b.regId ?? null, userAgent: b.userAgent ?? null, registeredAt: b.registeredAt,
    });
  }

  removeExpired(now: number): void {
    this.flush();
    this.#removeExpired.run(now);
  }

  loadAll(): Binding[] {
    this.flush();
    return (this.#all.all() as BindingRow[]).map((r) => ({
      extension: r.extension, contact: r.contact, expiresAt: r.expires_at, q: r.q, callId: r.call_id, cseq: r.cseq,
      protocol: r.protocol as TransportProtocol, source: { address: r.source_address, port: r.source_port }, flowId: r.flow_id,
      instanceId: r.instance_id ?? undefined, regId: r.reg_id ?? undefined, userAgent: r.user_agent ?? undefined, registeredAt: r.registered_at,
    }));
  }
}
