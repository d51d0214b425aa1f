// Each queue strategy on real SIP: a sequence of calls from one caller to a queue of three
// emulated agents who answer when they ring, and the agents the calls land on. Expected as
// Asterisk's app_queue: linear always starts at the first member; rrmemory and fewestcalls go
// round; leastrecent picks who finished longest ago; ringall rings everyone; random lands on
// members only. A member who rejects, or is in wrap-up, is passed over without the caller losing
// its place.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pause, startQueueLab, until, whoRings, type QueueLab } from '../helpers/queue-lab.ts';

const MEMBERS = ['1001', '1002', '1003'];
const STRATEGIES = ['linear', 'rrmemory', 'fewestcalls', 'leastrecent', 'random', 'ringall'] as const;

describe('queue strategies', { timeout: 240_000 }, () => {
  let lab: QueueLab;
  before(async () => {
    lab = await startQueueLab({
      queues: [
        ...STRATEGIES.map((strategy) => ({ name: `q-${strategy}`, strategy, members: MEMBERS, memberTimeout: 3, retryDelay: 0, announce: { every: 0 } })),
        { name: 'q-wrapup', strategy: 'linear', members: MEMBERS, memberTimeout: 3, retryDelay: 0, wrapUp: 30, announce: { every: 0 } },
      ],
      dialplan: [
        ...STRATEGIES.map((strategy, i) => ({ match: `300${i}`, action: { type: 'queue', queue: `q-${strategy}` } })),
        { match: '3009', action: { type: 'queue', queue: 'q-wrapup' } },
      ],
      registered: [...MEMBERS, '2001'],
    });
  });
  after(async () => lab.close());

  /** One call to `number`: who rang first, then the caller talks briefly to whoever answers and hangs up. */
  async function oneCall(number: string, answerer?: (ringing: string) => string): Promise<string> {
    const caller = lab.phone('2001');
    const call = caller.call(number);
    await until(() => call.state === 'connected', 'the IPBX answering the caller');
    const ringing = await whoRings(lab, MEMBERS, 8000);
    const agent = answerer?.(ringing) ?? ringing.split('+')[0] ?? '';
    await lab.phone(agent).answer(2000);
    await until(() => lab.phone(agent).currentCall?.state === 'connected', `${agent} connected`);
    await caller.hangup(2000);
    await until(() => MEMBERS.every((m) => lab.phone(m).currentCall === undefined || lab.phone(m).currentCall?.state === 'ended'), 'every member idle');
    // The queue sees the member free again only after the call has ended on the IPBX.
    await until(async () => {
      const body = await (await lab.harness.api('/api/v1/queues/status')).json() as { queues: Array<{ members: Array<{ status: string }> }> };
      return body.queues.every((q) => q.members.every((m) => m.status !== 'in-call' && m.status !== 'ringing'));
    }, 'members available again');
    return ringing;
  }

  const expected: Record<string, string[]> = {
    linear: ['1001', '1001', '1001', '1001'],
    rrmemory: ['1001', '1002', '1003', '1001'],
    fewestcalls: ['1001', '1002', '1003', '1001'],
    leastrecent: ['1001', '1002', '1003', '1001'],
  };
  for (const [strategy, landings] of Object.entries(expected)) {
    test(`${strategy}: calls land on ${landings.join(', ')}`, async () => {
      const number = `300${STRATEGIES.indexOf(strategy as (typeof STRATEGIES)[number])}`;
      const rung: string[] = [];
      for (let i = 0; i < landings.length; i++) rung.push(await oneCall(number));
      assert.deepEqual(rung, landings);
    });
  }

  test('random: each call rings exactly one member', async () => {
    for (let i = 0; i < 3; i++) {
      const rung = await oneCall('3004');
      assert.ok(MEMBERS.includes(rung), `one member rang: ${rung}`);
    }
  });

  test('ringall: every member rings at once, the first to answer takes the call', async () => {
    const rung = await oneCall('3005', () => '1003');
    // The check can catch the INVITEs half sent; all three must have rung by the answer.
    assert.ok(rung.split('+').length >= 1);
    const status = await (await lab.harness.api('/api/v1/queues/q-ringall/status')).json() as { members: Array<{ extension: string; answered: number }> };
    assert.deepEqual(status.members.map((m) => [m.extension, m.answered]), [['1001', 0], ['1002', 0], ['1003', 1]]);
    for (const m of MEMBERS) assert.ok(lab.phone(m).calls.length > 0, `${m} rang`);
  });

  test('a member who rejects hands the caller on to the next one, the caller keeping its place', async () => {
    const caller = lab.phone('2001');
    const call = caller.call('3000');
    await until(() => call.state === 'connected', 'the IPBX answering the caller');
    assert.equal(await whoRings(lab, MEMBERS, 8000), '1001');
    await lab.phone('1001').reject(486, 2000);
    assert.equal(await whoRings(lab, ['1002', '1003'], 8000), '1002');
    await lab.phone('1002').answer(2000);
    await caller.hangup(2000);
    const log = await (await lab.harness.api('/api/v1/queues/log?queue=q-linear')).json() as { items: Array<{ event: string; agent: string | null; data: Record<string, unknown> }> };
    const missed = log.items.filter((e) => e.event === 'RINGNOANSWER');
    assert.deepEqual(missed.map((e) => [e.agent, e.data['reason']]), [['1001', 'busy']]);
    await pause(300);
  });

  test('wrap-up: the member who just took a call is passed over until its wrap-up time ends', async () => {
    assert.equal(await oneCall('3009'), '1001');
    // linear would ring 1001 again; it is wrapping up (30 s), so 1002 rings.
    assert.equal(await oneCall('3009'), '1002');
    const status = await (await lab.harness.api('/api/v1/queues/q-wrapup/status')).json() as { members: Array<{ extension: string; status: string }> };
    assert.deepEqual(status.members.map((m) => m.status), ['wrap-up', 'wrap-up', 'available']);
  });
});
