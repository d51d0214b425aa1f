// The sign-in and preference fields of the softphone, and how they are parsed from the loose
// sources they come from (URL query, JSON file, localStorage, the form).

import type { DtmfMethod, SignInOptions } from '../sip/phone-types.ts';

export type Language = 'en' | 'fr';

export interface PhoneSettings {
  server: string;
  domain: string;
  user: string;
  /** Digest user when it differs from the extension (XiVO, Asterisk). */
  authUser: string;
  password: string;
  displayName: string;
  /** One ICE server a line: `URL [username credential]`. */
  iceServers: string;
  rememberPassword: boolean;
  dtmfMethod: DtmfMethod;
  /** Echo cancellation, noise suppression, gain control (off for test tones and music). */
  audioProcessing: boolean;
  /** Chosen language; null follows the browser. */
  language: Language | null;
  /** deviceId of the microphone and of the speaker; '' for the browser's default. */
  microphoneId: string;
  speakerId: string;
}

export const EMPTY_SETTINGS: PhoneSettings = {
  server: '', domain: '', user: '', authUser: '', password: '', displayName: '', iceServers: '',
  rememberPassword: false, dtmfMethod: 'rfc4733', audioProcessing: true, language: null, microphoneId: '', speakerId: '',
};

/** The fields a source may set; anything else, or of the wrong type, is ignored. */
export function settingsFrom(source: Record<string, unknown>): Partial<PhoneSettings> {
  const out: Partial<PhoneSettings> = {};
  const text = (key: keyof PhoneSettings, ...aliases: string[]) => {
    for (const name of [key, ...aliases]) {
      const value = source[name];
      if (typeof value === 'string') {
        (out as Record<string, unknown>)[key] = value;
        return;
      }
    }
  };
  text('server', 'wss', 'ws');
  text('domain');
  text('user', 'extension', 'username');
  text('authUser');
  text('password');
  text('displayName', 'name');
  text('iceServers', 'ice');
  text('microphoneId');
  text('speakerId');
  const flag = (key: 'rememberPassword' | 'audioProcessing') => {
    const value = source[key];
    if (typeof value === 'boolean') out[key] = value;
    else if (value === '1' || value === 'true') out[key] = true;
    else if (value === '0' || value === 'false') out[key] = false;
  };
  flag('rememberPassword');
  flag('audioProcessing');
  const dtmf = source['dtmf'] ?? source['dtmfMethod'];
  if (dtmf === 'info' || dtmf === 'rfc4733') out.dtmfMethod = dtmf;
  const language = source['lang'] ?? source['language'];
  if (language === 'en' || language === 'fr') out.language = language;
  return out;
}

/** `?server=…&domain=…&user=…&name=…` (and `password` if the trainer chose to put it there). */
export function settingsFromQuery(search: string): Partial<PhoneSettings> {
  return settingsFrom(Object.fromEntries(new URLSearchParams(search)));
}

/** `URL [username credential]` a line → RTCIceServer list; blank lines ignored. */
export function parseIceServers(text: string): NonNullable<SignInOptions['iceServers']> {
  return text.split(/\r?\n|,/).map((line) => line.trim()).filter((line) => line !== '').map((line) => {
    const [urls = '', username, credential] = line.split(/\s+/);
    return username === undefined ? { urls } : { urls, username, credential: credential ?? '' };
  });
}

export function signInOptionsOf(settings: PhoneSettings): SignInOptions {
  return {
    server: settings.server.trim(),
    domain: settings.domain.trim(),
    user: settings.user.trim(),
    password: settings.password,
    ...(settings.authUser.trim() === '' ? {} : { authUser: settings.authUser.trim() }),
    ...(settings.displayName.trim() === '' ? {} : { displayName: settings.displayName.trim() }),
    iceServers: parseIceServers(settings.iceServers),
  };
}

export function missingFields(settings: PhoneSettings): Array<'server' | 'domain' | 'user' | 'password'> {
  return (['server', 'domain', 'user', 'password'] as const).filter((key) => settings[key].trim() === '');
}
