// The sign-in form: server, domain, user, password, display name, and the advanced fields.

import { missingFields, type PhoneSettings } from '../settings/phone-settings.ts';
import { el } from './dom.ts';
import { t, type TextKey } from './i18n.ts';

export interface SignInView {
  element: HTMLFormElement;
  /** The settings as the form now has them. */
  read(): PhoneSettings;
}

export function signInView(settings: PhoneSettings, onSubmit: (settings: PhoneSettings) => void): SignInView {
  const field = (key: keyof PhoneSettings, label: TextKey, type: string, testId: string, extra: Record<string, string> = {}) => {
    const id = `field-${testId}`;
    const input = el('input', { id, name: key, type, 'data-testid': testId, value: String(settings[key] ?? ''), ...extra });
    return { input, row: el('div', { class: 'field' }, el('label', { for: id }, t(label)), input) };
  };
  const server = field('server', 'server', 'url', 'server', { placeholder: 'wss://pbx.example.org:8089', autocomplete: 'url' });
  const domain = field('domain', 'domain', 'text', 'domain', { placeholder: 'pbx.example.org' });
  const user = field('user', 'user', 'text', 'user', { autocomplete: 'username' });
  const password = field('password', 'password', 'password', 'password', { autocomplete: 'current-password' });
  const displayName = field('displayName', 'displayName', 'text', 'display-name', { autocomplete: 'name' });
  const authUser = field('authUser', 'authUser', 'text', 'auth-user');
  const iceServers = el('textarea', { id: 'field-ice-servers', name: 'iceServers', rows: '2', 'data-testid': 'ice-servers', placeholder: 'turn:turn.example.org:3478 user secret' });
  iceServers.value = settings.iceServers;
  const checkbox = (key: 'rememberPassword' | 'audioProcessing', label: TextKey, testId: string) => {
    const input = el('input', { type: 'checkbox', id: `field-${testId}`, 'data-testid': testId, checked: settings[key] });
    return { input, row: el('div', { class: 'check' }, input, el('label', { for: `field-${testId}` }, t(label))) };
  };
  const remember = checkbox('rememberPassword', 'rememberPassword', 'remember-password');
  const processing = checkbox('audioProcessing', 'audioProcessing', 'audio-processing');
  const dtmf = el('select', { id: 'field-dtmf', 'data-testid': 'dtmf-method' },
    el('option', { value: 'rfc4733', selected: settings.dtmfMethod === 'rfc4733' }, t('dtmfRfc4733')),
    el('option', { value: 'info', selected: settings.dtmfMethod === 'info' }, t('dtmfInfo')));
  const problem = el('p', { class: 'form-problem', role: 'alert', 'data-testid': 'form-problem', hidden: true });

  const read = (): PhoneSettings => ({
    ...settings,
    server: server.input.value.trim(), domain: domain.input.value.trim(), user: user.input.value.trim(),
    password: password.input.value, displayName: displayName.input.value.trim(), authUser: authUser.input.value.trim(),
    iceServers: iceServers.value, rememberPassword: remember.input.checked, audioProcessing: processing.input.checked,
    dtmfMethod: dtmf.value === 'info' ? 'info' : 'rfc4733',
  });

  const form = el('form', { class: 'sign-in', 'aria-labelledby': 'sign-in-title', 'data-testid': 'sign-in-form', novalidate: true },
    el('h2', { id: 'sign-in-title' }, t('signInTitle')),
    server.row, domain.row, user.row, password.row, displayName.row, remember.row,
    el('details', {},
      el('summary', {}, t('advanced')),
      authUser.row,
      el('div', { class: 'field' }, el('label', { for: 'field-ice-servers' }, t('iceServers')), iceServers),
      el('div', { class: 'field' }, el('label', { for: 'field-dtmf' }, t('dtmfMethod')), dtmf),
      processing.row),
    problem,
    el('button', { type: 'submit', class: 'primary', 'data-testid': 'sign-in' }, t('signIn')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const current = read();
    const missing = missingFields(current);
    if (missing.length > 0) {
      problem.textContent = t('missingField', { fields: missing.map((key) => t(key)).join(', ') });
      problem.hidden = false;
      return;
    }
    problem.hidden = true;
    onSubmit(current);
  });
  return { element: form, read };
}
