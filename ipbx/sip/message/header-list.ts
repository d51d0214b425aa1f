// The headers of one message in wire order, names as received (so unknown headers and compact
// forms survive a parse → serialize round trip verbatim), looked up by lower-case long name.

import { canonicalKey, displayName, isListHeader } from './header-names.ts';
import { splitList } from './split-list.ts';

export interface HeaderEntry {
  /** Lower-case long form: `via` for `v` and `VIA`. */
  readonly key: string;
  /** The name as it will be written. */
  readonly name: string;
  readonly value: string;
}

export class HeaderList implements Iterable<HeaderEntry> {
  #entries: HeaderEntry[] = [];
  #version = 0;

  /** Changes on every mutation, so typed views parsed from these headers know when to re-parse. */
  get version(): number {
    return this.#version;
  }

  /** Appends as received, without any change to name or value. */
  appendRaw(name: string, value: string, key = canonicalKey(name)): void {
    this.#entries.push({ key, name, value });
    this.#version++;
  }

  /** Adds at the end. */
  append(name: string, value: string): void {
    const key = canonicalKey(name);
    this.appendRaw(name.length === 1 ? displayName(key) : name, value, key);
  }

  /** Adds before every other header of this name (a proxy's Via, a Record-Route), or first of all. */
  prepend(name: string, value: string): void {
    const key = canonicalKey(name);
    const at = this.#entries.findIndex((e) => e.key === key);
    const entry = { key, name: name.length === 1 ? displayName(key) : name, value };
    // With none of this name yet, the top of the message: where a Via or Record-Route belongs.
    this.#entries.splice(at === -1 ? 0 : at, 0, entry);
    this.#version++;
  }

  /** Replaces every header of this name by one line per value, where the first one stood. */
  set(name: string, values: string | readonly string[]): void {
    const key = canonicalKey(name);
    const list = typeof values === 'string' ? [values] : values;
    const at = this.#entries.findIndex((e) => e.key === key);
    const kept = this.#entries.filter((e) => e.key !== key);
    const added = list.map((value) => ({ key, name: name.length === 1 ? displayName(key) : name, value }));
    kept.splice(at === -1 ? kept.length : at, 0, ...added);
    this.#entries = kept;
    this.#version++;
  }

  remove(name: string): void {
    const key = canonicalKey(name);
    this.#entries = this.#entries.filter((e) => e.key !== key);
    this.#version++;
  }

  /** Removes the first value of a list header, splitting a `Via: a, b` line if needed. */
  removeFirstValue(name: string): string | undefined {
    const key = canonicalKey(name);
    const at = this.#entries.findIndex((e) => e.key === key);
    const entry = this.#entries[at];
    if (entry === undefined) return undefined;
    const values = isListHeader(key) ? splitList(entry.value) : [entry.value];
    const [first, ...rest] = values;
    if (rest.length === 0) this.#entries.splice(at, 1);
    else this.#entries[at] = { key, name: entry.name, value: rest.join(', ') };
    this.#version++;
    return first;
  }

  /** Replaces the first value of a header in place (a `Via: a, b` line keeps `b`), keeping the line's position and spelling. */
  replaceFirstValue(name: string, value: string): void {
    const key = canonicalKey(name);
    const at = this.#entries.findIndex((e) => e.key === key);
    const entry = this.#entries[at];
    if (entry === undefined) {
      this.append(name, value);
      return;
    }
    const rest = isListHeader(key) ? splitList(entry.value).slice(1) : [];
    this.#entries[at] = { key, name: entry.name, value: [value, ...rest].join(', ') };
    this.#version++;
  }

  has(name: string): boolean {
    const key = canonicalKey(name);
    return this.#entries.some((e) => e.key === key);
  }

  /** The first line's value, unsplit. */
  get(name: string): string | undefined {
    const key = canonicalKey(name);
    for (const e of this.#entries) if (e.key === key) return e.value;
    return undefined;
  }

  /** Every line's value, unsplit: one string per header line. */
  getLines(name: string): string[] {
    const key = canonicalKey(name);
    const out: string[] = [];
    for (const e of this.#entries) if (e.key === key) out.push(e.value);
    return out;
  }

  /** Every value: lines of list headers are split on their separating commas. */
  getAll(name: string): string[] {
    const key = canonicalKey(name);
    const split = isListHeader(key);
    const out: string[] = [];
    for (const e of this.#entries) {
      if (e.key !== key) continue;
      if (split) for (const v of splitList(e.value)) { if (v !== '') out.push(v); }
      else out.push(e.value);
    }
    return out;
  }

  /** Number of lines with this name. */
  count(name: string): number {
    const key = canonicalKey(name);
    let n = 0;
    for (const e of this.#entries) if (e.key === key) n++;
    return n;
  }

  get size(): number {
    return this.#entries.length;
  }

  clone(): HeaderList {
    const copy = new HeaderList();
    copy.#entries = this.#entries.slice();
    return copy;
  }

  [Symbol.iterator](): Iterator<HeaderEntry> {
    return this.#entries[Symbol.iterator]();
  }
}
