// A problem found in config data, before it is given a place in a file.

import type { ConfigPath } from './config-path.ts';

export interface PathIssue {
  /** The field the message is about (named in the error). */
  path: ConfigPath;
  message: string;
  /** Where to point in the file when that differs from `path` (a missing field: its parent). */
  at?: ConfigPath;
  /** Point at the key (unknown fields, duplicate names) rather than the value. */
  pointAt?: 'key' | 'value';
}
