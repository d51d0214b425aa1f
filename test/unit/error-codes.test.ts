// Every error code in the source has a row in docs/errors.md (STYLE: codes are documented, and a
// test fails when one is missing). Codes are found as string literals shaped like AREA_WHAT.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIGEST_ERROR_CODES } from '../../ipbx/sip/digest/index.ts';
import { SIP_PARSE_ERROR_CODES } from '../../ipbx/sip/message/index.ts';
import { TRANSACTION_ERROR_CODES } from '../../ipbx/sip/transaction/index.ts';
import { TRANSPORT_ERROR_CODES } from '../../ipbx/sip/transport/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CODE_RE = /['"`]((?:SIP|DIGEST|TRANSACTION|DIALOG|IPBX|MEDIA|SCENARIO|LAB)_[A-Z0-9_]+)['"`]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Literals that are not error codes (diagnostic warning codes, symbols). */
const NOT_ERRORS = new Set(['SIP_STACK_ERROR', 'SIP_TRANSACTION_ERROR']);

test('every error code in ipbx/, scenarios/ and lab/ has a row in docs/errors.md', () => {
  const documented = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const found = new Set<string>();
  for (const file of ['ipbx', 'scenarios', 'lab'].flatMap((dir) => (existsSync(join(root, dir)) ? sourceFiles(join(root, dir)) : []))) {
    for (const m of readFileSync(file, 'utf8').matchAll(CODE_RE)) if (m[1] !== undefined) found.add(m[1]);
  }
  const missing = [...found].filter((code) => !NOT_ERRORS.has(code) && !documented.includes(`| \`${code}\` |`));
  assert.deepEqual(missing, [], `add rows to docs/errors.md for: ${missing.join(', ')}`);
});

test('the exported code lists are all found by the scan (the scan cannot silently miss a style)', () => {
  const documented = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const listed = [...SIP_PARSE_ERROR_CODES, ...Object.keys(TRANSPORT_ERROR_CODES), ...Object.keys(TRANSACTION_ERROR_CODES), ...Object.keys(DIGEST_ERROR_CODES)];
  for (const code of listed) assert.ok(documented.includes(`| \`${code}\` |`), code);
});
