// Where the settings come from, later sources winning: the IPBX's defaults (/phone/config.json),
// what this browser remembered, a trainer's JSON file (?config=URL), then the page's own query.
// The password is remembered only when the user opted in.

import type { ServedPhoneConfig } from './served-config.ts';
import { EMPTY_SETTINGS, settingsFrom, settingsFromQuery, type PhoneSettings } from './phone-settings.ts';

const STORAGE_KEY = 'voiplab.softphone.settings';
const FETCH_TIMEOUT_MS = 5000;

export interface LoadedSettings {
  settings: PhoneSettings;
  /** A link or file handed over a password: sign in without waiting for the form. */
  autoSignIn: boolean;
  /** Problems met on the way (a config file that would not load), for the UI to show. */
  warnings: string[];
  /** The page came from `voiplab serve` (its /phone/config.json answered): the IPBX's directory may be there. */
  servedByVoiplab: boolean;
}

export async function loadSettings(location: Location): Promise<LoadedSettings> {
  const warnings: string[] = [];
  const query = new URLSearchParams(location.search);
  const served = await fetchJson('config.json').catch(() => undefined) as Partial<ServedPhoneConfig> | undefined;
  const fromServer: Partial<PhoneSettings> = {
    ...(typeof served?.server === 'string' ? { server: served.server } : {}),
    ...(typeof served?.domain === 'string' ? { domain: served.domain } : {}),
  };
  let fromFile: Partial<PhoneSettings> = {};
  const configUrl = query.get('config');
  if (configUrl !== null) {
    try {
      fromFile = settingsFrom(await fetchJson(new URL(configUrl, location.href).href) as Record<string, unknown>);
    } catch (err) {
      warnings.push(`${configUrl}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const fromQuery = settingsFromQuery(location.search);
  const remembered = rememberedSettings();
  const settings: PhoneSettings = { ...EMPTY_SETTINGS, ...fromServer, ...remembered, ...fromFile, ...fromQuery };
  const handedPassword = fromQuery.password !== undefined || fromFile.password !== undefined;
  const autoSignIn = (handedPassword || remembered.password !== undefined) && query.get('autoSignIn') !== '0';
  return { settings, autoSignIn, warnings, servedByVoiplab: typeof served?.domain === 'string' };
}

export function rememberSettings(settings: PhoneSettings): void {
  const kept: Partial<PhoneSettings> = { ...settings };
  if (!settings.rememberPassword) delete kept.password;
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(kept));
  } catch {
    // Storage full or disabled (private mode): the settings just are not remembered.
  }
}

function rememberedSettings(): Partial<PhoneSettings> {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as unknown;
    if (typeof parsed !== 'object' || parsed === null) return {};
    const settings = settingsFrom(parsed as Record<string, unknown>);
    if (settings.rememberPassword !== true) delete settings.password;
    return settings;
  } catch {
    return {};
  }
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), cache: 'no-store' });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}
