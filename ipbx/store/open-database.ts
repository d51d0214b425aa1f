// The embedded SQLite store (better-sqlite3 12; 13 crashes on Node 20): one file in the data
// folder, WAL so readers (the API) never block the writer, schema migrations by user_version.

import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

const MIGRATIONS: string[] = [
  `CREATE TABLE bindings (
     extension TEXT NOT NULL,
     contact TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     q REAL NOT NULL,
     call_id TEXT NOT NULL,
     cseq INTEGER NOT NULL,
     protocol TEXT NOT NULL,
     source_address TEXT NOT NULL,
     source_port INTEGER NOT NULL,
     flow_id TEXT NOT NULL,
     instance_id TEXT,
     reg_id INTEGER,
     user_agent TEXT,
     registered_at INTEGER NOT NULL,
     PRIMARY KEY (extension, contact)
   );
   CREATE TABLE cdrs (
     id TEXT PRIMARY KEY,
     caller TEXT NOT NULL,
     caller_name TEXT NOT NULL,
     callee TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     answered_at INTEGER,
     ended_at INTEGER NOT NULL,
     duration INTEGER NOT NULL,
     cause TEXT NOT NULL,
     status INTEGER
   );
   CREATE INDEX cdrs_started ON cdrs (started_at);
   CREATE INDEX cdrs_caller ON cdrs (caller);
   CREATE INDEX cdrs_callee ON cdrs (callee);`,
  // Call recordings (ipbx/media/recording): the WAVs are files in <dataDir>/recordings.
  `CREATE TABLE recordings (
     id TEXT PRIMARY KEY,
     call_id TEXT NOT NULL,
     caller TEXT NOT NULL,
     callee TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     ended_at INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL,
     size_bytes INTEGER NOT NULL,
     sample_rate INTEGER NOT NULL,
     channels INTEGER NOT NULL,
     file TEXT NOT NULL
   );
   CREATE INDEX recordings_started ON recordings (started_at);
   CREATE INDEX recordings_call ON recordings (call_id);
   CREATE INDEX recordings_caller ON recordings (caller);
   CREATE INDEX recordings_callee ON recordings (callee);`,
  // Call queues (ipbx/queues): the queue log, and dynamic agents' memberships across restarts.
  `CREATE TABLE queue_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     queue TEXT NOT NULL,
     event TEXT NOT NULL,
     call_id TEXT,
     agent TEXT,
     data TEXT NOT NULL
   );
   CREATE INDEX queue_log_at ON queue_log (at);
   CREATE INDEX queue_log_queue ON queue_log (queue, at);
   CREATE TABLE queue_members (
     queue TEXT NOT NULL,
     extension TEXT NOT NULL,
     paused INTEGER NOT NULL,
     pause_reason TEXT NOT NULL,
     since INTEGER NOT NULL,
     PRIMARY KEY (queue, extension)
   );`,
];

/** Opens (creating if needed) `<dataDir>/voiplab.db`, or an in-memory database for ':memory:'. */
export function openDatabase(dataDir: string): Db {
  let path = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    path = join(dataDir, 'voiplab.db');
  }
  const db = new Database(path);
  // Bindings hold phones' addresses, CDRs and recordings who called whom: readable by the owner only.
  if (path !== ':memory:') chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  // Bindings and CDRs can be re-created by phones; durability of the last second is not worth an fsync per REGISTER.
  db.pragma('synchronous = NORMAL');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] ?? '');
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
