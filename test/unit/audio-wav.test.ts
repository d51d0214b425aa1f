// PCM WAV reading and writing: round trips, RIFF chunks walked (unknown ones skipped), the
// extensible header, files still being written by libsndfile, and errors that name the file.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AudioError, WavError, channel, durationMs, encodeWav, frameCount, parseWav, readWav, toMono, writeWav, type AudioErrorCode,
} from '../../scenarios/audio/index.ts';

/** A RIFF/WAVE file from chunks, each padded to an even length as RIFF requires. */
function riff(chunks: [string, Buffer][], riffSize?: number): Buffer {
  const parts = chunks.map(([id, body]) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
  });
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...parts]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(riffSize ?? body.length, 4);
  return Buffer.concat([head, body]);
}

function fmt({ tag = 1, channels = 1, rate = 8000, bits = 16, blockAlign = undefined as number | undefined } = {}): Buffer {
  blockAlign ??= channels * 2;
  const b = Buffer.alloc(16);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * blockAlign, 8);
  b.writeUInt16LE(blockAlign, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

function pcm(...samples: number[]): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
}

function assertWavError(run: () => unknown, code: AudioErrorCode, message: RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof WavError, `not a WavError: ${String(err)}`);
    assert.ok(err instanceof AudioError);
    assert.equal(err.code, code, err.message);
    assert.equal(err.file, 'bad.wav');
    assert.match(err.message, /^bad\.wav: /);
    assert.match(err.message, message);
    return true;
  });
}

describe('WAV round trips', () => {
  test('mono 8 kHz: encode → parse gives the same samples, extremes included', () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 12345, -12345]);
    const bytes = encodeWav({ sampleRate: 8000, channels: 1, samples });
    assert.equal(bytes.length, 44 + samples.length * 2);
    const audio = parseWav(bytes);
    assert.equal(audio.sampleRate, 8000);
    assert.equal(audio.channels, 1);
    assert.deepEqual([...audio.samples], [...samples]);
  });

  test('stereo 44.1 kHz: channels are interleaved, and split back out', () => {
    const samples = Int16Array.from([1, -1, 2, -2, 3, -3]);
    const audio = parseWav(encodeWav({ sampleRate: 44100, channels: 2, samples }));
    assert.equal(audio.sampleRate, 44100);
    assert.equal(frameCount(audio), 3);
    assert.deepEqual([...channel(audio, 0)], [1, 2, 3]);
    assert.deepEqual([...channel(audio, 1)], [-1, -2, -3]);
    assert.deepEqual([...toMono(audio)], [0, 0, 0]);
    assert.throws(() => channel(audio, 2), /channel 2 does not exist: the audio has 2 channel/);
  });

  test('writeWav → readWav through a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voiplab-wav-'));
    try {
      const path = join(dir, 'x.wav');
      await writeWav(path, { sampleRate: 16000, channels: 1, samples: Int16Array.from({ length: 1600 }, (_, i) => i) });
      const audio = await readWav(path);
      assert.equal(durationMs(audio), 100);
      assert.equal(audio.samples[1599], 1599);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('encodeWav refuses a sample count that is not whole frames', () => {
    assert.throws(() => encodeWav({ sampleRate: 8000, channels: 2, samples: new Int16Array(3) }, 'out.wav'),
      (err: unknown) => err instanceof WavError && err.code === 'SCENARIO_WAV_BAD_AUDIO' && /^out\.wav: 3 samples/.test(err.message));
  });
});

describe('RIFF chunks', () => {
  test('unknown chunks before, between and after are skipped, odd sizes with their pad byte', () => {
    const bytes = riff([
      ['LIST', Buffer.from('INFOISFT\x05\x00\x00\x00sox!!\x00', 'latin1')],
      ['fmt ', fmt()],
      ['odd ', Buffer.from([1, 2, 3])], // 3 bytes + 1 pad byte
      ['data', pcm(100, -200, 300)],
      ['id3 ', Buffer.from('tail')],
    ]);
    assert.deepEqual([...parseWav(bytes).samples], [100, -200, 300]);
  });

  test('an fmt chunk longer than 16 bytes (cbSize) is read', () => {
    const long = Buffer.concat([fmt({ rate: 22050 }), Buffer.from([0, 0])]);
    const audio = parseWav(riff([['fmt ', long], ['data', pcm(7)]]));
    assert.equal(audio.sampleRate, 22050);
    assert.deepEqual([...audio.samples], [7]);
  });

  test('WAVE_FORMAT_EXTENSIBLE with the PCM sub-format is read; with the float sub-format refused', () => {
    const extensible = (subTag: number) => {
      const b = Buffer.alloc(40);
      fmt({ tag: 0xfffe, channels: 2 }).copy(b);
      b.writeUInt16LE(22, 16);
      b.writeUInt16LE(16, 18);
      b.writeUInt32LE(3, 20);
      b.writeUInt16LE(subTag, 24);
      Buffer.from('000000001000800000aa00389b71', 'hex').copy(b, 26);
      return b;
    };
    assert.deepEqual([...parseWav(riff([['fmt ', extensible(1)], ['data', pcm(1, 2)]])).samples], [1, 2]);
    assertWavError(() => parseWav(riff([['fmt ', extensible(3)], ['data', pcm(1, 2)]]), 'bad.wav'), 'SCENARIO_WAV_UNSUPPORTED', /0x0003 is not integer PCM/);
  });
});

