// Finds where a config path sits in the YAML source, so errors name a line and column. Walks the
// parsed Document (nodes keep their source ranges) as deep as the path exists: a missing field is
// reported at its parent, and nodes added through the API (no range) have no position.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigPath } from './config-path.ts';

export interface SourcePosition {
  line: number;
  column: number;
}

export type Locator = (path: ConfigPath, pointAt?: 'key' | 'value') => SourcePosition;

export const NO_POSITION: SourcePosition = { line: 0, column: 0 };

export function yamlLocator(doc: Document, lineCounter: LineCounter): Locator {
  return (path, pointAt = 'value') => {
    let node: unknown = doc.contents;
    let found: Node | null = isNodeWithRange(node) ? node : null;
    for (const [i, seg] of path.entries()) {
      if (isAlias(node)) node = node.resolve(doc);
      let key: unknown = null;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair === undefined) break;
        key = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (node === undefined) break;
      } else {
        break;
      }
      const last = i === path.length - 1;
      const target = last && pointAt === 'key' && key !== null ? key : node;
      // `key:` with no value has a null value node; the key is then the best place to point at.
      if (isNodeWithRange(target)) found = target;
      else if (isNodeWithRange(key)) found = key;
      else { found = null; break; }
    }
    if (found?.range == null) return NO_POSITION;
    const { line, col } = lineCounter.linePos(found.range[0]);
    return { line, column: col };
  };
}

function isNodeWithRange(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value && Array.isArray((value as Node).range);
}
