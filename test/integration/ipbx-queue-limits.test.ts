// Queue limits and agents on real SIP: overflow on maxWait and on maxCallers to other dialplan
// numbers, a full queue without overflow answering 486, agents logging in and out and pausing with
// feature codes (the IPBX answers with a prompt), and the API's errors. (Announcements:
// ipbx-queue-announcements.test.ts; memberships across a restart: test/unit/queue-service-store.test.ts.)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startQueueLab, until, whoRings, type QueueLab } from '../helpers/queue-lab.ts';

describe('queue limits, overflow and agents', { timeout: 180_000 }, () => {
  let lab: QueueLab;
  before(async () => {
    lab = await startQueueLab({
      queues: [
        // Nobody is a member: callers wait until maxWait, then go to 1004.
        { name: 'sales', strategy: 'linear', members: [], agents: ['1001', '1002'], maxWait: 2, overflow: { timeout: '1004' }, announce: { every: 0 } },
        // One caller at most; the next one overflows to 1004.
        { name: 'tiny', strategy: 'ringall', members: ['1003'], agents: [], maxCallers: 1, overflow: { full: '1004' }, memberTimeout: 30, announce: { every: 0 } },
        { name: 'closed', strategy: 'ringall', members: ['1003'], agents: [], maxCallers: 1, memberTimeout: 30, announce: { every: 0 } },
      ],
      dialplan: [
        { match: '3001', action: { type: 'queue', queue: 'sales' } },
        { match: '3002', action: { type: 'queue', queue: 'tiny' } },
        { match: '3003', action: { type: 'queue', queue: 'closed' } },
        { match: '*31', action: { type: 'queue-agent', operation: 'login' } },
        { match: '*32', action: { type: 'queue-agent', operation: 'logout' } },
        { match: '*33', action: { type: 'queue-agent', operation: 'toggle-pause' } },
      ],
    });
  });
  after(async () => lab.close());

  async function events(queue: string): Promise<string[]> {
    const body = await (await lab.harness.api(`/api/v1/queues/log?queue=${queue}`)).json() as { items: Array<{ event: string; agent: string | null }> };
    return body.items.map((e) => (e.agent === null ? e.event : `${e.event}:${e.agent}`));
  }

  test('maxWait: the caller is sent on to the overflow number and connected there', async () => {
    const caller = lab.phone('2001');
    const call = caller.call('3001');
    await until(() => call.state === 'connected', 'the IPBX answering the caller');
    assert.equal(await whoRings(lab, ['1004'], 8000), '1004');
    await lab.phone('1004').answer(2000);
    await until(() => lab.phone('1004').currentCall?.state === 'connected', '1004 connected');
    await caller.hangup(2000);
    const log = await events('sales');
    assert.ok(log.includes('EXITWITHTIMEOUT'), log.join(' '));
  });

  test('maxCallers: a second caller overflows while the first waits; without overflow it gets 486', async () => {
    await lab.harness.api('/api/v1/queues/tiny/agents/1003/pause', { method: 'PUT', body: JSON.stringify({ paused: true }) });
    await lab.harness.api('/api/v1/queues/closed/agents/1003/pause', { method: 'PUT', body: JSON.stringify({ paused: true }) });
    const first = lab.phone('2001').call('3002');
    await until(() => first.state === 'connected', 'the first caller waiting');
    const second = lab.phone('2002').call('3002');
    assert.equal(await whoRings(lab, ['1004'], 8000), '1004');
    await lab.phone('1004').reject(486, 2000);
    await until(() => second.state === 'ended', 'the second caller ended after the overflow target refused');
    assert.ok((await events('tiny')).includes('FULL'));

    const third = lab.phone('2003').call('3003');
    const waiting = lab.phone('2002').call('3003');
    await until(() => third.state === 'connected', 'a caller waiting in the closed queue');
    await until(() => waiting.state === 'ended', 'the next caller refused');
    assert.equal(waiting.status, 486);
    for (const ext of ['2001', '2003']) await lab.phone(ext).hangup(2000);
    await lab.harness.api('/api/v1/queues/tiny/agents/1003/pause', { method: 'PUT', body: JSON.stringify({ paused: false }) });
    await lab.harness.api('/api/v1/queues/closed/agents/1003/pause', { method: 'PUT', body: JSON.stringify({ paused: false }) });
  });

  test('feature codes: an agent logs in (prompt, then hang-up), takes a call, pauses, and logs out', async () => {
    const agent = lab.phone('1001');
    const login = agent.call('*31');
    await until(() => login.state === 'ended', 'the login call to end after its prompt');
    assert.equal(login.cause, 'remote-hangup', 'the IPBX answered and hung up after the prompt');
    let status = await (await lab.harness.api('/api/v1/queues/sales/status')).json() as { members: Array<{ extension: string; dynamic: boolean; status: string }> };
    assert.deepEqual(status.members.map((m) => [m.extension, m.dynamic, m.status]), [['1001', true, 'available']]);

    const caller = lab.phone('2001').call('3001');
    assert.equal(await whoRings(lab, ['1001'], 8000), '1001');
    await agent.answer(2000);
    await until(() => caller.state === 'connected', 'caller connected');
    await lab.phone('2001').hangup(2000);

    const pauseCall = agent.call('*33');
    await until(() => pauseCall.state === 'ended', 'the pause call to end');
    status = await (await lab.harness.api('/api/v1/queues/sales/status')).json() as typeof status;
    assert.equal(status.members[0]?.status, 'paused');

    const logout = agent.call('*32');
    await until(() => logout.state === 'ended', 'the logout call to end');
    status = await (await lab.harness.api('/api/v1/queues/sales/status')).json() as typeof status;
    assert.deepEqual(status.members, []);
    const log = await events('sales');
    for (const e of ['ADDMEMBER:1001', 'CONNECT:1001', 'PAUSE:1001', 'REMOVEMEMBER:1001']) assert.ok(log.includes(e), `${e} in ${log.join(' ')}`);

    // Every queue lists its agents, none of them 1004: its login is refused with 403.
    const refused = lab.phone('1004').call('*31');
    await until(() => refused.state === 'ended', 'the refused login to end');
    assert.equal(refused.status, 403);
  });

  test('the API: log in over HTTP, errors name what is wrong', async () => {
    const login = await lab.harness.api('/api/v1/queues/sales/agents', { method: 'POST', body: JSON.stringify({ extension: '1002' }) });
    assert.equal(login.status, 200);
    assert.deepEqual(await login.json(), { changes: [{ queue: 'sales', result: 'logged-in' }] });
    const notAllowed = await lab.harness.api('/api/v1/queues/sales/agents', { method: 'POST', body: JSON.stringify({ extension: '1003' }) });
    assert.equal(notAllowed.status, 403);
    assert.equal((await notAllowed.json() as { code: string }).code, 'IPBX_QUEUE_AGENT_NOT_ALLOWED');
    const staticLogout = await lab.harness.api('/api/v1/queues/tiny/agents/1003', { method: 'DELETE' });
    assert.equal(staticLogout.status, 409);
    const unknown = await lab.harness.api('/api/v1/queues/nope/agents', { method: 'POST', body: JSON.stringify({ extension: '1002' }) });
    assert.equal(unknown.status, 404);
    const badBody = await lab.harness.api('/api/v1/queues/sales/agents', { method: 'POST', body: JSON.stringify({ extension: 12 }) });
    assert.equal(badBody.status, 400);
    assert.equal((await badBody.json() as { field: string }).field, 'extension');
    const badConfig = await lab.harness.api('/api/v1/queues', { method: 'PUT', body: JSON.stringify({ queues: [{ name: 'x', strategy: 'roundrobin' }] }) });
    assert.equal(badConfig.status, 400);
    assert.match((await badConfig.json() as { field: string }).field, /strategy/);
  });
});
