// One call on screen: who, its state and timer, and its controls. Incoming calls get the
// answer/reject screen; connected ones mute, hold, keypad, transfer and, with a second call,
// swap and attended transfer. Per-call UI state (keypad open, transfer target) survives redraws.

import type { CallSnapshot } from '../sip/phone-types.ts';
import { formatDuration } from './call-timer.ts';
import { button, el } from './dom.ts';
import { DIAL_KEYS } from './dial-pad.ts';
import { t, type TextKey } from './i18n.ts';

export interface CallActions {
  answer(callId: string): void;
  reject(callId: string): void;
  hangup(callId: string): void;
  toggleHold(call: CallSnapshot): void;
  toggleMute(call: CallSnapshot): void;
  dtmf(callId: string, digit: string): void;
  blindTransfer(callId: string, target: string): void;
  attendedTransfer(callId: string, otherCallId: string): void;
  swapTo(callId: string): void;
}

export interface CallCardState {
  keypadOpen: boolean;
  transferOpen: boolean;
  transferTarget: string;
}

export function callStateText(call: CallSnapshot): string {
  if (call.state === 'connected' && call.onHold) return t('call.onHold');
  return t(`call.${call.state}` as TextKey);
}

export function callTimerText(call: CallSnapshot, now: number): string {
  return call.connectedAt === null ? '' : formatDuration((call.endedAt ?? now) - call.connectedAt);
}

export function callCard(call: CallSnapshot, others: CallSnapshot[], ui: CallCardState, actions: CallActions): HTMLElement {
  const who = call.remoteName === '' ? call.remoteNumber : call.remoteName;
  const header = el('div', { class: 'call-who' },
    el('div', { class: 'call-name', 'data-testid': 'caller-name' }, who),
    call.remoteName === '' ? null : el('div', { class: 'call-number', 'data-testid': 'caller-number' }, call.remoteNumber),
    el('div', { class: 'call-state', 'data-testid': 'call-state', 'aria-live': 'polite' }, callStateText(call)),
    el('div', { class: 'call-timer', 'data-testid': 'call-timer', 'data-call-id': call.id }, callTimerText(call, Date.now())));
  const card = el('section', {
    class: `call-card call-${call.state}${call.onHold ? ' on-hold' : ''}`, 'data-testid': call.state === 'incoming' ? 'incoming-call' : 'call-panel',
    'data-call-id': call.id, 'data-state': call.state, 'aria-label': `${callStateText(call)}: ${who}`,
  }, header);

  if (call.state === 'incoming') {
    card.setAttribute('role', 'alertdialog');
    card.append(el('div', { class: 'actions' },
      button('answer-button', t('answer'), () => actions.answer(call.id), { class: 'answer' }),
      button('reject-button', t('reject'), () => actions.reject(call.id), { class: 'hangup' })));
    return card;
  }
  if (call.state !== 'connected') {
    card.append(el('div', { class: 'actions' }, button('hangup-button', t('hangUp'), () => actions.hangup(call.id), { class: 'hangup' })));
    return card;
  }

  const pressed = (on: boolean) => (on ? 'true' : 'false');
  const controls = el('div', { class: 'actions' },
    button('mute-button', call.muted ? t('unmute') : t('mute'), () => actions.toggleMute(call), { 'aria-pressed': pressed(call.muted) }),
    button('hold-button', call.onHold ? t('resume') : t('hold'), () => actions.toggleHold(call), { 'aria-pressed': pressed(call.onHold) }),
    button('keypad-button', t('keypad'), () => {
      ui.keypadOpen = !ui.keypadOpen;
      keypad.hidden = !ui.keypadOpen;
    }, { 'aria-expanded': pressed(ui.keypadOpen) }),
    button('transfer-button', t('transfer'), () => {
      ui.transferOpen = !ui.transferOpen;
      transfer.hidden = !ui.transferOpen;
    }, { 'aria-expanded': pressed(ui.transferOpen) }),
    button('hangup-button', t('hangUp'), () => actions.hangup(call.id), { class: 'hangup' }));

  const keypad = el('div', { class: 'keys in-call', role: 'group', 'aria-label': t('keypad'), 'data-testid': 'dtmf-keypad' },
    ...DIAL_KEYS.map((key) => button(`dtmf-key-${key}`, key, () => actions.dtmf(call.id, key), { class: 'key', 'aria-label': key })));
  keypad.hidden = !ui.keypadOpen;

  const target = el('input', { type: 'text', inputmode: 'tel', 'data-testid': 'transfer-target', 'aria-label': t('transferTo'), placeholder: t('transferTo'), value: ui.transferTarget });
  target.addEventListener('input', () => {
    ui.transferTarget = target.value;
  });
  const other = others.find((candidate) => candidate.state === 'connected');
  const transfer = el('div', { class: 'transfer', 'data-testid': 'transfer-panel' },
    target,
    button('blind-transfer-button', t('blindTransfer'), () => {
      if (target.value.trim() !== '') actions.blindTransfer(call.id, target.value.trim());
    }),
    other === undefined ? null : button('attended-transfer-button', t('attendedTransfer'), () => actions.attendedTransfer(call.id, other.id)));
  transfer.hidden = !ui.transferOpen;

  card.append(controls, keypad, transfer, el('div', { class: 'quality', 'data-testid': 'call-quality', 'data-call-id': call.id }));
  if (call.onHold && other !== undefined) {
    card.append(button('swap-button', t('swap'), () => actions.swapTo(call.id)));
  }
  return card;
}
