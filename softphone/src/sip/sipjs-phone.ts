// The SoftPhone on sip.js 0.21: one UserAgent over a WebSocket (RFC 7118), one Registerer, and
// the calls. It reconnects and re-registers by itself after the WebSocket drops (server restart,
// network change), with a growing delay, until signed out.

import {
  Inviter, Registerer, RegistererState, SessionState, UserAgent, Web,
  type Invitation, type LogLevel, type URI,
} from 'sip.js';
import { MicrophoneError, openMicrophone, type MicrophoneOptions } from '../media/microphone.ts';
import type { CallQuality, DtmfMethod, PhoneError, PhoneErrorCode, PhoneSnapshot, RegistrationSnapshot, SignInOptions } from './phone-types.ts';
import type { SoftPhone } from './soft-phone.ts';
import { SipJsCall } from './sipjs-call.ts';

/** Calls at once: one talking and one on hold or waiting; a third caller gets 486 Busy Here. */
const MAX_LIVE_CALLS = 2;
/** Ended calls kept in the snapshot, so automation and the UI can read how they ended. */
const ENDED_CALLS_KEPT = 5;
const RECONNECT_FIRST_DELAY_MS = 500;
const RECONNECT_MAX_DELAY_MS = 30_000;
/** Host candidates alone gather at once; with STUN/TURN servers, allow them time. */
const ICE_GATHERING_TIMEOUT_MS = 1000;
const ICE_GATHERING_TIMEOUT_WITH_SERVERS_MS = 3000;
const REGISTER_EXPIRES_S = 300;

export interface SipJsPhoneOptions {
  microphone: () => MicrophoneOptions;
  /** Every SIP message sent or received, for the automation trace. */
  onSipMessage?: (text: string) => void;
}

export class SipJsPhone implements SoftPhone {
  readonly #options: SipJsPhoneOptions;
  readonly #listeners = new Set<(snapshot: PhoneSnapshot) => void>();
  #calls: SipJsCall[] = [];
  #nextCallId = 1;
  #userAgent: UserAgent | undefined;
  #registerer: Registerer | undefined;
  #domain = '';
  #registration: RegistrationSnapshot = { state: 'signed-out', aor: null, statusCode: null };
  #lastError: PhoneError | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectAttempt = 0;
  #signingOut = false;
  /** The WebSocket dropped while calls were up: once registered again, each call moves to the new connection. */
  #callsToCarryOver = false;

