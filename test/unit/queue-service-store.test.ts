// The queue service over the SQLite store: dynamic agents and their pauses, and today's figures,
// survive a restart (a new service on the same database), as Asterisk's persistentmembers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueueConfig } from '../../ipbx/config/config-schema.ts';
import { IpbxEvents } from '../../ipbx/events/ipbx-events.ts';
import { QueueService } from '../../ipbx/queues/queue-service.ts';
import { openDatabase } from '../../ipbx/store/open-database.ts';
import { SqliteQueueStore } from '../../ipbx/store/sqlite-queue-store.ts';
import { systemClock } from '../../ipbx/sip/index.ts';

const QUEUE: QueueConfig = {
  name: 'support', strategy: 'linear', members: ['1001'], memberTimeout: 15, retryDelay: 2, wrapUp: 0, maxCallers: 0, maxWait: 0,
  joinWhenEmpty: true, leaveWhenEmpty: false, overflow: {}, announce: { every: 0, position: true, waitTime: true }, serviceLevel: 20,
};

function service(dir: string): { queues: QueueService; close: () => void } {
  const db = openDatabase(dir);
  const queues = new QueueService({
    queues: () => [QUEUE], isBusy: () => false, isAccount: (e) => ['1001', '1002'].includes(e), isReachable: () => true,
    store: new SqliteQueueStore(db), events: new IpbxEvents(), clock: systemClock, report: (err) => assert.fail(String(err)),
  });
  return { queues, close: () => { queues.close(); db.close(); } };
}

test('agents, pauses and today\'s figures are kept across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voiplab-queues-'));
  const first = service(dir);
  assert.deepEqual(first.queues.agent('login', '1002', 'support'), [{ queue: 'support', result: 'logged-in' }]);
  first.queues.agent('pause', '1002', 'support', 'lunch');
  const joined = first.queues.join('support', { callId: 'c1', caller: '2001', callerName: '', priority: 0, ring: () => undefined, evicted: () => undefined });
  assert.deepEqual(joined, { ok: true, position: 1 });
  first.queues.leave('support', 'c1', 'abandon');
  first.close();

  const second = service(dir);
  const [status] = second.queues.snapshot();
  assert.deepEqual(status?.members.map((m) => [m.extension, m.dynamic, m.status, m.pauseReason]), [['1001', false, 'available', ''], ['1002', true, 'paused', 'lunch']]);
  assert.equal(status?.today.entered, 1);
  assert.equal(status?.today.abandoned, 1);
  assert.throws(() => second.queues.agent('login', '1001', 'support'), { code: 'IPBX_QUEUE_STATIC_MEMBER' });
  assert.throws(() => second.queues.agent('login', '9999', 'support'), { code: 'IPBX_QUEUE_AGENT_NOT_ALLOWED' });
  second.close();
});

test('a feature code without a queue: login joins every queue the account may log in to; pause acts where it is a member', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voiplab-queues-'));
  const s = service(dir);
  // support lists no agents: any account may log in; 1001 is a static member there, so it cannot.
  assert.deepEqual(s.queues.agent('login', '1002'), [{ queue: 'support', result: 'logged-in' }]);
  assert.throws(() => s.queues.agent('login', '1001'), { code: 'IPBX_QUEUE_AGENT_NOT_ALLOWED' });
  assert.deepEqual(s.queues.agent('toggle-pause', '1001'), [{ queue: 'support', result: 'paused' }]);
  assert.deepEqual(s.queues.agent('logout', '1002'), [{ queue: 'support', result: 'logged-out' }]);
  assert.throws(() => s.queues.agent('pause', '1002'), { code: 'IPBX_QUEUE_NOT_LOGGED_IN' });
  s.close();
});
