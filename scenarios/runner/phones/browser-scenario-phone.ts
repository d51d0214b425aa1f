// The `browser` kind: the voiplab softphone (softphone/) in headless Debian Chromium, one Chromium
// process per phone (the fake microphone file is per process), driven through playwright-core.
// It signs in through its own form (register) and its sign-out button (unregister); calls go
// through its automation API (window.voiplab, docs/softphone.md). Hearing is the page's WebAudio
// analyser on the call's remote audio: the dominant frequency and level over the window, with
// echo cancellation, noise suppression and gain control off (audioProcessing=0) so tones pass
// untouched.
//
// What the softphone cannot do, the steps refuse by name: reject with a code other than 486; it
// sees received DTMF only when it comes in SIP INFO (RFC 4733 events never reach a page).

import { existsSync } from 'node:fs';
import type { CallSnapshot, DtmfMethod, HeardAudio, PhoneSnapshot, VoiplabApi } from '../../../softphone/src/automation/voiplab-api-types.ts';
import type { CallTimings, EndCause } from '../phone-emulator/emulated-call.ts';
import { ScenarioError, StepFailure } from '../scenario-errors.ts';
import { pollUntil } from '../within.ts';
import { CHROMIUM, withTimeout } from './chromium.ts';
import { describeCall, unsupported, type AudioVerdict, type CallObservation, type RegistrationObservation, type ScenarioPhone } from './scenario-phone.ts';
import type { SoftphonePage } from './softphone-page.ts';

/** The softphone's Decline button answers 486 Busy Here. */
const SOFTPHONE_REJECT_STATUS = 486;
/** Bound on one call into the page; hold and transfer wait for the network within it. */
const PAGE_CALL_MS = 20_000;
const CLOSE_MS = 2000;
const TONE_TOLERANCE_HZ = 50;
/** The fake microphones play at -9 dBFS; this far below is silence or comfort noise, not a tone. */
const MIN_TONE_LEVEL_DB = -45;
/** At or under this the window is silent (the audio toolkit's silence threshold). */
const MAX_SILENCE_LEVEL_DB = -50;

export interface BrowserPhoneSpec {
  name: string;
  user: string;
  password: string;
  displayName?: string;
  domain: string;
  /** The softphone page: `http://127.0.0.1:PORT/phone/`. */
  pageUrl: string;
  /** The SIP-over-WebSocket URL (ws:// or wss://) the page signs in to; the page's own default when absent. */
  webSocketUrl?: string;
  /** A PEM certificate Chromium trusts by its public key (a self-signed WSS server's). */
  trustCertificate?: string;
  toneHz?: number;
}

export class BrowserScenarioPhone implements ScenarioPhone {
  readonly kind = 'browser';
  readonly name: string;
  readonly #spec: BrowserPhoneSpec;
  readonly #page: SoftphonePage;
  /** Timings of each call by id, filled in from its snapshots. */
  readonly #timings = new Map<string, CallTimings>();

  private constructor(spec: BrowserPhoneSpec, page: SoftphonePage) {
    this.name = spec.name;
    this.#spec = spec;
    this.#page = page;
  }

  static async start(spec: BrowserPhoneSpec): Promise<BrowserScenarioPhone> {
    if (!existsSync(CHROMIUM)) throw new ScenarioError('SCENARIO_PHONE_KIND_UNSUPPORTED', `phone ${spec.name}: kind browser needs Chromium at ${CHROMIUM}: install chromium (apt-get install chromium), or set VOIPLAB_CHROMIUM`);
    // playwright-core is loaded only when a scenario has a browser phone.
    const { SoftphonePage: Page } = await import('./softphone-page.ts').catch((err: unknown) => {
      throw new ScenarioError('SCENARIO_PHONE_KIND_UNSUPPORTED', `phone ${spec.name}: kind browser needs playwright-core (npm install playwright-core): ${(err as Error).message}`, { cause: err });
    });
    const query = new URLSearchParams({
      user: spec.user, domain: spec.domain, audioProcessing: '0', autoSignIn: '0', dtmf: 'rfc4733',
      ...(spec.webSocketUrl === undefined ? {} : { server: spec.webSocketUrl }),
      ...(spec.displayName === undefined ? {} : { displayName: spec.displayName }),
    });
    const page = await Page.launch({
      name: spec.name, url: `${spec.pageUrl}?${query.toString()}`,
      ...(spec.toneHz === undefined ? {} : { toneHz: spec.toneHz }),
      ...(spec.trustCertificate === undefined ? {} : { trustCertificate: spec.trustCertificate }),
    });
    return new BrowserScenarioPhone(spec, page);
  }

