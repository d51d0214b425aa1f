// What steps and expectations need of a phone, whatever its kind (the built-in desk phone, a
// baresip process, the softphone in Chromium): the actions of a person at a phone, and what can be
// observed of it. A kind that cannot do an action throws a StepFailure naming the kind and the
// action, so the step fails with a reason rather than crashing or passing silently.

import type { CallTimings, EndCause } from '../phone-emulator/emulated-call.ts';
import { StepFailure } from '../scenario-errors.ts';
import type { PHONE_KINDS } from '../scenario-schema.ts';

export type PhoneKind = (typeof PHONE_KINDS)[number];

export interface CallObservation {
  state: 'calling' | 'ringing' | 'connected' | 'ended';
  cause?: EndCause | undefined;
  /** The final status of the INVITE, sent or received. */
  status?: number | undefined;
  /** For messages: `connected`, `ended (rejected, status 486)`. */
  description: string;
}

export interface RegistrationObservation {
  state: 'registered' | 'unregistered' | 'failed';
  /** The final status of the last REGISTER, when the phone tells it. */
  status?: number | undefined;
  /** For messages, when the kind has more to say than the state (`connecting`). */
  detail?: string;
}

/** A hears/silence verdict on the latest window of received audio. */
export interface AudioVerdict {
  holds: boolean;
  /** What was measured, for the failure message or the report. */
  summary: string;
}

export interface ScenarioPhone {
  /** The scenario's name for it. */
  readonly name: string;
  readonly kind: PhoneKind;

  /**
   * REGISTER for `expires` seconds (0: unregister); resolves the final status. `refresh` false:
   * let the registration expire rather than renew it halfway (default true).
   */
  register(expires: number, ms: number, refresh?: boolean): Promise<number>;
  /** Dials `number`; does not wait for an answer. The timings fill in as the call goes on. */
  call(number: string): Promise<{ timings: CallTimings }>;
  /** Waits (bounded) for a ringing incoming call and answers it. */
  answer(ms: number): Promise<void>;
  /** Waits (bounded) for a ringing incoming call and refuses it with `code`. */
  reject(code: number, ms: number): Promise<void>;
  /** Gives up the ringing outgoing call (CANCEL). */
  cancel(ms: number): Promise<void>;
  /** Ends the connected call (BYE). */
  hangup(ms: number): Promise<void>;
  /** Holds (sendonly) or resumes (sendrecv); resolves the re-INVITE's final status. */
  setHold(hold: boolean, ms: number): Promise<number>;
  /** REFERs the other party to `number`; resolves the REFER's final status. */
  blindTransfer(number: string, ms: number): Promise<number>;
  /** REFERs the party of the earlier call to the other party of the latest one (with Replaces). */
  attendedTransfer(number: string, ms: number): Promise<number>;
  sendDtmf(digits: string, via: 'rfc4733' | 'info', ms: number): Promise<void>;
  /** Drops (false) or restores (true) the phone's network; throws at once when the kind cannot. */
  setNetwork(up: boolean): void;

  /** The phone's latest call, or undefined before any. */
  observeCall(): Promise<CallObservation | undefined>;
  observeRegistration(): Promise<RegistrationObservation>;
  /** Digits received in all its calls, in order. */
  receivedDigits(): Promise<string>;
  /** Whether the latest `listenMs` of received audio holds a tone of `frequencyHz`. */
  hears(frequencyHz: number, listenMs: number): Promise<AudioVerdict>;
  /** Whether the latest `listenMs` of received audio is silent (audio that did not arrive is silence). */
  hearsSilence(listenMs: number): Promise<AudioVerdict>;

  /** Ends what is still going on and stops the phone (its process, its sockets). */
  close(): Promise<void>;
}

/** The failure of an action a phone kind cannot do. */
export function unsupported(phone: { name: string; kind: PhoneKind }, action: string, why: string): StepFailure {
  return new StepFailure(`${phone.name} (kind ${phone.kind}) cannot ${action}: ${why}`);
}

/** `ended (rejected, status 486)`, `connected (on hold)`, as the desk phone describes its calls. */
export function describeCall(call: Omit<CallObservation, 'description'>, onHold = false): string {
  if (call.state !== 'ended') return onHold ? `${call.state} (on hold)` : call.state;
  return `ended (${call.cause ?? 'unknown'}${call.status === undefined ? '' : `, status ${call.status}`})`;
}
