// The `baresip` kind: a real baresip 1.0 process per phone (baresip-process.ts), driven over
// ctrl_tcp. Its microphone is a tone WAV (aufile; baresip hangs up when the file ends, so it is
// longer than the scenario); what it hears is recorded by sndfile and judged with the Goertzel
// detectors on the latest window (heard-audio-watch.ts). Call and registration states follow its
// events (CALL_INCOMING, CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED, REGISTER_OK/FAIL).
//
// What baresip 1.0 cannot do, the steps refuse by name: reject with a code other than 486
// ("486 Rejected" is all its hangup sends), DTMF over SIP INFO (it sends RFC 4733 only).

import { detectSilence, detectTone } from '../../audio/index.ts';
import type { CallTimings, EndCause } from '../phone-emulator/emulated-call.ts';
import { ScenarioError, StepFailure } from '../scenario-errors.ts';
import { pollUntil } from '../within.ts';
import { baresipSkipReason, buildAccountLine, startBaresip, type BaresipAccount, type BaresipEvent, type BaresipPhone } from './baresip-process.ts';
import { HeardAudioWatch } from './heard-audio-watch.ts';
import { describeCall, unsupported, type AudioVerdict, type CallObservation, type RegistrationObservation, type ScenarioPhone } from './scenario-phone.ts';
import { silenceWav, toneWav } from './tone-wav.ts';

/** The only status baresip 1.0's `hangup` refuses a ringing call with. */
const BARESIP_REJECT_STATUS = 486;
const CLOSE_MS = 1000;

export interface BaresipPhoneSpec {
  name: string;
  user: string;
  password: string;
  displayName?: string;
  domain: string;
  protocol: 'udp' | 'tcp';
  /** The IPBX every request goes to: `127.0.0.1:5060`. */
  proxy: { address: string; port: number };
  toneHz?: number;
  /** How long the microphone file must last (the scenario's timeout and some). */
  audioSeconds: number;
}

interface BaresipCall {
  /** baresip's id of the call, once an event named it. */
  id: string | undefined;
  direction: 'outgoing' | 'incoming';
  state: CallObservation['state'];
  cause?: EndCause;
  status?: number;
  onHold: boolean;
  startedAt: number;
  connectedAt?: number;
  /** How the call is meant to end, when a step ended it (CALL_CLOSED does not say who did). */
  ending?: { cause: EndCause; status?: number };
  transferAsked: boolean;
  readonly timings: CallTimings;
}

export class BaresipScenarioPhone implements ScenarioPhone {
  readonly kind = 'baresip';
  readonly name: string;
  readonly #spec: BaresipPhoneSpec;
  readonly #process: BaresipPhone;
  readonly #heard: HeardAudioWatch;
  readonly #calls: BaresipCall[] = [];
  #digits = '';
  #registration: RegistrationObservation = { state: 'unregistered' };
  /** Answers (CALL_REMOTE_SDP) seen so far: a hold or resume is answered when this grows. */
  #remoteAnswers = 0;

  private constructor(spec: BaresipPhoneSpec, process: BaresipPhone) {
    this.name = spec.name;
    this.#spec = spec;
    this.#process = process;
    this.#heard = new HeardAudioWatch(() => process.recordings('heard'));
    process.onEvent((event) => this.#onEvent(event));
  }

  /** Starts baresip with the account but without registering (a `register` step does that). */
  static async start(spec: BaresipPhoneSpec): Promise<BaresipScenarioPhone> {
    const missing = baresipSkipReason();
    if (missing !== false) throw new ScenarioError('SCENARIO_PHONE_KIND_UNSUPPORTED', `phone ${spec.name}: kind baresip needs baresip 1.0 and its modules: install baresip (apt-get install baresip); ${missing}`);
    const audio = { seconds: spec.audioSeconds };
    const tone = await (spec.toneHz === undefined ? silenceWav(audio) : toneWav(spec.toneHz, audio));
    const process = await startBaresip({ name: spec.name, tone, account: account(spec, 0), maxLifetimeSec: spec.audioSeconds + 60 });
    return new BaresipScenarioPhone(spec, process);
  }

  get #aor(): string {
    return `sip:${this.#spec.user}@${this.#spec.domain}`;
  }

