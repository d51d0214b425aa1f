// The `phone` kind: the built-in desk-phone emulator (phone-emulator/desk-phone.ts) seen through
// the ScenarioPhone interface. Audio verdicts run the Goertzel detectors of scenarios/audio on the
// decoded audio it received, by arrival time.

import { detectSilence, detectTone } from '../../audio/index.ts';
import { DeskPhone, type DeskPhoneOptions } from '../phone-emulator/desk-phone.ts';
import type { CallTimings } from '../phone-emulator/emulated-call.ts';
import { SAMPLE_RATE } from '../rtp/rtp-packet.ts';
import type { AudioVerdict, CallObservation, RegistrationObservation, ScenarioPhone } from './scenario-phone.ts';

export class DeskScenarioPhone implements ScenarioPhone {
  readonly kind = 'phone';
  /** The emulator itself, for steps only it can do (e.g. dropping its network). */
  readonly desk: DeskPhone;

  private constructor(desk: DeskPhone) {
    this.desk = desk;
  }

  static async start(options: DeskPhoneOptions): Promise<DeskScenarioPhone> {
    return new DeskScenarioPhone(await DeskPhone.start(options));
  }

  get name(): string {
    return this.desk.name;
  }

  register(expires: number, ms: number, refresh?: boolean): Promise<number> {
    return this.desk.register(expires, ms, refresh);
  }

  call(number: string): Promise<{ timings: CallTimings }> {
    return Promise.resolve(this.desk.call(number));
  }

  answer(ms: number): Promise<void> {
    return this.desk.answer(ms);
  }

  reject(code: number, ms: number): Promise<void> {
    return this.desk.reject(code, ms);
  }

  cancel(ms: number): Promise<void> {
    return this.desk.cancel(ms);
  }

  hangup(ms: number): Promise<void> {
    return this.desk.hangup(ms);
  }

  setHold(hold: boolean, ms: number): Promise<number> {
    return this.desk.setHold(hold, ms);
  }

  blindTransfer(number: string, ms: number): Promise<number> {
    return this.desk.blindTransfer(number, ms);
  }

  attendedTransfer(number: string, ms: number): Promise<number> {
    return this.desk.attendedTransfer(number, ms);
  }

  sendDtmf(digits: string, via: 'rfc4733' | 'info', ms: number): Promise<void> {
    return this.desk.sendDtmf(digits, via, ms);
  }

  setNetwork(up: boolean): void {
    this.desk.setNetwork(up);
  }

  observeCall(): Promise<CallObservation | undefined> {
    const call = this.desk.currentCall;
    return Promise.resolve(call === undefined ? undefined : { state: call.state, cause: call.cause, status: call.status, description: call.describe() });
  }

  observeRegistration(): Promise<RegistrationObservation> {
    return Promise.resolve({ state: this.desk.registration, status: this.desk.registrationStatus });
  }

  receivedDigits(): Promise<string> {
    return Promise.resolve(this.desk.receivedDigits());
  }

  hears(frequencyHz: number, listenMs: number): Promise<AudioVerdict> {
    const { samples, packets } = this.desk.media.latestAudio(listenMs);
    if (samples.length < (SAMPLE_RATE * listenMs * 0.8) / 1000) {
      return Promise.resolve({ holds: false, summary: `${this.name} received ${packets} audio packets in the last ${listenMs} ms (is media flowing to it?)` });
    }
    const detection = detectTone(samples, SAMPLE_RATE, frequencyHz);
    return Promise.resolve({ holds: detection.detected, summary: detection.summary });
  }

  hearsSilence(listenMs: number): Promise<AudioVerdict> {
    const { samples } = this.desk.media.latestAudio(listenMs);
    // Missing packets are silence too: a phone that receives nothing hears nothing.
    const window = new Int16Array((SAMPLE_RATE * listenMs) / 1000);
    window.set(samples.subarray(Math.max(0, samples.length - window.length)));
    const detection = detectSilence(window, SAMPLE_RATE);
    return Promise.resolve({ holds: detection.silent, summary: detection.summary });
  }

  close(): Promise<void> {
    return this.desk.close();
  }
}
