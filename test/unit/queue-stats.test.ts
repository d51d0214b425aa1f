import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueLogEntry } from '../../ipbx/queues/queue-log.ts';
import { QueueStats } from '../../ipbx/queues/queue-stats.ts';

const entry = (event: QueueLogEntry['event'], data: QueueLogEntry['data'] = {}, agent: string | null = null, at = 1000): QueueLogEntry => ({ at, queue: 'q', event, callId: 'c', agent, data });

test('figures fold from the log: answered, abandoned, waits, talk, service level', () => {
  const stats = new QueueStats(() => 20);
  for (const e of [
    entry('ENTERQUEUE'), entry('CONNECT', { waitSeconds: 10 }, 'a'), entry('COMPLETECALLER', { talkSeconds: 60 }, 'a', 5000),
    entry('ENTERQUEUE'), entry('RINGNOANSWER', { reason: 'no-answer' }, 'a'), entry('CONNECT', { waitSeconds: 30 }, 'b'), entry('COMPLETEAGENT', { talkSeconds: 20 }, 'b', 7000),
    entry('ENTERQUEUE'), entry('ABANDON', { waitSeconds: 45 }),
    entry('FULL'),
  ]) stats.apply(e);
  const f = stats.figures();
  assert.equal(f.entered, 3);
  assert.equal(f.answered, 2);
  assert.equal(f.abandoned, 1);
  assert.equal(f.overflowed, 1);
  assert.equal(f.averageWaitSeconds, 20);
  assert.equal(f.longestWaitSeconds, 45);
  assert.equal(f.averageTalkSeconds, 40);
  // One of two answers within 20 s, over answered + abandoned = 3.
  assert.equal(f.serviceLevelPercent, 33.3);
  // app_queue's holdtime: first wait, then (3 × previous + new) / 4.
  assert.equal(f.holdtimeSeconds, 15);
  assert.deepEqual(stats.agent('a'), { answered: 1, missed: 1, talkSeconds: 60, lastCallEndedAt: 5000 });
  assert.deepEqual(stats.agent('b'), { answered: 1, missed: 0, talkSeconds: 20, lastCallEndedAt: 7000 });
});

test('no call yet: service level is null, not 0 or 100', () => {
  assert.equal(new QueueStats(() => 20).figures().serviceLevelPercent, null);
});
