// The softphone as static files: index.html, app.css and app.js (src/main.ts bundled by esbuild
// with sip.js). Used by scripts/build-softphone.ts (to softphone/dist/) and by `voiplab serve`,
// which builds in memory when esbuild and the sources are there (a fresh clone after `npm ci`),
// and otherwise serves softphone/dist/ (an install without dev dependencies).

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const SOFTPHONE_DIR = fileURLToPath(new URL('../', import.meta.url));
export const SOFTPHONE_DIST_DIR = fileURLToPath(new URL('../dist/', import.meta.url));

export const SOFTPHONE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
} as const;

export type SoftphoneFileName = keyof typeof SOFTPHONE_FILES;
export type SoftphoneBundle = Record<SoftphoneFileName, Uint8Array>;

export interface BundleOptions {
  /** Default true: the page weight matters on phones. */
  minify?: boolean;
  /** Default false: an external app.js.map would be one more file to serve. */
  sourcemap?: boolean;
}

/** Bundles the app from its sources, in memory. Needs esbuild (a dev dependency). */
export async function bundleSoftphone(options: BundleOptions = {}): Promise<SoftphoneBundle> {
  // Imported here, not at the top: serving softphone/dist/ must work without esbuild installed.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [`${SOFTPHONE_DIR}src/main.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    minify: options.minify ?? true,
    sourcemap: options.sourcemap === true ? 'inline' : false,
    legalComments: 'none',
    logLevel: 'silent',
    outfile: 'app.js',
  });
  const script = result.outputFiles[0]?.contents;
  if (script === undefined) throw new Error('esbuild produced no app.js for the softphone');
  return {
    'index.html': await readFile(`${SOFTPHONE_DIR}index.html`),
    'app.css': await readFile(`${SOFTPHONE_DIR}app.css`),
    'app.js': script,
  };
}

/** softphone/dist/ as built by scripts/build-softphone.ts; undefined when a file is missing. */
export async function readBuiltSoftphone(dir = SOFTPHONE_DIST_DIR): Promise<SoftphoneBundle | undefined> {
  try {
    const [html, css, script] = await Promise.all((['index.html', 'app.css', 'app.js'] as const).map((name) => readFile(`${dir}${name}`)));
    if (html === undefined || css === undefined || script === undefined) return undefined;
    return { 'index.html': html, 'app.css': css, 'app.js': script };
  } catch {
    return undefined;
  }
}

/** From the sources when esbuild is installed, else the prebuilt softphone/dist/. */
export async function loadSoftphone(): Promise<SoftphoneBundle> {
  let buildError: unknown;
  try {
    return await bundleSoftphone();
  } catch (err) {
    buildError = err;
  }
  const built = await readBuiltSoftphone();
  if (built !== undefined) return built;
  throw new Error(`the softphone could not be built (${buildError instanceof Error ? buildError.message : String(buildError)}) and ${SOFTPHONE_DIST_DIR} has no build; run scripts/build-softphone.ts`, { cause: buildError });
}
