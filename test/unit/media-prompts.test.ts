// The shipped prompts and music on hold, and the catalog that picks a file for (id, language):
// every prompt exists in every shipped language as an 8 kHz mono WAV with speech in it, an
// operator's folder wins over the shipped files, a missing language falls back to English, and
// configured files that are missing are refused at start with MEDIA_PROMPT_MISSING.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectTone, dominantFrequency, durationMs, readWav, rmsDb } from '../../scenarios/audio/index.ts';
import { MediaError } from '../../ipbx/media/media-error.ts';
import { PromptCatalog, SHIPPED_PROMPTS_DIR } from '../../ipbx/media/prompts/prompt-catalog.ts';
import { MUSIC_ON_HOLD_NOTES_HZ, PROMPT_IDS, PROMPT_LANGUAGES, PROMPT_SAMPLE_RATE } from '../../ipbx/media/prompts/prompt-set.ts';

function assertPromptMissing(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MediaError, String(error));
    assert.equal(error.code, 'MEDIA_PROMPT_MISSING');
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${error.message}" names ${fragment}`);
    return true;
  });
}

describe('shipped prompts', () => {
  const catalog = new PromptCatalog();

  for (const language of PROMPT_LANGUAGES) {
    test(`every prompt id is an 8 kHz mono 16-bit WAV with speech in it (${language})`, async () => {
      for (const id of PROMPT_IDS) {
        const file = catalog.promptFile(id, language);
        assert.equal(file, join(SHIPPED_PROMPTS_DIR, language, `${id}.wav`));
        const audio = await readWav(file);
        assert.equal(audio.sampleRate, PROMPT_SAMPLE_RATE, file);
        assert.equal(audio.channels, 1, file);
        const ms = durationMs(audio);
        assert.ok(ms > 200 && ms < 8000, `${file}: ${ms} ms`);
        assert.ok(rmsDb(audio.samples) > -35, `${file} is not silent: ${rmsDb(audio.samples).toFixed(1)} dBFS`);
      }
    });
  }

  test('the whole set stays small (under 1.5 MB for both languages)', () => {
    let bytes = 0;
    for (const language of PROMPT_LANGUAGES) for (const id of PROMPT_IDS) bytes += statSync(catalog.promptFile(id, language)).size;
    assert.ok(bytes < 1.5 * 1024 * 1024, `${bytes} bytes`);
  });

  test('the music on hold is a 8 kHz mono melody whose every window is one of the documented notes', async () => {
    const audio = await readWav(catalog.musicOnHoldFile());
    assert.equal(audio.sampleRate, PROMPT_SAMPLE_RATE);
    assert.equal(audio.channels, 1);
    const ms = durationMs(audio);
    assert.ok(ms >= 20_000 && ms <= 30_000, `${ms} ms`);

    const perNote = MUSIC_ON_HOLD_NOTES_HZ.map((hz) => detectTone(audio.samples, audio.sampleRate, hz, { minPresence: 0 }));
    const windowCount = perNote[0]?.windowCount ?? 0;
    let tonal = 0;
    for (let w = 0; w < windowCount; w++) if (perNote.some((d) => (d.windows[w]?.ratio ?? 0) >= 0.5)) tonal++;
    assert.ok(tonal / windowCount > 0.9, `${tonal} of ${windowCount} windows hold one of the notes`);
    for (const detection of perNote) assert.ok(detection.presence > 0.05, `every note is played: ${detection.summary}`);

    const dominant = dominantFrequency(audio.samples, audio.sampleRate, [...MUSIC_ON_HOLD_NOTES_HZ, 1000, 1500]);
    assert.ok(dominant.frequencyHz !== null && dominant.frequencyHz < 700, dominant.summary);
    for (const testTone of [1000, 1500]) assert.equal(detectTone(audio.samples, audio.sampleRate, testTone).detected, false, 'test tones are not taken for music');
  });

  test('speech is not taken for music on hold', async () => {
    const speech = await readWav(catalog.promptFile('please-hold'));
    for (const hz of MUSIC_ON_HOLD_NOTES_HZ) assert.equal(detectTone(speech.samples, speech.sampleRate, hz).detected, false, `${hz} Hz`);
  });
});

