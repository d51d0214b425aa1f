// The softphone's screens and their wiring to the SIP adapter: a header with the registration
// state (always visible), the language switch and sign-out; an error banner; then either the
// sign-in form or the phone (calls, dial pad, recent calls).

import type { LoadedSettings } from '../settings/settings-store.ts';
import { rememberSettings } from '../settings/settings-store.ts';
import { signInOptionsOf, type Language, type PhoneSettings } from '../settings/phone-settings.ts';
import type { CallSnapshot, PhoneError, PhoneSnapshot } from '../sip/phone-types.ts';
import type { SoftPhone } from '../sip/soft-phone.ts';
import type { MicrophoneOptions } from '../media/microphone.ts';
import { RemoteAudio } from '../media/remote-audio.ts';
import { audioDevicesView } from './audio-devices-view.ts';
import { askNotificationPermission, notifyIncomingCall } from './call-notification.ts';
import { callCard, callTimerText, type CallActions, type CallCardState } from './call-card.ts';
import { contactsView } from './contacts-view.ts';
import type { Contact } from '../directory/ipbx-directory.ts';
import { readHistory, recordCall } from './call-history.ts';
import { dialPad, type DialPad } from './dial-pad.ts';
import { button, el } from './dom.ts';
import { browserLanguage, language, setLanguage, t, type TextKey } from './i18n.ts';
import { Ringtone } from './ringtone.ts';
import { signInView, type SignInView } from './sign-in-view.ts';

const TIMER_TICK_MS = 1000;
const QUALITY_TICK_MS = 2000;
const HISTORY_SHOWN = 10;

/** Reads the IPBX's directory with the signed-in account's credentials; undefined when there is none. */
export type ContactsLoader = (settings: PhoneSettings) => Promise<Contact[] | undefined>;

export class SoftphoneApp {
  readonly #root: HTMLElement;
  readonly #phone: SoftPhone;
  readonly #remoteAudio: RemoteAudio;
  readonly #ringtone = new Ringtone();
  readonly #cardStates = new Map<string, CallCardState>();
  readonly #recorded = new Set<string>();
  #settings: PhoneSettings;
  #signInView: SignInView | undefined;
  #dialPad: DialPad | undefined;
  #callsElement: HTMLElement | undefined;
  #closeNotification: (() => void) | undefined;
  #lastCallsKey = '';
  #wasRegistered = false;
  readonly #loadContacts: ContactsLoader | undefined;
  #contacts: Contact[] | undefined;

