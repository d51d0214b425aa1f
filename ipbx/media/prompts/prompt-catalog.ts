// Which WAV file to play for a prompt id in a caller's language. An operator's folder of
// replacements comes first (`<dir>/<lang>/<id>.wav`), then the prompts voiplab ships; a language
// without the prompt falls back to its base language (fr-CA → fr), then to English.
//
// The folders are listed once, when the catalog is built (at start, or on a config reload that
// builds a new one): resolving a prompt during a call then touches no disk, and a configured
// file or folder that is missing is reported at start rather than in the middle of a call.

import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MediaError } from '../media-error.ts';
import { DEFAULT_PROMPT_LANGUAGE, PROMPT_IDS, PROMPT_LANGUAGES } from './prompt-set.ts';

/** The folder of the shipped prompts (this file's folder). */
export const SHIPPED_PROMPTS_DIR = fileURLToPath(new URL('.', import.meta.url));
const MUSIC_ON_HOLD_NAME = 'music-on-hold.wav';

// Ids and language tags become path segments: nothing that could climb out of the folder.
const PROMPT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const LANGUAGE_PATTERN = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/;

export interface PromptCatalogOptions {
  /** Folder of replacement prompts, laid out `<lang>/<id>.wav`; absolute, or relative to the working directory. */
  overrideDir?: string | undefined;
  /** A WAV file that replaces the shipped music on hold. */
  musicOnHoldFile?: string | undefined;
  /** The config fields these come from, quoted in errors (defaults: media.prompts.dir, media.musicOnHold.file). */
  overrideDirField?: string | undefined;
  musicOnHoldField?: string | undefined;
  /** The shipped prompts (tests point elsewhere); SHIPPED_PROMPTS_DIR by default. */
  shippedDir?: string | undefined;
}

/** `.wav` files per language folder: lang → ids. */
type PromptIndex = Map<string, Set<string>>;

export class PromptCatalog {
  readonly #overrideDir: string | undefined;
  readonly #shippedDir: string;
  readonly #musicOnHold: string;
  readonly #overrides: PromptIndex;
  readonly #shipped: PromptIndex;

  /** Lists the folders and checks every configured file; throws MEDIA_PROMPT_MISSING naming the file and the config field. */
  constructor(options: PromptCatalogOptions = {}) {
    this.#shippedDir = resolve(options.shippedDir ?? SHIPPED_PROMPTS_DIR);
    this.#shipped = indexFolder(this.#shippedDir);
    for (const language of PROMPT_LANGUAGES) {
      for (const id of PROMPT_IDS) {
        if (this.#shipped.get(language)?.has(id) !== true) {
          throw new MediaError('MEDIA_PROMPT_MISSING', `shipped prompt ${join(this.#shippedDir, language, `${id}.wav`)} is missing (a broken install: restore it, or run scripts/gen-prompts.sh)`);
        }
      }
    }

    if (options.overrideDir === undefined) {
      this.#overrideDir = undefined;
      this.#overrides = new Map();
    } else {
      const field = options.overrideDirField ?? 'media.prompts.dir';
      this.#overrideDir = resolve(options.overrideDir);
      if (!isDirectory(this.#overrideDir)) throw new MediaError('MEDIA_PROMPT_MISSING', `${field}: prompt folder ${this.#overrideDir} does not exist or is not a folder`);
      this.#overrides = indexFolder(this.#overrideDir);
    }

    if (options.musicOnHoldFile === undefined) {
      this.#musicOnHold = join(this.#shippedDir, MUSIC_ON_HOLD_NAME);
      if (!isFile(this.#musicOnHold)) throw new MediaError('MEDIA_PROMPT_MISSING', `shipped music on hold ${this.#musicOnHold} is missing (a broken install: restore it, or run scripts/gen-prompts.sh)`);
    } else {
      const field = options.musicOnHoldField ?? 'media.musicOnHold.file';
      this.#musicOnHold = resolve(options.musicOnHoldFile);
      if (!isFile(this.#musicOnHold)) throw new MediaError('MEDIA_PROMPT_MISSING', `${field}: music on hold file ${this.#musicOnHold} does not exist or is not a file`);
    }
  }

  /**
   * Absolute path of the WAV to play for `promptId` in `language` (a tag such as `fr` or `fr-CA`,
   * any case): the override folder first, then the shipped prompts, for the language, its base
   * language, then English. Throws MEDIA_PROMPT_MISSING when no folder has it.
   */
  promptFile(promptId: string, language: string = DEFAULT_PROMPT_LANGUAGE): string {
    const found = this.#find(promptId, language);
    if (found !== undefined) return found;
    const folders = [this.#overrideDir, this.#shippedDir].filter((d) => d !== undefined).join(' and ');
    throw new MediaError('MEDIA_PROMPT_MISSING', PROMPT_ID_PATTERN.test(promptId)
      ? `no prompt "${promptId}" for language ${language} (nor ${DEFAULT_PROMPT_LANGUAGE}) in ${folders}`
      : `"${promptId}" is not a prompt id (lower-case letters, digits, - and _, at most 64)`);
  }

  /** Whether promptFile() would find the prompt (a dialplan check, for instance). */
  has(promptId: string, language: string = DEFAULT_PROMPT_LANGUAGE): boolean {
    return this.#find(promptId, language) !== undefined;
  }

  /** Absolute path of the music on hold: the configured file, or the shipped melody. */
  musicOnHoldFile(): string {
    return this.#musicOnHold;
  }

  #find(promptId: string, language: string): string | undefined {
    if (!PROMPT_ID_PATTERN.test(promptId)) return undefined;
    for (const lang of languageChain(language)) {
      if (this.#overrideDir !== undefined && this.#overrides.get(lang)?.has(promptId) === true) return join(this.#overrideDir, lang, `${promptId}.wav`);
      if (this.#shipped.get(lang)?.has(promptId) === true) return join(this.#shippedDir, lang, `${promptId}.wav`);
    }
    return undefined;
  }
}

/** `fr-CA` → fr-ca, fr, en: the tag, each shorter prefix, then the default language. */
function languageChain(language: string): string[] {
  const tag = language.toLowerCase();
  const chain: string[] = [];
  if (LANGUAGE_PATTERN.test(tag)) {
    const parts = tag.split('-');
    for (let n = parts.length; n > 0; n--) chain.push(parts.slice(0, n).join('-'));
  }
  if (!chain.includes(DEFAULT_PROMPT_LANGUAGE)) chain.push(DEFAULT_PROMPT_LANGUAGE);
  return chain;
}

function indexFolder(dir: string): PromptIndex {
  const index: PromptIndex = new Map();
  // Language folders are lower-case (en, fr, fr-ca), as languageChain() looks them up.
  for (const language of safeList(dir)) {
    if (!LANGUAGE_PATTERN.test(language) || !isDirectory(join(dir, language))) continue;
    const ids = new Set<string>();
    for (const name of safeList(join(dir, language))) {
      if (!name.endsWith('.wav')) continue;
      const id = name.slice(0, -'.wav'.length);
      if (PROMPT_ID_PATTERN.test(id) && isFile(join(dir, language, name))) ids.add(id);
    }
    index.set(language, ids);
  }
  return index;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
