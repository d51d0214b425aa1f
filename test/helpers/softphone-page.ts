// The real softphone in Chromium for the e2e tests: the driver lives with the scenario runner
// (its `browser` phones use it too); the tests' screenshot folder stays here.

import { fileURLToPath } from 'node:url';

export { SoftphonePage, type CallSnapshot, type HearOptions, type HeardAudio, type PhoneSnapshot, type SignInFields, type SoftphoneLaunchOptions } from '../../scenarios/runner/phones/softphone-page.ts';

/**
 * Where the softphone tests put their screenshots (test artifacts): tmp/screenshots/, or the
 * documentation's docs/screenshots/ when VOIPLAB_UPDATE_SCREENSHOTS is set, so a test run does not
 * rewrite tracked images. Ends with a slash.
 */
export const SCREENSHOTS = fileURLToPath(new URL(process.env['VOIPLAB_UPDATE_SCREENSHOTS'] === undefined ? '../../tmp/screenshots/' : '../../docs/screenshots/', import.meta.url));