  /** Signs in through the form (expires > 0; the softphone picks its own expiry) or signs out (0). */
  async register(expires: number, ms: number, refresh = true): Promise<number> {
    if (!refresh) throw unsupported(this, 'register without refreshing', 'the softphone renews its registration by itself (use a phone of kind phone to see one expire)');
    const before = (await this.#state()).registration;
    if (expires === 0) {
      if (before.state === 'signed-out') return 200;
      await this.#page.click('sign-out');
      await this.#waitState('signed out', (s) => s.registration.state === 'signed-out', ms);
      return 200;
    }
    if (before.state === 'registered') return before.statusCode ?? 200;
    await this.#page.signIn({ user: this.#spec.user, password: this.#spec.password, ...(this.#spec.displayName === undefined ? {} : { displayName: this.#spec.displayName }) });
    const state = await this.#waitState('registration settled', (s) => s.registration.state === 'registered' || s.registration.state === 'failed', ms);
    if (state.registration.state === 'registered') return state.registration.statusCode ?? 200;
    const status = state.registration.statusCode ?? state.lastError?.statusCode ?? undefined;
    if (status === undefined) throw new StepFailure(`${this.name} could not register: ${state.lastError?.code ?? 'failed'} ${state.lastError?.detail ?? ''}`.trim());
    return status;
  }

  async call(number: string): Promise<{ timings: CallTimings }> {
    const id = await this.#api('call', number).catch((err: unknown) => { throw new StepFailure(`${this.name} could not call ${number}: ${briefly(err)}`); });
    const timings: CallTimings = {};
    this.#timings.set(id, timings);
    return { timings };
  }

  async answer(ms: number): Promise<void> {
    const call = await this.#ringing(ms);
    await this.#api('answer', call.id);
  }

  async reject(code: number, ms: number): Promise<void> {
    if (code !== SOFTPHONE_REJECT_STATUS) throw unsupported(this, `reject with ${code}`, `the softphone refuses a call with ${SOFTPHONE_REJECT_STATUS} only (use code: ${SOFTPHONE_REJECT_STATUS}, or a phone of kind phone)`);
    const call = await this.#ringing(ms);
    await this.#api('reject', call.id);
    await this.#waitCall(call.id, 'ended', ms);
  }

  async cancel(ms: number): Promise<void> {
    const call = await this.#expect((c) => c.direction === 'outgoing' && (c.state === 'calling' || c.state === 'ringing'), 'cancel');
    await this.#api('hangup', call.id);
    await this.#waitCall(call.id, 'ended', ms);
  }

  async hangup(ms: number): Promise<void> {
    const call = await this.#expect((c) => c.state === 'connected', 'hang up');
    await this.#api('hangup', call.id);
    await this.#waitCall(call.id, 'ended', ms);
  }

  async setHold(hold: boolean, ms: number): Promise<number> {
    const call = await this.#expect((c) => c.state === 'connected', hold ? 'hold' : 'resume');
    return this.#answered(withTimeout(this.#api(hold ? 'hold' : 'resume', call.id), ms, `${this.name}'s re-INVITE`), 200);
  }

  /** Resolves once the REFER is answered (202); the transferor's call then ends by itself. */
  async blindTransfer(number: string, ms: number): Promise<number> {
    const call = await this.#expect((c) => c.state === 'connected', 'transfer');
    return this.#answered(withTimeout(this.#api('blindTransfer', number, call.id), ms, `${this.name}'s REFER`), 202);
  }

  /** The softphone's "Connect the two calls": the earlier connected call goes to the latest one's party. */
  async attendedTransfer(_number: string, ms: number): Promise<number> {
    const latest = await this.#expect((c) => c.state === 'connected', 'transfer (attended)');
    const earlier = (await this.#state()).calls.filter((c) => c.state === 'connected' && callNumber(c) < callNumber(latest)).at(-1);
    if (earlier === undefined) throw new StepFailure(`${this.name} cannot transfer (attended): it needs an earlier connected call besides its latest one`);
    return this.#answered(withTimeout(this.#api('attendedTransfer', earlier.id, latest.id), ms, `${this.name}'s REFER`), 202);
  }

  setNetwork(): void {
    throw unsupported(this, 'drop or restore its network', 'only the built-in desk phone (kind phone) can');
  }

  async sendDtmf(digits: string, via: 'rfc4733' | 'info', ms: number): Promise<void> {
    const call = await this.#expect((c) => c.state === 'connected', 'send DTMF');
    await withTimeout(this.#api('sendDtmf', digits, via satisfies DtmfMethod, call.id), ms, `${this.name}'s DTMF`);
  }

  async observeCall(): Promise<CallObservation | undefined> {
    const call = latestCall(await this.#state());
    if (call === undefined) return undefined;
    const observed = { state: callState(call), cause: endCause(call), status: call.statusCode ?? undefined };
    return { ...observed, description: describeCall(observed, call.onHold) };
  }

  async observeRegistration(): Promise<RegistrationObservation> {
    const { registration, lastError } = await this.#state();
    const state = registration.state === 'registered' ? 'registered' : registration.state === 'failed' ? 'failed' : 'unregistered';
    return {
      state, status: registration.statusCode ?? lastError?.statusCode ?? undefined,
      ...(registration.state === state ? {} : { detail: registration.state }),
    };
  }

  /** Only SIP INFO digits: RFC 4733 events are consumed by WebRTC before any page script sees them. */
  async receivedDigits(): Promise<string> {
    const calls = [...(await this.#state()).calls].sort((a, b) => callNumber(a) - callNumber(b));
    return calls.map((c) => c.receivedDtmf).join('').toUpperCase();
  }

  async hears(frequencyHz: number, listenMs: number): Promise<AudioVerdict> {
    const heard = await this.#listen(listenMs);
    const holds = heard.hasTrack && heard.levelDb >= MIN_TONE_LEVEL_DB && Math.abs(heard.frequencyHz - frequencyHz) <= TONE_TOLERANCE_HZ;
    return { holds, summary: `${frequencyHz} Hz ${holds ? 'heard' : 'not heard'}: ${describeHeard(heard, listenMs)}` };
  }

  async hearsSilence(listenMs: number): Promise<AudioVerdict> {
    const heard = await this.#listen(listenMs);
    const holds = !heard.hasTrack || heard.levelDb <= MAX_SILENCE_LEVEL_DB;
    return { holds, summary: `${holds ? 'silent' : 'not silent'}: ${describeHeard(heard, listenMs)}` };
  }

  async close(): Promise<void> {
    const call = await this.#state().then(latestCall, () => undefined);
    // A scenario stopped by a failure leaves calls up; the IPBX should see them end, not vanish.
    if (call !== undefined && call.state !== 'ended') await withTimeout(this.#api('hangup', call.id), CLOSE_MS, 'hang-up').catch(() => undefined);
    await this.#page.close();
  }

  async #state(): Promise<PhoneSnapshot> {
    const state = await this.#page.state();
    for (const call of state.calls) {
      const timings = this.#timings.get(call.id);
      if (timings === undefined) continue;
      const ringingAt = 'ringingAt' in call && typeof call.ringingAt === 'number' ? call.ringingAt : undefined;
      if (ringingAt !== undefined) timings.postDialDelayMs ??= ringingAt - call.startedAt;
      if (call.connectedAt !== null) timings.setupMs ??= call.connectedAt - call.startedAt;
    }
    return state;
  }

  async #listen(listenMs: number): Promise<HeardAudio> {
    const call = latestCall(await this.#state());
    if (call === undefined || call.state === 'ended') return { frequencyHz: 0, levelDb: -120, hasTrack: false };
    return this.#api('listen', listenMs, call.id);
  }

  /** A hold or transfer: its status when refused (`… refused with 491 …`), else `ok`. */
  async #answered(action: Promise<void>, ok: number): Promise<number> {
    try {
      await action;
      return ok;
    } catch (err) {
      const status = /refused with (\d{3})/.exec((err as Error).message)?.[1];
      if (status !== undefined) return Number(status);
      throw new StepFailure(briefly(err));
    }
  }

  async #ringing(ms: number): Promise<CallSnapshot> {
    const state = await this.#waitState('a ringing call', (s) => latestCall(s)?.state === 'incoming', ms).catch(async () => {
      const call = latestCall(await this.#state());
      throw new StepFailure(`no call rang at ${this.name} within ${ms} ms${call === undefined ? '' : ` (its last call is ${describeCall({ state: callState(call), cause: endCause(call), status: call.statusCode ?? undefined })})`}`);
    });
    const call = latestCall(state);
    if (call === undefined) throw new Error('unreachable: a ringing call vanished');
    return call;
  }

  async #expect(accept: (call: CallSnapshot) => boolean, action: string): Promise<CallSnapshot> {
    const call = latestCall(await this.#state());
    if (call === undefined || !accept(call)) {
      const seen = call === undefined ? 'it has no call' : `its call is ${describeCall({ state: callState(call), cause: endCause(call), status: call.statusCode ?? undefined }, call.onHold)}`;
      throw new StepFailure(`${this.name} cannot ${action}: ${seen}`);
    }
    return call;
  }

  async #waitCall(id: string, state: CallSnapshot['state'], ms: number): Promise<void> {
    await this.#waitState(`call ${id} ${state}`, (s) => s.calls.find((c) => c.id === id)?.state === state, ms);
  }

  async #waitState(what: string, accept: (state: PhoneSnapshot) => boolean, ms: number): Promise<PhoneSnapshot> {
    let last: PhoneSnapshot | undefined;
    return pollUntil(async () => {
      last = await this.#state();
      return accept(last) ? last : undefined;
    }, ms, () => `${this.name}: ${what} not reached within ${ms} ms (registration ${last?.registration.state ?? '?'}, ${last?.calls.length ?? 0} calls${last?.lastError == null ? '' : `, last error ${last.lastError.code}: ${last.lastError.detail}`})`);
  }

  /** `window.voiplab[method](...args)` in the page, bounded. */
  async #api<M extends Exclude<keyof VoiplabApi, 'apiVersion'>>(method: M, ...args: unknown[]): Promise<VoiplabResult<M>> {
    const evaluation = this.#page.page.evaluate(
      // Playwright sends this function's source to the page: it must not close over anything.
      ({ name, values }: { name: string; values: unknown[] }) => (globalThis as unknown as { voiplab: Record<string, (...a: unknown[]) => unknown> }).voiplab[name]!(...values),
      { name: method, values: args },
    );
    return await withTimeout(evaluation, PAGE_CALL_MS, `${this.name}: voiplab.${method}()`) as VoiplabResult<M>;
  }
}

