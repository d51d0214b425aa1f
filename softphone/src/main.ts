// The softphone's entry point: loads the settings, builds the SIP adapter and the UI, and
// installs the automation API (window.voiplab).

import { installVoiplabApi, SipTrace } from './automation/voiplab-api.ts';
import { fetchDirectory } from './directory/ipbx-directory.ts';
import type { PhoneSettings } from './settings/phone-settings.ts';
import { loadSettings } from './settings/settings-store.ts';
import { md5Hex } from './sip/sipjs-md5.ts';
import { SipJsPhone } from './sip/sipjs-phone.ts';
import { SoftphoneApp } from './ui/app.ts';

async function start(): Promise<void> {
  const root = document.getElementById('app');
  if (root === null) throw new Error('the page has no #app element');
  const loaded = await loadSettings(window.location);
  const trace = new SipTrace();
  // The microphone settings are read at each call: the user may change them when signing in.
  const settingsOf: { app?: SoftphoneApp } = {};
  const phone = new SipJsPhone({
    microphone: () => settingsOf.app?.microphoneOptions() ?? { audioProcessing: loaded.settings.audioProcessing, deviceId: loaded.settings.microphoneId },
    onSipMessage: (text) => trace.add(text),
  });
  // Contacts come from the IPBX's directory, read with the account's own credentials (voiplab only).
  const loadContacts = loaded.servedByVoiplab
    ? (settings: PhoneSettings) => fetchDirectory({ username: settings.authUser === '' ? settings.user : settings.authUser, password: settings.password, md5: md5Hex }, window.location.href)
    : undefined;
  const shown = new SoftphoneApp(root, phone, loaded, loadContacts);
  settingsOf.app = shown;
  installVoiplabApi({
    phone,
    activeCall: () => shown.activeCall(),
    playingRemoteAudio: (callId) => shown.playingRemoteAudio(callId),
    errorMessage: () => {
      const error = phone.snapshot().lastError;
      return error === null ? null : shown.errorText(error);
    },
  }, trace);
}

void start();