  get #current(): BaresipCall | undefined {
    return this.#calls.at(-1);
  }

  /**
   * baresip 1.0 registers when an account is created, so the account is replaced: one that
   * registers for `expires` s, or (0) one that never does (deleting the registered one sends the
   * REGISTER with expires 0; baresip does not report its answer).
   */
  async register(expires: number, ms: number, refresh = true): Promise<number> {
    if (!refresh) throw unsupported(this, 'register without refreshing', 'baresip renews its registration by itself (use a phone of kind phone to see one expire)');
    if (expires > 0 && this.#registration.state === 'registered') return this.#registration.status ?? 200;
    const since = this.#process.mark();
    await this.#process.command('uadel', this.#aor, ms);
    await this.#process.command('uanew', buildAccountLine({ name: this.name, tone: '', account: account(this.#spec, expires) })(0), ms);
    if (expires === 0) {
      this.#registration = { state: 'unregistered', detail: 'un-REGISTER sent (baresip does not report its answer)' };
      return 200;
    }
    const event = await this.#process.waitFor('REGISTER_OK', { since, timeoutMs: ms, failOn: ['REGISTER_FAIL'] }).catch(() => undefined);
    const failed = this.#process.events.slice(since).find((e) => e.type === 'REGISTER_FAIL');
    if (event === undefined && failed === undefined) throw new StepFailure(`${this.name} got no answer to its REGISTER within ${ms} ms`);
    const status = statusOf((event ?? failed)?.param) ?? (event === undefined ? 0 : 200);
    this.#registration = { state: event === undefined ? 'failed' : 'registered', status };
    return status;
  }

  async call(number: string): Promise<{ timings: CallTimings }> {
    const call: BaresipCall = { id: undefined, direction: 'outgoing', state: 'calling', onHold: false, startedAt: performance.now(), transferAsked: false, timings: {} };
    this.#calls.push(call);
    try {
      await this.#process.dial(`sip:${number}@${this.#spec.domain}`);
    } catch (err) {
      call.state = 'ended';
      call.cause = 'failed';
      throw new StepFailure(`${this.name} could not dial ${number}: ${briefly(err)}`);
    }
    return call;
  }

  async answer(ms: number): Promise<void> {
    const call = await this.#ringing(ms);
    await this.#process.command('accept', undefined, ms);
    await this.#until(() => call.state !== 'ringing', ms, `${this.name}'s answered call to connect`);
    if (call.state !== 'connected') throw new StepFailure(`${this.name}'s call is ${describeCall(call)} after answering`);
  }

  async reject(code: number, ms: number): Promise<void> {
    if (code !== BARESIP_REJECT_STATUS) throw unsupported(this, `reject with ${code}`, `baresip 1.0 refuses a call with ${BARESIP_REJECT_STATUS} only (use code: ${BARESIP_REJECT_STATUS}, or a phone of kind phone)`);
    const call = await this.#ringing(ms);
    call.ending = { cause: 'rejected', status: code };
    await this.#process.command('hangup', undefined, ms);
    await this.#until(() => call.state === 'ended', ms, `${this.name}'s call to end after rejecting it`);
  }

  async cancel(ms: number): Promise<void> {
    const call = this.#expect((c) => c.direction === 'outgoing' && (c.state === 'calling' || c.state === 'ringing'), 'cancel');
    call.ending = { cause: 'cancelled', status: 487 };
    await this.#process.command('hangup', undefined, ms);
    await this.#until(() => call.state === 'ended', ms, `${this.name}'s cancelled call to end`);
  }

  async hangup(ms: number): Promise<void> {
    const call = this.#expect((c) => c.state === 'connected', 'hang up');
    call.ending = { cause: 'local-hangup' };
    await this.#process.command('hangup', undefined, ms);
    await this.#until(() => call.state === 'ended', ms, `${this.name}'s call to end after hanging up`);
  }

  /** baresip's hold/resume send a re-INVITE; its answer is the next remote SDP answer. */
  async setHold(hold: boolean, ms: number): Promise<number> {
    const call = this.#expect((c) => c.state === 'connected', hold ? 'hold' : 'resume');
    const answersBefore = this.#remoteAnswers;
    await this.#process.command(hold ? 'hold' : 'resume', undefined, ms);
    await this.#until(() => this.#remoteAnswers > answersBefore || call.state === 'ended', ms, `the answer to ${this.name}'s re-INVITE`);
    if (call.state === 'ended') throw new StepFailure(`${this.name}'s call ended during the re-INVITE: ${describeCall(call)}`);
    call.onHold = hold;
    return 200;
  }

  /**
   * `transfer` sends the REFER; baresip 1.0 reports neither its answer nor the NOTIFYs, but ends
   * the call when the transfer worked: the step passes once the REFER is out, and the call's end
   * (cause transferred) is for an expectation to check.
   */
  async blindTransfer(number: string, ms: number): Promise<number> {
    const call = this.#expect((c) => c.state === 'connected', 'transfer');
    call.transferAsked = true;
    await this.#process.command('transfer', `sip:${number}@${this.#spec.domain}`, ms);
    return 202;
  }

  attendedTransfer(): Promise<number> {
    return Promise.reject(unsupported(this, 'transfer (attended)', 'baresip 1.0 has no attended transfer command (use a phone of kind phone or browser)'));
  }

  setNetwork(): void {
    throw unsupported(this, 'drop or restore its network', 'only the built-in desk phone (kind phone) can');
  }

  async sendDtmf(digits: string, via: 'rfc4733' | 'info', ms: number): Promise<void> {
    if (via === 'info') throw unsupported(this, 'send DTMF via SIP INFO', 'baresip 1.0 sends DTMF as RFC 4733 events only (use via: rfc4733)');
    this.#expect((c) => c.state === 'connected', 'send DTMF');
    await this.#process.command('sndcode', digits.toUpperCase(), ms);
  }

  observeCall(): Promise<CallObservation | undefined> {
    const call = this.#current;
    if (call === undefined) return Promise.resolve(undefined);
    this.#noteTimeToAudio(call);
    const { state, cause, status } = call;
    return Promise.resolve({ state, cause, status, description: describeCall(call, call.onHold) });
  }

  observeRegistration(): Promise<RegistrationObservation> {
    return Promise.resolve(this.#registration);
  }

  receivedDigits(): Promise<string> {
    return Promise.resolve(this.#digits);
  }

  async hears(frequencyHz: number, listenMs: number): Promise<AudioVerdict> {
    const heard = await this.#heard.latest(listenMs);
    const needed = heard === undefined ? 0 : (heard.sampleRate * listenMs * 0.8) / 1000;
    if (heard === undefined || heard.samples.length < needed) {
      const got = heard === undefined ? 'no audio yet' : `${Math.round((heard.samples.length * 1000) / heard.sampleRate)} ms of audio`;
      return { holds: false, summary: `${this.name} received ${got} in the last ${listenMs} ms (is media flowing to it?)` };
    }
    const detection = detectTone(heard.samples, heard.sampleRate, frequencyHz);
    return { holds: detection.detected, summary: detection.summary };
  }

  async hearsSilence(listenMs: number): Promise<AudioVerdict> {
    const heard = await this.#heard.latest(listenMs);
    const sampleRate = heard?.sampleRate ?? 8000;
    // Audio that did not arrive is silence: the window is the received audio padded with zeros.
    const window = new Int16Array(Math.round((sampleRate * listenMs) / 1000));
    if (heard !== undefined) window.set(heard.samples.subarray(Math.max(0, heard.samples.length - window.length)));
    const detection = detectSilence(window, sampleRate);
    return { holds: detection.silent, summary: detection.summary };
  }

  async close(): Promise<void> {
    const call = this.#current;
    if (call !== undefined && call.state !== 'ended') {
      // A scenario stopped by a failure leaves calls up; the IPBX should see them end, not vanish.
      call.ending ??= { cause: call.state === 'connected' ? 'local-hangup' : 'cancelled' };
      await this.#process.command('hangup', undefined, CLOSE_MS).catch(() => undefined);
      await this.#until(() => call.state === 'ended', CLOSE_MS, 'the call to end').catch(() => undefined);
    }
    if (call !== undefined) this.#noteTimeToAudio(call);
    this.#heard.stop();
    await this.#process.stop();
  }

  #onEvent(event: BaresipEvent): void {
    const now = performance.now();
    if (event.type === 'REGISTER_OK' || event.type === 'REGISTER_FAIL') return; // register() reads them
    if (event.type === 'CALL_DTMF_START') {
      this.#digits += (event.param ?? '').toUpperCase();
      return;
    }
    if (event.type === 'CALL_REMOTE_SDP' && event.param === 'answer') this.#remoteAnswers++;
    if (event.type === 'CALL_INCOMING') {
      this.#calls.push({ id: event.id, direction: 'incoming', state: 'ringing', onHold: false, startedAt: now, transferAsked: false, timings: {} });
      return;
    }
    const call = this.#callOf(event);
    if (call === undefined) return;
    switch (event.type) {
      case 'CALL_RINGING':
      case 'CALL_PROGRESS':
        if (call.state !== 'calling') return;
        call.state = 'ringing';
        call.timings.postDialDelayMs = Math.round(now - call.startedAt);
        return;
      case 'CALL_ESTABLISHED':
        if (call.state === 'ended') return;
        call.state = 'connected';
        call.status = 200;
        call.connectedAt = now;
        call.timings.setupMs = Math.round(now - call.startedAt);
        return;
      case 'CALL_CLOSED':
        if (call.state !== 'ended') this.#ended(call, event.param ?? '');
        return;
      default:
    }
  }

  /** Why the call ended: what a step asked for, else what CALL_CLOSED's reason says. */
  #ended(call: BaresipCall, reason: string): void {
    const wasConnected = call.state === 'connected';
    call.state = 'ended';
    const status = statusOf(reason);
    if (call.ending !== undefined) {
      call.cause = call.ending.cause;
      if (call.ending.status !== undefined) call.status = call.ending.status;
    } else if (wasConnected) {
      call.cause = call.transferAsked ? 'transferred' : 'remote-hangup';
    } else if (call.direction === 'outgoing') {
      call.cause = status === undefined ? 'failed' : 'rejected';
      if (status !== undefined) call.status = status;
    } else {
      call.cause = 'cancelled';
      call.status = 487;
    }
  }

  /** The call an event is about: by baresip's id, else the latest call, which takes the id. */
  #callOf(event: BaresipEvent): BaresipCall | undefined {
    const byId = event.id === undefined ? undefined : this.#calls.find((c) => c.id === event.id);
    if (byId !== undefined) return byId;
    const call = this.#current;
    if (call !== undefined && call.id === undefined) call.id = event.id;
    return call?.id === event.id || event.id === undefined ? call : undefined;
  }

  #noteTimeToAudio(call: BaresipCall): void {
    if (call.connectedAt === undefined || call.timings.timeToAudioMs !== undefined) return;
    const first = this.#heard.firstAudioAfter(call.connectedAt);
    if (first !== undefined) call.timings.timeToAudioMs = Math.max(0, Math.round(first - call.connectedAt));
  }

  async #ringing(ms: number): Promise<BaresipCall> {
    await this.#until(() => this.#current?.direction === 'incoming' && this.#current.state === 'ringing', ms, 'a ringing call')
      .catch(() => {
        const call = this.#current;
        throw new StepFailure(`no call rang at ${this.name} within ${ms} ms${call === undefined ? '' : ` (its last call is ${describeCall(call)})`}`);
      });
    const call = this.#current;
    if (call === undefined) throw new Error('unreachable: a ringing call vanished');
    return call;
  }

  #expect(accept: (call: BaresipCall) => boolean, action: string): BaresipCall {
    const call = this.#current;
    if (call === undefined || !accept(call)) throw new StepFailure(`${this.name} cannot ${action}: ${call === undefined ? 'it has no call' : `its call is ${describeCall(call)}`}`);
    return call;
  }

  async #until(condition: () => boolean, ms: number, what: string): Promise<void> {
    await pollUntil(() => (condition() ? true : undefined), ms, () => `timed out after ${ms} ms waiting for ${what}`);
  }
}

function account(spec: BaresipPhoneSpec, regint: number): BaresipAccount {
  return {
    user: spec.user, domain: spec.domain, password: spec.password, transport: spec.protocol, regint,
    outbound: `sip:${spec.proxy.address}:${spec.proxy.port}`,
    ...(spec.displayName === undefined ? {} : { displayName: spec.displayName }),
  };
}

/** The status at the start of a reason (`486 Rejected`, `401 Unauthorized`). */
function statusOf(reason: string | undefined): number | undefined {
  const match = /^([1-6]\d\d)\b/.exec(reason ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** An error's first line (baresip's errors carry the output tail after it). */
function briefly(err: unknown): string {
  return (err as Error).message.split('\n')[0] ?? String(err);
}