describe('bad files are refused with a code and the file name', () => {
  test('not RIFF, big-endian RIFX, not WAVE, too short', () => {
    assertWavError(() => parseWav(Buffer.from('ID3\x04 this is an mp3 file', 'latin1'), 'bad.wav'), 'SCENARIO_WAV_NOT_RIFF', /does not start with "RIFF"/);
    const rifx = riff([['fmt ', fmt()], ['data', pcm(1)]]);
    rifx.write('RIFX', 0, 'latin1');
    assertWavError(() => parseWav(rifx, 'bad.wav'), 'SCENARIO_WAV_NOT_RIFF', /RIFX files are not supported/);
    const avi = riff([['avih', Buffer.alloc(8)]]);
    avi.write('AVI ', 8, 'latin1');
    assertWavError(() => parseWav(avi, 'bad.wav'), 'SCENARIO_WAV_NOT_WAVE', /form is "AVI "/);
    assertWavError(() => parseWav(Buffer.from('RIFF'), 'bad.wav'), 'SCENARIO_WAV_TRUNCATED', /4 bytes is shorter/);
  });

  test('a file cut short inside the data chunk', () => {
    const whole = riff([['fmt ', fmt()], ['data', pcm(1, 2, 3, 4)]]);
    assertWavError(() => parseWav(whole.subarray(0, whole.length - 3), 'bad.wav'), 'SCENARIO_WAV_TRUNCATED', /declares 52 bytes but the file has 49/);
    // The RIFF size agrees with the file, the data chunk does not.
    const liar = riff([['fmt ', fmt()], ['data', pcm(1, 2)]]);
    liar.writeUInt32LE(400, 40);
    assertWavError(() => parseWav(liar, 'bad.wav'), 'SCENARIO_WAV_TRUNCATED', /chunk "data" at byte 36 declares 400 bytes but only 4 remain/);
  });

  test('missing chunks, unsupported encodings, inconsistent fmt', () => {
    assertWavError(() => parseWav(riff([['data', pcm(1)]]), 'bad.wav'), 'SCENARIO_WAV_NO_FMT', /no "fmt " chunk/);
    assertWavError(() => parseWav(riff([['fmt ', fmt()]]), 'bad.wav'), 'SCENARIO_WAV_NO_DATA', /no "data" chunk/);
    assertWavError(() => parseWav(riff([['fmt ', fmt({ bits: 8, blockAlign: 1 })], ['data', pcm(1)]]), 'bad.wav'), 'SCENARIO_WAV_UNSUPPORTED', /8-bit samples/);
    assertWavError(() => parseWav(riff([['fmt ', fmt({ tag: 7, bits: 8 })], ['data', pcm(1)]]), 'bad.wav'), 'SCENARIO_WAV_UNSUPPORTED', /0x0007/);
    assertWavError(() => parseWav(riff([['fmt ', fmt({ blockAlign: 4 })], ['data', pcm(1, 2)]]), 'bad.wav'), 'SCENARIO_WAV_BAD_FMT', /block align 4/);
    assertWavError(() => parseWav(riff([['fmt ', fmt({ rate: 0 })], ['data', pcm(1)]]), 'bad.wav'), 'SCENARIO_WAV_BAD_FMT', /sample rate 0/);
    assertWavError(() => parseWav(riff([['fmt ', Buffer.alloc(12)], ['data', pcm(1)]]), 'bad.wav'), 'SCENARIO_WAV_BAD_FMT', /12 bytes/);
    assertWavError(() => parseWav(riff([['fmt ', fmt({ channels: 2 })], ['data', pcm(1, 2, 3)]]), 'bad.wav'), 'SCENARIO_WAV_TRUNCATED', /not a whole number of 4-byte frames/);
  });

  test('readWav names the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voiplab-wav-'));
    try {
      const path = join(dir, 'notes.txt');
      writeFileSync(path, 'hello, not audio');
      await assert.rejects(readWav(path), (err: unknown) => err instanceof WavError && err.file === path && err.message.startsWith(`${path}: `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('files still being written (libsndfile fills sizes in on close)', () => {
  // What baresip's sndfile module leaves on disk during a call: RIFF size 8, data size 0.
  const unfinished = () => {
    const bytes = riff([['fmt ', fmt()], ['data', Buffer.alloc(0)]], 8);
    return Buffer.concat([bytes, pcm(5, 6, 7), Buffer.from([9])]); // and half a frame being written
  };

  test('are refused by default, with a hint', () => {
    assertWavError(() => parseWav(unfinished(), 'bad.wav'), 'SCENARIO_WAV_UNFINISHED', /still being written.*allowUnfinished/);
  });

  test('are read to the last whole frame with allowUnfinished', () => {
    assert.deepEqual([...parseWav(unfinished(), 'rec.wav', { allowUnfinished: true }).samples], [5, 6, 7]);
  });

  test('allowUnfinished reads a finished file the same', () => {
    const bytes = riff([['fmt ', fmt()], ['data', pcm(1, 2)], ['LIST', Buffer.alloc(4)]]);
    assert.deepEqual([...parseWav(bytes, 'x.wav', { allowUnfinished: true }).samples], [1, 2]);
  });
});