  constructor(options: SipJsPhoneOptions) {
    this.#options = options;
    // The network coming back is the best moment to reconnect, rather than the next back-off tick.
    addEventListener('online', () => {
      if (this.#registration.state === 'reconnecting') this.#scheduleReconnect(0);
    });
  }

  async signIn(options: SignInOptions): Promise<void> {
    if (this.#userAgent !== undefined) await this.signOut();
    this.clearError();
    const uri = UserAgent.makeURI(`sip:${options.user}@${options.domain}`);
    if (uri === undefined || !/^wss?:\/\/[^/]+/i.test(options.server)) {
      this.#fail('bad-settings', null, uri === undefined ? `not a SIP address: ${options.user}@${options.domain}` : `not a WebSocket URL: ${options.server}`);
      return;
    }
    this.#domain = options.domain;
    this.#signingOut = false;
    this.#setRegistration({ state: 'connecting', aor: `${options.user}@${options.domain}`, statusCode: null });
    const iceServers = options.iceServers ?? [];
    const userAgent = new UserAgent({
      uri,
      displayName: options.displayName ?? '',
      authorizationUsername: options.authUser ?? options.user,
      authorizationPassword: options.password,
      transportOptions: { server: options.server, traceSip: true, keepAliveInterval: 25 },
      logBuiltinEnabled: false,
      logLevel: 'log',
      logConnector: (level, category, label, content) => this.#log(level, category, label, content),
      sessionDescriptionHandlerFactory: Web.defaultSessionDescriptionHandlerFactory(() => this.#openMicrophone()),
      sessionDescriptionHandlerFactoryOptions: {
        iceGatheringTimeout: iceServers.length > 0 ? ICE_GATHERING_TIMEOUT_WITH_SERVERS_MS : ICE_GATHERING_TIMEOUT_MS,
        peerConnectionConfiguration: { iceServers },
      },
      delegate: {
        onInvite: (invitation) => this.#onInvite(invitation),
        onConnect: () => this.#onConnect(),
        onDisconnect: (error) => this.#onDisconnect(error),
      },
    });
    this.#userAgent = userAgent;
    try {
      await userAgent.start();
    } catch (err) {
      this.#userAgent = undefined;
      await userAgent.stop().catch(() => undefined);
      this.#fail('server-unreachable', null, `${options.server}: ${errorText(err)}`);
      this.#setRegistration({ ...this.#registration, state: 'failed' });
      return;
    }
    const registerer = new Registerer(userAgent, { expires: REGISTER_EXPIRES_S });
    this.#registerer = registerer;
    registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Registered) {
        if (this.#lastError?.code === 'connection-lost') this.clearError();
        this.#setRegistration({ ...this.#registration, state: 'registered' });
      }
    });
    this.#register();
  }

  async signOut(): Promise<void> {
    this.#signingOut = true;
    clearTimeout(this.#reconnectTimer);
    const userAgent = this.#userAgent;
    const registerer = this.#registerer;
    this.#userAgent = undefined;
    this.#registerer = undefined;
    await Promise.allSettled(this.#liveCalls().map((call) => call.hangup()));
    if (registerer !== undefined && registerer.state === RegistererState.Registered) await registerer.unregister().catch(() => undefined);
    await userAgent?.stop().catch(() => undefined);
    for (const call of this.#liveCalls()) call.markFailed();
    this.#setRegistration({ state: 'signed-out', aor: null, statusCode: null });
  }

  async call(target: string): Promise<string> {
    const userAgent = this.#userAgent;
    if (userAgent === undefined || this.#registration.state !== 'registered') throw new Error(`call: not registered (${this.#registration.state})`);
    if (this.#liveCalls().length >= MAX_LIVE_CALLS) throw new Error(`call: already ${MAX_LIVE_CALLS} calls`);
    const uri = this.#targetUri(target);
    await this.#holdOthers(undefined);
    const call = this.#addCall(new Inviter(userAgent, uri));
    try {
      await call.invite();
    } catch (err) {
      this.#noteCallError(err);
      call.markFailed();
      this.#changed();
    }
    return call.id;
  }

  async answer(callId: string): Promise<void> {
    const call = this.#call(callId);
    await this.#holdOthers(call);
    try {
      await call.answer();
    } catch (err) {
      this.#noteCallError(err);
      throw err;
    }
  }

  reject(callId: string): Promise<void> {
    return this.#call(callId).reject();
  }

  hangup(callId: string): Promise<void> {
    return this.#call(callId).hangup();
  }

  hold(callId: string): Promise<void> {
    return this.#call(callId).setHold(true);
  }

  resume(callId: string): Promise<void> {
    return this.#call(callId).setHold(false);
  }

  async swapTo(callId: string): Promise<void> {
    const call = this.#call(callId);
    await this.#holdOthers(call);
    await call.setHold(false);
  }

  setMuted(callId: string, muted: boolean): void {
    this.#call(callId).setMuted(muted);
  }

  sendDtmf(callId: string, digits: string, method: DtmfMethod): Promise<void> {
    return this.#call(callId).sendDtmf(digits.toUpperCase(), method);
  }

  async blindTransfer(callId: string, target: string): Promise<void> {
    try {
      await this.#call(callId).refer(this.#targetUri(target));
    } catch (err) {
      this.#fail('transfer-failed', null, errorText(err));
      throw err;
    }
  }

  async attendedTransfer(callId: string, otherCallId: string): Promise<void> {
    try {
      await this.#call(callId).refer(this.#call(otherCallId).session);
    } catch (err) {
      this.#fail('transfer-failed', null, errorText(err));
      throw err;
    }
  }

  snapshot(): PhoneSnapshot {
    return {
      registration: { ...this.#registration },
      calls: this.#calls.map((call) => call.snapshot()),
      lastError: this.#lastError === null ? null : { ...this.#lastError },
    };
  }

  subscribe(listener: (snapshot: PhoneSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  remoteStream(callId: string): MediaStream | undefined {
    return this.#calls.find((call) => call.id === callId)?.remoteStream();
  }

  async quality(callId: string): Promise<CallQuality | null> {
    return this.#calls.find((call) => call.id === callId)?.quality() ?? null;
  }

  clearError(): void {
    if (this.#lastError === null) return;
    this.#lastError = null;
    this.#changed();
  }

  // --- Registration and reconnection ---------------------------------------------------------

  #register(): void {
    const registerer = this.#registerer;
    if (registerer === undefined) return;
    this.#setRegistration({ ...this.#registration, state: 'registering', statusCode: null });
    registerer.register({
      requestDelegate: {
        // Not only stateChange: a re-REGISTER after a reconnection leaves sip.js's Registerer in
        // Registered throughout, so no state change tells that the server has the binding again.
        onAccept: (response) => {
          if (this.#lastError?.code === 'connection-lost') this.#lastError = null;
          this.#setRegistration({ ...this.#registration, state: 'registered', statusCode: response.message.statusCode ?? null });
          if (this.#callsToCarryOver) {
            this.#callsToCarryOver = false;
            this.#carryCallsOver();
          }
        },
        onReject: (response) => {
          const status = response.message.statusCode ?? 0;
          const credentials = status === 401 || status === 403 || status === 407;
          this.#fail(credentials ? 'wrong-credentials' : 'registration-refused', status, `${status} ${response.message.reasonPhrase ?? ''}`.trim());
          this.#setRegistration({ ...this.#registration, state: 'failed', statusCode: status });
          // Retrying a refused password only gets the account banned; the user signs in again.
          void this.#dropUserAgent();
        },
      },
    }).catch((err: unknown) => {
      this.#fail('registration-refused', null, errorText(err));
      this.#setRegistration({ ...this.#registration, state: 'failed' });
    });
  }

  async #dropUserAgent(): Promise<void> {
    const userAgent = this.#userAgent;
    this.#signingOut = true;
    this.#userAgent = undefined;
    this.#registerer = undefined;
    await userAgent?.stop().catch(() => undefined);
  }

  #onConnect(): void {
    if (this.#registration.state !== 'reconnecting') return;
    this.#reconnectAttempt = 0;
    this.#register();
  }

  /** With an error, the server or the network dropped the WebSocket (ours has none): reconnect. */
  #onDisconnect(error?: Error): void {
    if (error === undefined || this.#signingOut || this.#userAgent === undefined) return;
    this.#fail('connection-lost', null, error.message);
    if (this.#liveCalls().some((call) => call.session.state === SessionState.Established)) this.#callsToCarryOver = true;
    this.#setRegistration({ ...this.#registration, state: 'reconnecting' });
    this.#scheduleReconnect(RECONNECT_FIRST_DELAY_MS);
  }

  /**
   * Re-INVITEs with an ICE restart for every connected call, once the new connection is
   * registered: the server then sends the call's requests over it, and the media finds its way
   * again if the network changed. A call the server no longer knows (481) ends there.
   */
  #carryCallsOver(): void {
    for (const call of this.#liveCalls()) {
      if (call.session.state !== SessionState.Established) continue;
      call.restartIce().catch((err: unknown) => console.warn(`call ${call.id}: ${errorText(err)}`));
    }
  }

  #scheduleReconnect(delayMs: number): void {
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      const userAgent = this.#userAgent;
      if (userAgent === undefined || this.#signingOut) return;
      userAgent.reconnect().catch(() => {
        this.#reconnectAttempt += 1;
        this.#scheduleReconnect(Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_FIRST_DELAY_MS * 2 ** this.#reconnectAttempt));
      });
    }, delayMs);
  }

  // --- Calls ---------------------------------------------------------------------------------

  #onInvite(invitation: Invitation): void {
    if (this.#liveCalls().length >= MAX_LIVE_CALLS) {
      void invitation.reject({ statusCode: 486 });
      return;
    }
    this.#addCall(invitation);
  }

  #addCall(session: Inviter | Invitation): SipJsCall {
    const call = new SipJsCall(`c${this.#nextCallId++}`, session, () => this.#changed());
    this.#calls.push(call);
    this.#changed();
    return call;
  }

  /** Puts every connected call but `except` on hold (call waiting: one talks, the others wait). */
  async #holdOthers(except: SipJsCall | undefined): Promise<void> {
    const others = this.#liveCalls().filter((call) => call !== except && call.session.state === SessionState.Established && !call.snapshot().onHold);
    await Promise.all(others.map((call) => call.setHold(true)));
  }

  #liveCalls(): SipJsCall[] {
    return this.#calls.filter((call) => call.state !== 'ended');
  }

  #call(callId: string): SipJsCall {
    const call = this.#calls.find((candidate) => candidate.id === callId);
    if (call === undefined) throw new Error(`no call ${callId}`);
    return call;
  }

  /** A number at the signed-in domain (spaces, dots and dashes dropped), or a sip: URI as is. */
  #targetUri(target: string): URI {
    const trimmed = target.trim();
    const text = /^sips?:/i.test(trimmed) ? trimmed
      : trimmed.includes('@') ? `sip:${trimmed}` : `sip:${trimmed.replace(/[\s().-]/g, '')}@${this.#domain}`;
    const uri = UserAgent.makeURI(text);
    if (uri === undefined) throw new Error(`not a number or SIP address: ${target}`);
    return uri;
  }

  async #openMicrophone(): Promise<MediaStream> {
    try {
      return await openMicrophone(this.#options.microphone());
    } catch (err) {
      this.#noteCallError(err);
      throw err;
    }
  }

  #noteCallError(err: unknown): void {
    if (err instanceof MicrophoneError) this.#fail(err.code, null, err.message);
    else if (this.#lastError?.code !== 'microphone-denied' && this.#lastError?.code !== 'no-microphone') this.#fail('call-failed', null, errorText(err));
  }

  // --- State ---------------------------------------------------------------------------------

  #fail(code: PhoneErrorCode, statusCode: number | null, detail: string): void {
    this.#lastError = { code, statusCode, detail, at: Date.now() };
    this.#changed();
  }

  #setRegistration(registration: RegistrationSnapshot): void {
    this.#registration = registration;
    this.#changed();
  }

  #changed(): void {
    const ended = this.#calls.filter((call) => call.state === 'ended');
    if (ended.length > ENDED_CALLS_KEPT) {
      const dropped = new Set(ended.slice(0, ended.length - ENDED_CALLS_KEPT));
      this.#calls = this.#calls.filter((call) => !dropped.has(call));
    }
    const snapshot = this.snapshot();
    for (const listener of this.#listeners) listener(snapshot);
  }

  #log(level: LogLevel, category: string, _label: string | undefined, content: string): void {
    if (category === 'sip.Transport' && /WebSocket (text |binary )?message/.test(content)) this.#options.onSipMessage?.(content.trim());
    else if (level === 'error') console.warn(`[${category}] ${content}`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
