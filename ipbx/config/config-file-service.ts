// The ConfigService of `voiplab serve` and `voiplab account`: the config lives in voiplab.yaml.
// Every change is applied to a copy of the YAML Document, validated as a whole, written back
// atomically (comments kept, passwords as HA1 only), then adopted and announced with `changed`.
// Changes are serialized, and each first picks up edits made to the file since the last read.

import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Document } from 'yaml';
import type { Account } from '../accounts/account.ts';
import type { DialplanRule, GroupConfig, QueueConfig, VoiplabConfig } from './config-schema.ts';
import type { AccountInput, AccountPatch, ConfigService, ConfigServiceEvents } from './config-service.ts';
import { ConfigError, configError, formatIssue, type ConfigIssue } from './config-errors.ts';
import { loadConfig, parseConfigText, type LoadedConfig } from './load-config.ts';
import { validateConfigData } from './validate-config.ts';
import { yamlLocator } from './yaml-locate.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { ConfigAccountDirectory, toAccount } from './account-directory.ts';
import { appendItem, deleteField, patchItem, removeItem, replaceList, replacePasswordsWithHa1 } from './config-document-edits.ts';

export interface ConfigFileServiceOptions {
  /** Reload notices and the file:line errors of a rejected edit; defaults to stderr. */
  log?: (line: string) => void;
  /** Quiet time after the last file event before reloading (editors write in several steps). */
  watchDebounceMs?: number;
}

/** An edit of the Document; `focus` is the index of the account it concerns, to name fields as the input does. */
type Edit = (doc: Document, config: VoiplabConfig) => { focus?: number } | void;

