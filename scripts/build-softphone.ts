// Builds the softphone into softphone/dist/ as static files (index.html, app.css, app.js), for
// hosting it on any web server next to any SIP-over-WebSocket PBX (XiVO, Asterisk, Kamailio).
// Usage: node --import tsx scripts/build-softphone.ts [--out DIR] [--no-minify]

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleSoftphone, SOFTPHONE_DIST_DIR, SOFTPHONE_FILES, type SoftphoneFileName } from '../softphone/build/softphone-bundle.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-minify': { type: 'boolean', default: false } } });
const out = resolve(values.out ?? SOFTPHONE_DIST_DIR);
const bundle = await bundleSoftphone({ minify: !values['no-minify'] });
await mkdir(out, { recursive: true });
for (const name of Object.keys(SOFTPHONE_FILES) as SoftphoneFileName[]) {
  await writeFile(join(out, name), bundle[name]);
  process.stdout.write(`${join(out, name)}  ${(bundle[name].byteLength / 1024).toFixed(1)} KiB\n`);
}
