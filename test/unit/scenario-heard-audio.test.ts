// How a baresip phone's "what it heard lately" is read: GrowthLog (when a growing file's bytes
// arrived) and HeardAudioWatch on a real WAV written the way libsndfile writes one during a call
// (data size 0 in the header, samples appended as they come).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { detectTone, encodeWav, sine, toInt16 } from '../../scenarios/audio/index.ts';
import { GrowthLog } from '../../scenarios/runner/phones/growth-log.ts';
import { HeardAudioWatch } from '../../scenarios/runner/phones/heard-audio-watch.ts';

test('GrowthLog: the size at a moment is the last change at or before it; growth after a moment is found', () => {
  const log = new GrowthLog();
  log.note(100, 44);
  log.note(150, 44);
  log.note(200, 1644);
  log.note(250, 3244);
  assert.equal(log.sizeAt(99), undefined);
  assert.equal(log.sizeAt(100), 44);
  assert.equal(log.sizeAt(199), 44);
  assert.equal(log.sizeAt(260), 3244);
  assert.equal(log.firstGrowthAfter(120), 200);
  assert.equal(log.firstGrowthAfter(250), undefined);
  assert.equal(log.since, 100);
  assert.throws(() => log.note(240, 4000), /before the last note/);
});

test('GrowthLog: old notes are dropped, but the one a window starts on is kept', () => {
  const log = new GrowthLog(1000);
  for (let t = 0; t <= 5000; t += 100) log.note(t, t);
  assert.equal(log.sizeAt(3900), 3900);
  assert.equal(log.sizeAt(1000), undefined, 'notes older than the kept span are gone');
});

/** A WAV header as libsndfile leaves it during a call: the RIFF and data sizes not filled in. */
function unfinishedHeader(sampleRate: number): Buffer {
  const header = encodeWav({ sampleRate, channels: 1, samples: new Int16Array(0) });
  header.writeUInt32LE(0, 4);
  header.writeUInt32LE(0, 40);
  return header;
}

function tone(frequencyHz: number, durationMs: number): Buffer {
  const samples = toInt16(sine({ frequencyHz, sampleRate: 8000, durationMs, amplitude: 0.3 }));
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

test('HeardAudioWatch: the latest window holds what arrived in it; a file that stops growing gives no audio', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'voiplab-heard-'));
  const path = join(dir, 'dump-dec.wav');
  const watch = new HeardAudioWatch(() => [path].filter(() => recording));
  let recording = false;
  try {
    assert.equal(await watch.latest(300), undefined, 'nothing before a recording exists');
    writeFileSync(path, unfinishedHeader(8000));
    recording = true;
    // Each latest() samples the file's size first, so each append is noted as it happens.
    appendFileSync(path, tone(1000, 400));
    assert.equal((await watch.latest(150))?.samples.length, 3200);
    await delay(200);
    appendFileSync(path, tone(1500, 400));
    const latest = await watch.latest(150);
    assert.ok(latest !== undefined);
    assert.equal(latest.sampleRate, 8000);
    // Only the 1500 Hz part arrived in the last 150 ms: the 1000 Hz one is 200 ms older.
    assert.equal(latest.samples.length, 3200);
    assert.ok(detectTone(latest.samples, 8000, 1500).detected);
    assert.ok(!detectTone(latest.samples, 8000, 1000).detected);
    // Long after the last append, the window holds nothing: no audio arrived in it.
    await delay(400);
    assert.equal((await watch.latest(200))?.samples.length, 0);
    assert.ok((watch.firstAudioAfter(0) ?? Infinity) < performance.now());
  } finally {
    watch.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
