// The dial pad: a number field (typed, pasted or clicked in), twelve keys and the call button.
// The same keys send DTMF when `onKey` says a call takes them.

import { button, el } from './dom.ts';
import { t } from './i18n.ts';

export const DIAL_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const;
/** What a pasted or typed number may keep: digits, keypad symbols, + and what a SIP address needs. */
const DIALABLE = /[^0-9A-Za-z*#+@._:-]/g;

export interface DialPad {
  element: HTMLElement;
  input: HTMLInputElement;
  /** Appends a key press (from the page-wide keyboard handler). */
  press(key: string): void;
  setNumber(text: string): void;
}

export function dialPad(onCall: (number: string) => void): DialPad {
  const input = el('input', {
    type: 'text', inputmode: 'tel', id: 'dial-input', 'data-testid': 'dial-input', 'aria-label': t('dialInput'),
    placeholder: t('dialInput'), autocomplete: 'off',
  });
  const submit = () => {
    const number = input.value.trim();
    if (number !== '') onCall(number);
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener('paste', (event) => {
    // A number copied from a web page or a spreadsheet: keep what can be dialled.
    const text = event.clipboardData?.getData('text') ?? '';
    event.preventDefault();
    input.value = (input.value + text.replace(/\s+/g, '')).replace(DIALABLE, '');
  });
  const press = (key: string) => {
    input.value += key;
  };
  const keys = el('div', { class: 'keys', role: 'group', 'aria-label': t('keypad') },
    ...DIAL_KEYS.map((key) => button(`dial-key-${key}`, key, () => press(key), { 'aria-label': key, class: 'key' })));
  const element = el('section', { class: 'dial-pad', 'aria-label': t('keypad'), 'data-testid': 'dial-pad' },
    el('div', { class: 'dial-row' }, input,
      button('dial-backspace', '⌫', () => {
        input.value = input.value.slice(0, -1);
      }, { 'aria-label': t('backspace'), class: 'icon' })),
    keys,
    button('call-button', t('call'), submit, { class: 'primary call' }));
  return { element, input, press, setNumber: (text) => { input.value = text.replace(DIALABLE, ''); } };
}
