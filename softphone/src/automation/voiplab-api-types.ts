// The automation API the softphone puts on `window.voiplab`, for the scenario runner and the
// e2e tests. Plain JSON in and out (Playwright carries it across processes); documented in
// docs/softphone.md. No DOM types, so Node-side drivers import this file too.

import type { CallQuality, DtmfMethod, PhoneSnapshot } from '../sip/phone-types.ts';

export type { CallQuality, CallSnapshot, CallState, DtmfMethod, EndCause, PhoneError, PhoneErrorCode, PhoneSnapshot, RegistrationSnapshot, RegistrationState } from '../sip/phone-types.ts';

export interface HeardAudio {
  /** Strongest frequency of the call's remote audio over the window, Hz (0 without a remote track). */
  frequencyHz: number;
  /** RMS level, dBFS (-120 without a remote track). */
  levelDb: number;
  hasTrack: boolean;
}

export interface VoiplabApi {
  /** Version of this API; bumped when a method or field changes meaning. */
  readonly apiVersion: 1;
  /** Registration, calls (with states) and the last error. */
  state(): PhoneSnapshot;
  /** The message the page shows for the last error (in its current language), or null. */
  errorMessage(): string | null;
  /** The last SIP messages sent and received, oldest first. */
  sipTrace(): string[];
  /** Dominant frequency and level of what a call (default: the active one) hears over `windowMs`; hasTrack false without a call. */
  listen(windowMs?: number, callId?: string): Promise<HeardAudio>;
  quality(callId?: string): Promise<CallQuality | null>;
  // Actions without the UI (the UI's data-testid controls do the same).
  call(target: string): Promise<string>;
  answer(callId?: string): Promise<void>;
  reject(callId?: string): Promise<void>;
  hangup(callId?: string): Promise<void>;
  hold(callId?: string): Promise<void>;
  resume(callId?: string): Promise<void>;
  sendDtmf(digits: string, method?: DtmfMethod, callId?: string): Promise<void>;
  blindTransfer(target: string, callId?: string): Promise<void>;
  attendedTransfer(callId: string, otherCallId: string): Promise<void>;
}
