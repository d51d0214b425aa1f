// The prompts voiplab ships (scripts/gen-prompts.sh makes them): their stable ids, the languages
// they exist in, and the recipe of the default music on hold, so tests and features name them
// from one place.

/** Prompt ids, stable: the dialplan (`announcement.prompt`) and features refer to them. */
export const PROMPT_IDS = [
  'welcome', 'please-hold', 'unavailable', 'busy', 'invalid-number', 'goodbye',
  'queue-position', 'queue-wait', 'queue-full', 'recording-notice', 'minutes', 'seconds',
  'agent-logged-in', 'agent-logged-out', 'agent-paused', 'agent-unpaused',
  'digit-0', 'digit-1', 'digit-2', 'digit-3', 'digit-4', 'digit-5', 'digit-6', 'digit-7', 'digit-8', 'digit-9',
] as const;
export type PromptId = (typeof PROMPT_IDS)[number];

/** Languages the shipped prompts exist in; any other falls back to the default language. */
export const PROMPT_LANGUAGES = ['en', 'fr'] as const;
export const DEFAULT_PROMPT_LANGUAGE = 'en';

/** Format of every shipped file: what rtpengine plays and G.711 carries without resampling. */
export const PROMPT_SAMPLE_RATE = 8000;

/**
 * Frequencies (Hz) of the notes of the default music on hold (A4, C5, D5, E5, pure sines): every
 * note of the melody is one of them, so a Goertzel detector can tell it apart from speech or a
 * test tone. 0.5 s notes, 20 s in all, then it repeats.
 */
export const MUSIC_ON_HOLD_NOTES_HZ = [440, 523.25, 587.33, 659.26] as const;
export const MUSIC_ON_HOLD_NOTE_MS = 500;