describe('PromptCatalog', () => {
  let root: string;
  let overrides: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'voiplab-prompts-'));
    overrides = join(root, 'prompts');
    mkdirSync(join(overrides, 'fr'), { recursive: true });
    mkdirSync(join(overrides, 'en'), { recursive: true });
    mkdirSync(join(overrides, 'de'), { recursive: true });
    writeFileSync(join(overrides, 'fr', 'welcome.wav'), 'RIFF');
    writeFileSync(join(overrides, 'en', 'closed.wav'), 'RIFF');
    writeFileSync(join(overrides, 'de', 'goodbye.wav'), 'RIFF');
    writeFileSync(join(overrides, 'fr', 'notes.txt'), 'not a prompt');
    writeFileSync(join(root, 'moh.wav'), 'RIFF');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a file of the same id in <dir>/<lang>/ wins over the shipped one, for that language only', () => {
    const catalog = new PromptCatalog({ overrideDir: overrides });
    assert.equal(catalog.promptFile('welcome', 'fr'), join(overrides, 'fr', 'welcome.wav'));
    assert.equal(catalog.promptFile('welcome', 'en'), join(SHIPPED_PROMPTS_DIR, 'en', 'welcome.wav'));
    assert.equal(catalog.promptFile('busy', 'fr'), join(SHIPPED_PROMPTS_DIR, 'fr', 'busy.wav'));
  });

  test('new prompt ids and languages can come from the override folder', () => {
    const catalog = new PromptCatalog({ overrideDir: overrides });
    assert.equal(catalog.promptFile('closed', 'en'), join(overrides, 'en', 'closed.wav'));
    assert.equal(catalog.promptFile('closed', 'fr'), join(overrides, 'en', 'closed.wav'), 'French falls back to the English override');
    assert.equal(catalog.promptFile('goodbye', 'de'), join(overrides, 'de', 'goodbye.wav'));
    assert.equal(catalog.has('closed'), true);
    assert.equal(catalog.has('notes'), false, 'only .wav files are prompts');
  });

  test('a language without the prompt falls back to its base language, then English; tags are case-blind', () => {
    const catalog = new PromptCatalog();
    assert.equal(catalog.promptFile('busy', 'fr-CA'), join(SHIPPED_PROMPTS_DIR, 'fr', 'busy.wav'));
    assert.equal(catalog.promptFile('busy', 'FR'), join(SHIPPED_PROMPTS_DIR, 'fr', 'busy.wav'));
    assert.equal(catalog.promptFile('busy', 'de'), join(SHIPPED_PROMPTS_DIR, 'en', 'busy.wav'));
    assert.equal(catalog.promptFile('busy', '../../etc'), join(SHIPPED_PROMPTS_DIR, 'en', 'busy.wav'), 'a tag that is not one is ignored');
    assert.equal(catalog.promptFile('busy'), join(SHIPPED_PROMPTS_DIR, 'en', 'busy.wav'));
  });

  test('an unknown id, or one that is not an id, is MEDIA_PROMPT_MISSING', () => {
    const catalog = new PromptCatalog({ overrideDir: overrides });
    assertPromptMissing(() => catalog.promptFile('closed-on-sunday', 'fr'), 'closed-on-sunday', overrides);
    assertPromptMissing(() => catalog.promptFile('../en/busy', 'fr'), 'not a prompt id');
    assert.equal(catalog.has('../en/busy'), false);
  });

  test('music on hold: the shipped melody, or the configured file', () => {
    assert.equal(new PromptCatalog().musicOnHoldFile(), join(SHIPPED_PROMPTS_DIR, 'music-on-hold.wav'));
    assert.equal(new PromptCatalog({ musicOnHoldFile: join(root, 'moh.wav') }).musicOnHoldFile(), join(root, 'moh.wav'));
  });

  test('a configured folder or file that does not exist is refused at start, naming it and its config field', () => {
    const missingDir = join(root, 'nope');
    assertPromptMissing(() => new PromptCatalog({ overrideDir: missingDir }), missingDir, 'media.prompts.dir');
    assertPromptMissing(() => new PromptCatalog({ overrideDir: join(root, 'moh.wav') }), 'not a folder');
    const missingFile = join(root, 'nope.wav');
    assertPromptMissing(() => new PromptCatalog({ musicOnHoldFile: missingFile, musicOnHoldField: 'media.musicOnHold' }), missingFile, 'media.musicOnHold');
    assertPromptMissing(() => new PromptCatalog({ musicOnHoldFile: overrides }), 'not a file');
  });

  test('a shipped folder with a prompt missing is refused (a broken install)', () => {
    const broken = join(root, 'broken');
    mkdirSync(join(broken, 'en'), { recursive: true });
    assertPromptMissing(() => new PromptCatalog({ shippedDir: broken }), join(broken, 'en'));
  });
});
