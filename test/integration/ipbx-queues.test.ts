// Call queues end to end: emulated desk phones (real SIP over UDP and G.711 RTP) on an IPBX with
// rtpengine. A caller is answered by the IPBX, hears the music on hold while it waits, and is
// connected to the member who answers; both then hear each other's tone. Overflow on timeout and
// on maximum callers, abandons, a member's rejection that keeps the caller's place, pause and
// wrap-up, and agents logging in and out with feature codes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hears, hearsMusic, pause, startQueueLab, toneOf, until, whoRings, type QueueLab } from '../helpers/queue-lab.ts';

interface QueueStatus {
  name: string;
  waiting: Array<{ caller: string; position: number }>;
  members: Array<{ extension: string; status: string; answered: number; missed: number; dynamic: boolean }>;
  today: { entered: number; answered: number; abandoned: number; overflowed: number };
}

async function status(lab: QueueLab, name: string): Promise<QueueStatus> {
  const response = await lab.harness.api(`/api/v1/queues/${name}/status`);
  assert.equal(response.status, 200);
  return await response.json() as QueueStatus;
}

async function logEvents(lab: QueueLab, name: string): Promise<string[]> {
  const response = await lab.harness.api(`/api/v1/queues/log?queue=${name}`);
  const body = await response.json() as { items: Array<{ event: string; agent: string | null }> };
  return body.items.map((e) => (e.agent === null ? e.event : `${e.event}:${e.agent}`));
}

describe('queue with ringall: waiting, music, connection', { timeout: 120_000 }, () => {
  let lab: QueueLab;
  before(async () => {
    lab = await startQueueLab({
      queues: [{ name: 'support', strategy: 'ringall', members: ['1001', '1002'], memberTimeout: 2, retryDelay: 1, announce: { every: 0 } }],
      dialplan: [{ match: '3000', action: { type: 'queue', queue: 'support' } }],
      registered: ['1001', '1002', '2001'],
    });
  });
  after(async () => lab.close());

  test('the caller is answered, hears music while every member rings, then talks to the one who answered', async () => {
    // Both members are paused: the caller waits with music and nobody rings.
    for (const member of ['1001', '1002']) {
      const response = await lab.harness.api(`/api/v1/queues/support/agents/${member}/pause`, { method: 'PUT', body: JSON.stringify({ paused: true, reason: 'lunch' }) });
      assert.equal(response.status, 200);
    }
    const caller = lab.phone('2001');
    const call = caller.call('3000');
    await until(() => call.state === 'connected', 'the IPBX answering the caller');
    await until(() => hearsMusic(caller), 'music on hold at the caller', 10_000);
    const waiting = await status(lab, 'support');
    assert.deepEqual(waiting.waiting.map((w) => [w.caller, w.position]), [['2001', 1]]);
    assert.deepEqual(waiting.members.map((m) => m.status), ['paused', 'paused']);

    // 1001 comes back first and rings alone (ringall rings who is available at the attempt); it
    // does not answer within memberTimeout. Meanwhile 1002 is back: the next attempt rings both.
    await lab.harness.api('/api/v1/queues/support/agents/1001/pause', { method: 'PUT', body: JSON.stringify({ paused: false }) });
    assert.equal(await whoRings(lab, ['1001', '1002'], 5000), '1001');
    await lab.harness.api('/api/v1/queues/support/agents/1002/pause', { method: 'PUT', body: JSON.stringify({ paused: false }) });
    await until(() => lab.phone('1001').currentCall?.state === 'ended', '1001 to stop ringing after memberTimeout');
    assert.ok(hearsMusic(caller), 'the caller still hears music after an unanswered attempt');
    await until(async () => (await whoRings(lab, ['1001', '1002'], 5000)) === '1001+1002', 'both members ringing');
    await lab.phone('1002').answer(2000);
    await until(() => lab.phone('1001').currentCall?.state === 'ended', '1001 to stop ringing');
    await until(() => hears(caller, toneOf('1002')), `the caller hearing 1002's tone (${toneOf('1002')} Hz)`);
    await until(() => hears(lab.phone('1002'), toneOf('2001')), `1002 hearing the caller's tone (${toneOf('2001')} Hz)`);
    assert.ok(!hearsMusic(caller, 600), 'no more music once connected');

    const connected = await status(lab, 'support');
    assert.deepEqual(connected.waiting, []);
    assert.equal(connected.members.find((m) => m.extension === '1002')?.status, 'in-call');
    await caller.hangup(2000);
    await until(async () => (await status(lab, 'support')).today.answered === 1, 'the answer counted');
    const events = await logEvents(lab, 'support');
    for (const expected of ['PAUSE:1001', 'ENTERQUEUE', 'UNPAUSE:1002', 'RINGNOANSWER:1001', 'CONNECT:1002']) assert.ok(events.includes(expected), `${expected} in ${events.join(' ')}`);
    await until(async () => (await logEvents(lab, 'support')).includes('COMPLETECALLER:1002'), 'COMPLETECALLER in the log');
  });

  test('a caller who hangs up while waiting is counted as abandoned', async () => {
    await lab.harness.api('/api/v1/queues/support/agents/1001/pause', { method: 'PUT', body: JSON.stringify({ paused: true }) });
    await lab.harness.api('/api/v1/queues/support/agents/1002/pause', { method: 'PUT', body: JSON.stringify({ paused: true }) });
    const caller = lab.phone('2001');
    const call = caller.call('3000');
    await until(() => call.state === 'connected', 'the IPBX answering the caller');
    await pause(500);
    await caller.hangup(2000);
    await until(async () => (await status(lab, 'support')).today.abandoned === 1, 'the abandon counted');
    assert.deepEqual((await status(lab, 'support')).waiting, []);
    const metrics = await (await lab.harness.api('/metrics')).text();
    assert.match(metrics, /voiplab_queue_abandoned_total\{queue="support"\} 1/);
    assert.match(metrics, /voiplab_queue_answered_total\{queue="support"\} 1/);
    assert.match(metrics, /voiplab_queue_members\{queue="support",status="paused"\} 2/);
  });
});
