// What a waiting caller is told: "you are caller number N" at joining and then every
// `announce.every` seconds, with music between. The prompts are replaced here (media.prompts.dir)
// by pure tones, so that a tone detector can tell which prompt played: queue-position = 1000 Hz,
// digit-1 = 1250 Hz, digit-2 = 1750 Hz. Two callers wait (members paused): the first hears
// position 1, the second position 2, then the music, then the announcement again.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sine, toInt16 } from '../../scenarios/audio/synth.ts';
import { encodeWav } from '../../scenarios/audio/wav.ts';
import { hears, hearsMusic, startQueueLab, until, type QueueLab } from '../helpers/queue-lab.ts';

const PROMPT_TONES: Record<string, number> = { 'queue-position': 1000, 'digit-1': 1250, 'digit-2': 1750 };

function tonePrompts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'voiplab-prompts-'));
  mkdirSync(join(dir, 'en'));
  for (const [id, hz] of Object.entries(PROMPT_TONES)) {
    const samples = toInt16(sine({ frequencyHz: hz, sampleRate: 8000, durationMs: 1200, amplitude: 0.4 }));
    writeFileSync(join(dir, 'en', `${id}.wav`), encodeWav({ sampleRate: 8000, channels: 1, samples }));
  }
  return dir;
}

describe('queue announcements', { timeout: 120_000 }, () => {
  let lab: QueueLab;
  before(async () => {
    lab = await startQueueLab({
      queues: [{ name: 'support', members: ['1001'], announce: { every: 6, position: true, waitTime: true } }],
      dialplan: [{ match: '3000', action: { type: 'queue', queue: 'support' } }],
      registered: ['1001', '2001', '2002'],
      media: { prompts: { dir: tonePrompts() } },
    });
    await lab.harness.api('/api/v1/queues/support/agents/1001/pause', { method: 'PUT', body: JSON.stringify({ paused: true }) });
  });
  after(async () => lab.close());

  test('each caller hears its own position, then the music, then its position again', async () => {
    const first = lab.phone('2001');
    const firstCall = first.call('3000');
    await until(() => firstCall.state === 'connected', 'the first caller answered by the IPBX');
    await until(() => hears(first, PROMPT_TONES['queue-position'] ?? 0, 400), '"you are caller number" at the first caller');
    await until(() => hears(first, PROMPT_TONES['digit-1'] ?? 0, 400), '"one" at the first caller');

    const second = lab.phone('2002');
    const secondCall = second.call('3000');
    await until(() => secondCall.state === 'connected', 'the second caller answered by the IPBX');
    await until(() => hears(second, PROMPT_TONES['queue-position'] ?? 0, 400), '"you are caller number" at the second caller');
    await until(() => hears(second, PROMPT_TONES['digit-2'] ?? 0, 400), '"two" at the second caller');
    assert.ok(!hears(second, PROMPT_TONES['digit-1'] ?? 0, 400), 'the second caller is not told "one"');

    // Between announcements: the music; then the announcement comes round again (every 6 s).
    await until(() => hearsMusic(first), 'music at the first caller after its announcement', 10_000);
    await until(() => hears(first, PROMPT_TONES['queue-position'] ?? 0, 400), 'the first caller\'s next announcement', 12_000);
    for (const phone of [first, second]) await phone.hangup(2000);
  });
});