type VoiplabResult<M extends keyof VoiplabApi> = VoiplabApi[M] extends (...args: never[]) => infer R ? Awaited<R> : never;

/** The phone's newest call (ids are c1, c2… in order of creation). */
function latestCall(state: PhoneSnapshot): CallSnapshot | undefined {
  return state.calls.reduce<CallSnapshot | undefined>((newest, c) => (newest === undefined || callNumber(c) > callNumber(newest) ? c : newest), undefined);
}

function callNumber(call: CallSnapshot): number {
  return Number(/\d+/.exec(call.id)?.[0] ?? 0);
}

function callState(call: CallSnapshot): CallObservation['state'] {
  return call.state === 'incoming' ? 'ringing' : call.state;
}

/** The softphone says `declined` for a call it refused; the scenario format, like the desk phone, `rejected`. */
function endCause(call: CallSnapshot): EndCause | undefined {
  if (call.endCause === null) return undefined;
  return call.endCause === 'declined' ? 'rejected' : call.endCause;
}

function describeHeard(heard: HeardAudio, listenMs: number): string {
  if (!heard.hasTrack) return 'no remote audio track (no call, or no media yet)';
  return `dominant ${heard.frequencyHz.toFixed(0)} Hz at ${heard.levelDb.toFixed(1)} dBFS over ${listenMs} ms`;
}

function briefly(err: unknown): string {
  return (err as Error).message.split('\n')[0] ?? String(err);
}
