// Changes applied to the YAML Document itself (not to plain data), so the comments, order and
// quoting of everything untouched survive when voiplab writes the file back.

import { isDeepStrictEqual } from 'node:util';
import { isMap, isNode, isScalar, isSeq, type Document } from 'yaml';
import { ha1Hashes } from './account-credentials.ts';

type Plain = Record<string, unknown>;

/** Appends to a top-level list, creating it (or unfolding an empty `[]`) as needed. */
export function appendItem(doc: Document, section: string, item: unknown): void {
  const seq = doc.get(section, true);
  if (!isSeq(seq)) {
    doc.set(section, doc.createNode([item]));
    return;
  }
  if (seq.items.length === 0) seq.flow = false;
  seq.items.push(doc.createNode(item));
}

export function removeItem(doc: Document, section: string, index: number): void {
  doc.deleteIn([section, index]);
}

/** Sets fields of a list item; a scalar keeps its node (and so its comment) when only its value changes. */
export function patchItem(doc: Document, section: string, index: number, patch: Plain): void {
  const map = doc.getIn([section, index], true);
  // Unreachable for a validated config, whose list items are all mappings.
  if (!isMap(map)) throw new Error(`${section}[${index}] is not a mapping`);
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const existing = map.get(key, true);
    const primitive = value === null || typeof value !== 'object';
    if (isScalar(existing) && primitive) existing.value = value;
    else map.set(key, doc.createNode(value));
  }
}

export function deleteField(doc: Document, section: string, index: number, key: string): void {
  const map = doc.getIn([section, index], true);
  if (isMap(map)) map.delete(key);
}

/**
 * Replaces a top-level list. An item equal to the one at its index in `previous` (the loaded
 * values, defaults applied, as API callers send them back) keeps its node and so its comments.
 */
export function replaceList(doc: Document, section: string, items: readonly unknown[], previous: readonly unknown[]): void {
  const old = doc.get(section, true);
  const oldItems = isSeq(old) ? old.items : [];
  // JSON round trip: the caller's `undefined` fields are absent from the YAML too.
  const plain = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  const nodes = items.map((item, i) => {
    const node = oldItems[i];
    return isNode(node) && isDeepStrictEqual(plain(item), plain(previous[i])) ? node : doc.createNode(item);
  });
  if (isSeq(old)) {
    old.items = nodes;
    if (nodes.length > 0) old.flow = false;
  } else {
    doc.set(section, doc.createNode(nodes));
  }
}

/** Every account written with a `password` gets `ha1` hashes instead: files voiplab writes hold no password. */
export function replacePasswordsWithHa1(doc: Document, domain: string): void {
  const accounts = doc.get('accounts', true);
  if (!isSeq(accounts)) return;
  for (const item of accounts.items) {
    if (!isMap(item)) continue;
    const password = item.get('password');
    const extension = item.get('extension');
    if (typeof password !== 'string' || typeof extension !== 'string') continue;
    item.delete('password');
    item.set('ha1', doc.createNode(ha1Hashes(extension, domain, password)));
  }
}