export class ConfigFileService extends EventEmitter<ConfigServiceEvents> implements ConfigService {
  readonly file: string;
  readonly accounts: ConfigAccountDirectory;
  #loaded: LoadedConfig;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #log: (line: string) => void;
  readonly #debounceMs: number;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  static async open(file: string, options: ConfigFileServiceOptions = {}): Promise<ConfigFileService> {
    return new ConfigFileService(await loadConfig(file), options);
  }

  constructor(loaded: LoadedConfig, options: ConfigFileServiceOptions = {}) {
    super();
    this.file = loaded.file;
    this.#loaded = loaded;
    this.accounts = new ConfigAccountDirectory(loaded.config);
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.#debounceMs = options.watchDebounceMs ?? 200;
  }

  get current(): VoiplabConfig {
    return this.#loaded.config;
  }

  createAccount(input: AccountInput): Promise<Account> {
    return this.#serial(async () => {
      await this.#syncFromDisk();
      if (this.current.accounts.some((a) => a.extension === input.extension)) {
        throw configError('IPBX_ACCOUNT_EXISTS', this.file, 'extension', `an account with extension ${input.extension} already exists`);
      }
      const { extension, displayName, password, enabled, transports, maxContacts } = input;
      await this.#apply((doc, config) => {
        appendItem(doc, 'accounts', { extension, displayName, password, enabled, transports, maxContacts });
        return { focus: config.accounts.length };
      });
      return this.#account(extension);
    });
  }

  updateAccount(extension: string, patch: AccountPatch): Promise<Account> {
    return this.#serial(async () => {
      await this.#syncFromDisk();
      const index = this.#indexOf(extension);
      if (index < 0) throw configError('IPBX_ACCOUNT_NOT_FOUND', this.file, 'extension', `no account has extension ${extension}`);
      const { displayName, password, enabled, transports, maxContacts } = patch;
      await this.#apply((doc) => {
        patchItem(doc, 'accounts', index, { displayName, password, enabled, transports, maxContacts });
        if (password !== undefined) deleteField(doc, 'accounts', index, 'ha1');
        return { focus: index };
      });
      return this.#account(extension);
    });
  }

  removeAccount(extension: string): Promise<boolean> {
    return this.#serial(async () => {
      await this.#syncFromDisk();
      const index = this.#indexOf(extension);
      if (index < 0) return false;
      await this.#apply((doc) => removeItem(doc, 'accounts', index));
      return true;
    });
  }

  replaceDialplan(rules: DialplanRule[]): Promise<void> {
    return this.#serial(async () => {
      await this.#syncFromDisk();
      await this.#apply((doc, config) => replaceList(doc, 'dialplan', rules, config.dialplan));
    });
  }

  replaceGroups(groups: GroupConfig[]): Promise<void> {
    return this.#serial(async () => {
      await this.#syncFromDisk();
      await this.#apply((doc, config) => replaceList(doc, 'groups', groups, config.groups));
    });
  }

  replaceQueues(queues: QueueConfig[]): Promise<void> {
    return this.#serial(async () => {
      await this.#syncFromDisk();
      await this.#apply((doc, config) => replaceList(doc, 'queues', queues, config.queues));
    });
  }

  /** Stores the API's admin token in the file (first run without VOIPLAB_ADMIN_TOKEN). */
  setAdminToken(token: string): Promise<void> {
    return this.#serial(async () => {
      await this.#syncFromDisk();
      await this.#apply((doc) => void doc.setIn(['security', 'adminToken'], token));
    });
  }

  /**
   * Reads the file now. True when a new config was adopted; false when nothing changed or the
   * file is invalid, in which case the running config stays and the errors go to the log.
   */
  reload(): Promise<boolean> {
    return this.#serial(async () => {
      try {
        return await this.#syncFromDisk();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const issue of err.issues) this.#log(formatIssue(issue));
        this.#log(`${this.file}: not reloaded, the running configuration stays in use`);
        return false;
      }
    });
  }

  /** Reloads when the file changes on disk. Watches the folder: atomic saves replace the file's inode. */
  watch(): void {
    if (this.#watcher !== undefined) return;
    const name = basename(this.file);
    this.#watcher = watch(dirname(this.file), (_event, changed) => {
      if (changed !== name) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.reload().catch((err: unknown) => this.#log(`${this.file}: reload failed: ${String(err)}`)), this.#debounceMs);
    });
    this.#watcher.on('error', (err) => this.#log(`${this.file}: file watch failed: ${err.message}`));
  }

  /** Stops watching; idempotent. Changes through the methods still work. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #indexOf(extension: string): number {
    return this.current.accounts.findIndex((a) => a.extension === extension);
  }

  #account(extension: string): Account {
    const found = this.current.accounts.find((a) => a.extension === extension);
    if (found === undefined) throw configError('IPBX_ACCOUNT_NOT_FOUND', this.file, 'extension', `no account has extension ${extension}`);
    return toAccount(found);
  }

  /** Adopts edits made to the file since the last read; a broken file blocks changes rather than being overwritten. */
  async #syncFromDisk(): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // the next write recreates it
      throw configError('IPBX_CONFIG_UNREADABLE', this.file, '', `cannot read the config file: ${(err as Error).message}`, { cause: err });
    }
    if (text === this.#loaded.text) return false;
    return this.#adopt(parseConfigText(text, this.file));
  }

  async #apply(edit: Edit): Promise<void> {
    const doc = this.#loaded.document.clone();
    const focus = edit(doc, this.current)?.focus;
    const result = validateConfigData(doc.toJS(), this.file, yamlLocator(doc, this.#loaded.lineCounter));
    if (!result.ok) throw new ConfigError('IPBX_CONFIG_INVALID', result.issues.map((i) => relabel(i, focus)));
    replacePasswordsWithHa1(doc, result.config.domain);
    const text = doc.toString({ lineWidth: 0 });
    try {
      await writeFileAtomic(this.file, text);
    } catch (err) {
      throw configError('IPBX_CONFIG_UNREADABLE', this.file, '', `cannot write the config file: ${(err as Error).message}`, { cause: err });
    }
    this.#adopt(parseConfigText(text, this.file));
  }

  #adopt(loaded: LoadedConfig): boolean {
    const previous = this.#loaded.config;
    this.#loaded = loaded;
    if (isDeepStrictEqual(previous, loaded.config)) return false;
    if (previous.domain !== loaded.config.domain) {
      this.#log(`${this.file}: domain changed to ${loaded.config.domain}: ha1 hashes made for ${previous.domain} no longer match; set new passwords`);
    }
    this.accounts.update(loaded.config);
    this.emit('changed', loaded.config);
    return true;
  }
}

/** Issues about the account being changed name the input's field (`password`), without a file position. */
function relabel(issue: ConfigIssue, focus: number | undefined): ConfigIssue {
  const prefix = `accounts[${focus}]`;
  if (focus === undefined || !(issue.field === prefix || issue.field.startsWith(`${prefix}.`))) return issue;
  return { ...issue, line: 0, column: 0, field: issue.field.slice(prefix.length).replace(/^\./, '') || 'extension' };
}