  /** `loadContacts` only on voiplab (elsewhere there is no directory, and no Contacts section). */
  constructor(root: HTMLElement, phone: SoftPhone, loaded: LoadedSettings, loadContacts?: ContactsLoader) {
    this.#root = root;
    this.#phone = phone;
    this.#loadContacts = loadContacts;
    this.#settings = loaded.settings;
    this.#remoteAudio = new RemoteAudio(document.body);
    void this.#remoteAudio.setOutputDevice(loaded.settings.speakerId).catch(() => undefined);
    setLanguage(loaded.settings.language ?? browserLanguage());
    phone.subscribe((snapshot) => this.#onChange(snapshot));
    document.addEventListener('keydown', (event) => this.#onKey(event));
    setInterval(() => this.#tickTimers(), TIMER_TICK_MS);
    setInterval(() => void this.#tickQuality(), QUALITY_TICK_MS);
    this.#render();
    for (const warning of loaded.warnings) console.warn(warning);
    if (loaded.autoSignIn) this.#signIn(loaded.settings);
  }

  /** The active call: the connected one not on hold, else one ringing in, else the newest live one. */
  activeCall(snapshot: PhoneSnapshot = this.#phone.snapshot()): CallSnapshot | undefined {
    const live = snapshot.calls.filter((call) => call.state !== 'ended');
    return live.find((call) => call.state === 'connected' && !call.onHold)
      ?? live.find((call) => call.state === 'incoming')
      ?? live.at(-1);
  }

  /** The remote audio of a call, once its player plays it (Chromium feeds WebAudio only then). */
  async playingRemoteAudio(callId: string): Promise<MediaStream | undefined> {
    const stream = this.#phone.remoteStream(callId);
    await this.#remoteAudio.play(callId, stream);
    return stream;
  }

  /** The microphone the user chose, with or without echo cancellation and noise suppression. */
  microphoneOptions(): MicrophoneOptions {
    return { audioProcessing: this.#settings.audioProcessing, deviceId: this.#settings.microphoneId };
  }

  /** The message the banner shows for an error, in the current language. */
  errorText(error: PhoneError): string {
    const https = this.#settings.server.replace(/^wss:/i, 'https:').replace(/^ws:/i, 'http:');
    return t(`error.${error.code}` as TextKey, { status: error.statusCode ?? '', https });
  }

  // --- Rendering -----------------------------------------------------------------------------

  /** The phone once registered, and through reconnections; the form while connecting or failed. */
  #showsPhone(snapshot: PhoneSnapshot): boolean {
    const state = snapshot.registration.state;
    if (state === 'registered') this.#wasRegistered = true;
    else if (state === 'signed-out' || state === 'failed' || state === 'connecting') this.#wasRegistered = false;
    return this.#wasRegistered;
  }

  #render(): void {
    const snapshot = this.#phone.snapshot();
    const signedIn = this.#showsPhone(snapshot);
    document.title = t('appTitle');
    this.#root.replaceChildren(this.#header(snapshot), this.#errorBanner(snapshot.lastError), signedIn ? this.#phoneScreen() : this.#signInScreen());
    this.#lastCallsKey = '';
    if (signedIn) this.#renderCalls(snapshot);
  }

  #header(snapshot: PhoneSnapshot): HTMLElement {
    const { registration } = snapshot;
    const languageSwitch = el('select', { 'data-testid': 'language-switch', 'aria-label': t('language') },
      ...(['en', 'fr'] as const).map((code) => el('option', { value: code, selected: language() === code }, code.toUpperCase())));
    languageSwitch.addEventListener('change', () => {
      const chosen: Language = languageSwitch.value === 'fr' ? 'fr' : 'en';
      setLanguage(chosen);
      this.#settings = { ...this.#signInView?.read() ?? this.#settings, language: chosen };
      rememberSettings(this.#settings);
      this.#render();
    });
    const signedIn = registration.state !== 'signed-out' && registration.state !== 'failed';
    return el('header', { class: 'top' },
      el('h1', {}, t('appTitle')),
      el('div', { class: `registration state-${registration.state}`, role: 'status', 'aria-live': 'polite', 'data-testid': 'registration-state', 'data-state': registration.state },
        el('span', { class: 'dot', 'aria-hidden': 'true' }),
        `${t(`state.${registration.state}` as TextKey)}${registration.aor === null || !signedIn ? '' : ` · ${registration.aor}`}`),
      languageSwitch,
      signedIn ? button('sign-out', t('signOut'), () => void this.#phone.signOut(), { class: 'link' }) : null);
  }

  #errorBanner(error: PhoneError | null): HTMLElement {
    const banner = el('div', { class: 'error', role: 'alert', 'data-testid': 'error-message', 'data-code': error?.code ?? '', hidden: error === null });
    if (error !== null) {
      banner.append(el('span', {}, this.errorText(error)), el('small', { class: 'detail' }, error.detail),
        button('dismiss-error', '×', () => this.#phone.clearError(), { class: 'icon', 'aria-label': t('dismiss') }));
    }
    return banner;
  }

  #signInScreen(): HTMLElement {
    this.#contacts = undefined;
    this.#dialPad = undefined;
    this.#callsElement = undefined;
    this.#signInView = signInView(this.#settings, (settings) => this.#signIn(settings));
    return el('main', {}, this.#signInView.element);
  }

  #phoneScreen(): HTMLElement {
    this.#signInView = undefined;
    this.#callsElement = el('div', { class: 'calls', 'data-testid': 'calls' });
    const pad = dialPad((number) => void this.#call(number));
    this.#dialPad = pad;
    const devices = audioDevicesView(this.#settings, () => this.#settings.audioProcessing, (choice) => {
      this.#settings = { ...this.#settings, ...choice };
      rememberSettings(this.#settings);
      void this.#remoteAudio.setOutputDevice(choice.speakerId).catch((err: unknown) => console.warn(`speaker: ${String(err)}`));
    });
    void this.#refreshContacts();
    return el('main', {}, this.#callsElement, pad.element, this.#contactsView(), this.#historyView(), devices);
  }

  /** The Contacts section once the directory has loaded; an empty hidden one until then (or off voiplab). */
  #contactsView(): HTMLElement {
    if (this.#contacts === undefined) return el('section', { class: 'contacts', 'data-testid': 'contacts', hidden: true });
    return contactsView(this.#contacts, this.#settings.user, (extension) => void this.#call(extension));
  }

  /** Loads the directory again (who is registered changes), then redraws the section. */
  async #refreshContacts(): Promise<void> {
    if (this.#loadContacts === undefined) return;
    const contacts = await this.#loadContacts(this.#settings).catch((err: unknown) => {
      console.warn(`contacts: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    if (this.#callsElement === undefined) return; // signed out meanwhile
    this.#contacts = contacts;
    this.#root.querySelector('[data-testid="contacts"]')?.replaceWith(this.#contactsView());
  }

  #historyView(): HTMLElement {
    const entries = readHistory().slice(0, HISTORY_SHOWN);
    return el('section', { class: 'history', 'aria-labelledby': 'history-title', 'data-testid': 'call-history' },
      el('h2', { id: 'history-title' }, t('history')),
      entries.length === 0 ? el('p', { class: 'muted' }, t('historyEmpty')) : el('ul', {},
        ...entries.map((entry, index) => el('li', {},
          button(`history-call-${index}`, `${entry.direction === 'incoming' ? '↙' : '↗'} ${entry.name === '' ? entry.number : `${entry.name} (${entry.number})`}`,
            () => void this.#call(entry.number), { class: entry.answered ? 'link' : 'link missed', 'aria-label': `${t('call')} ${entry.number}` }),
          el('time', { datetime: new Date(entry.startedAt).toISOString() }, new Date(entry.startedAt).toLocaleString(language()))))));
  }

  /** Redraws the call cards when a call changed, keeping the focused control focused. */
  #renderCalls(snapshot: PhoneSnapshot): void {
    const container = this.#callsElement;
    if (container === undefined) return;
    const live = snapshot.calls.filter((call) => call.state !== 'ended');
    const key = JSON.stringify(live.map(({ id, state, onHold, muted, transfer, remoteName }) => [id, state, onHold, muted, transfer, remoteName]));
    if (key === this.#lastCallsKey) return;
    this.#lastCallsKey = key;
    // During a call the dial pad shrinks to its number field: enough to place a second call.
    this.#dialPad?.element.classList.toggle('compact', live.length > 0);
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    const focusTestId = focused?.dataset['testid'];
    const focusCallId = focused?.closest<HTMLElement>('[data-call-id]')?.dataset['callId'];
    const actions = this.#callActions();
    container.replaceChildren(...live.map((call) => {
      let state = this.#cardStates.get(call.id);
      if (state === undefined) {
        state = { keypadOpen: false, transferOpen: false, transferTarget: '' };
        this.#cardStates.set(call.id, state);
      }
      return callCard(call, live.filter((other) => other.id !== call.id), state, actions);
    }));
    if (focusTestId !== undefined && focusCallId !== undefined) {
      container.querySelector<HTMLElement>(`[data-call-id="${focusCallId}"] [data-testid="${focusTestId}"]`)?.focus();
    }
    // The incoming call screen takes the focus, so Enter answers from the keyboard.
    const incoming = live.find((call) => call.state === 'incoming');
    if (incoming !== undefined && focusCallId !== incoming.id) {
      container.querySelector<HTMLElement>(`[data-call-id="${incoming.id}"] [data-testid="answer-button"]`)?.focus();
    }
  }

  #callActions(): CallActions {
    const phone = this.#phone;
    const attempt = (action: Promise<void> | void) => {
      void Promise.resolve(action).catch((err: unknown) => console.warn(err instanceof Error ? err.message : String(err)));
    };
    return {
      answer: (id) => attempt(phone.answer(id)),
      reject: (id) => attempt(phone.reject(id)),
      hangup: (id) => attempt(phone.hangup(id)),
      toggleHold: (call) => attempt(call.onHold ? phone.resume(call.id) : phone.hold(call.id)),
      toggleMute: (call) => attempt(phone.setMuted(call.id, !call.muted)),
      dtmf: (id, digit) => attempt(phone.sendDtmf(id, digit, this.#settings.dtmfMethod)),
      blindTransfer: (id, target) => attempt(phone.blindTransfer(id, target)),
      attendedTransfer: (id, other) => attempt(phone.attendedTransfer(id, other)),
      swapTo: (id) => attempt(phone.swapTo(id)),
    };
  }

  // --- Events --------------------------------------------------------------------------------

  #onChange(snapshot: PhoneSnapshot): void {
    const signedIn = this.#showsPhone(snapshot);
    const onPhoneScreen = this.#callsElement !== undefined;
    if (signedIn !== onPhoneScreen) {
      this.#render();
    } else {
      this.#root.querySelector('header')?.replaceWith(this.#header(snapshot));
      this.#root.querySelector('[data-testid="error-message"]')?.replaceWith(this.#errorBanner(snapshot.lastError));
      this.#renderCalls(snapshot);
    }
    this.#syncMedia(snapshot);
  }

  /** Remote audio players, ringtone, notification and history follow the calls' states. */
  #syncMedia(snapshot: PhoneSnapshot): void {
    const live = snapshot.calls.filter((call) => call.state !== 'ended');
    for (const call of live) if (call.state === 'connected') void this.#remoteAudio.play(call.id, this.#phone.remoteStream(call.id));
    this.#remoteAudio.keepOnly(new Set(live.map((call) => call.id)));
    const ringing = live.find((call) => call.state === 'incoming');
    if (ringing === undefined) {
      this.#ringtone.stop();
      this.#closeNotification?.();
      this.#closeNotification = undefined;
    } else {
      this.#ringtone.start();
      this.#closeNotification ??= notifyIncomingCall(t('notificationTitle'), ringing.remoteName === '' ? ringing.remoteNumber : `${ringing.remoteName} (${ringing.remoteNumber})`);
    }
    let historyChanged = false;
    for (const call of snapshot.calls) {
      if (call.state === 'ended' && !this.#recorded.has(call.id)) {
        this.#recorded.add(call.id);
        this.#cardStates.delete(call.id);
        recordCall(call);
        historyChanged = true;
      }
    }
    if (historyChanged) this.#root.querySelector('[data-testid="call-history"]')?.replaceWith(this.#historyView());
  }

  /** Digits typed anywhere go to the dial pad, or as DTMF to a connected call. */
  #onKey(event: KeyboardEvent): void {
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const active = this.activeCall();
    if (/^[0-9*#]$/.test(event.key)) {
      if (active?.state === 'connected') void this.#phone.sendDtmf(active.id, event.key, this.#settings.dtmfMethod).catch(() => undefined);
      else this.#dialPad?.press(event.key);
      event.preventDefault();
    } else if (event.key === 'Backspace' && this.#dialPad !== undefined) {
      this.#dialPad.setNumber(this.#dialPad.input.value.slice(0, -1));
    } else if (event.key === 'Escape' && active !== undefined) {
      void (active.state === 'incoming' ? this.#phone.reject(active.id) : this.#phone.hangup(active.id)).catch(() => undefined);
    }
  }

  #signIn(settings: PhoneSettings): void {
    this.#settings = settings;
    rememberSettings(settings);
    askNotificationPermission();
    void this.#phone.signIn(signInOptionsOf(settings));
  }

  async #call(number: string): Promise<void> {
    try {
      await this.#phone.call(number);
      this.#dialPad?.setNumber('');
    } catch (err) {
      console.warn(err instanceof Error ? err.message : String(err));
    }
  }

  #tickTimers(): void {
    const now = Date.now();
    const calls = this.#phone.snapshot().calls;
    for (const element of this.#root.querySelectorAll<HTMLElement>('[data-testid="call-timer"]')) {
      const call = calls.find((candidate) => candidate.id === element.dataset['callId']);
      if (call !== undefined) element.textContent = callTimerText(call, now);
    }
  }

  async #tickQuality(): Promise<void> {
    for (const element of this.#root.querySelectorAll<HTMLElement>('[data-testid="call-quality"]')) {
      const quality = await this.#phone.quality(element.dataset['callId'] ?? '').catch(() => null);
      const figure = (value: number | null, digits: number) => (value === null ? '–' : value.toFixed(digits));
      element.textContent = quality === null ? '' : t('quality', { rtt: figure(quality.roundTripMs, 0), jitter: figure(quality.jitterMs, 1), loss: figure(quality.lossPercent, 1) });
    }
  }
}
