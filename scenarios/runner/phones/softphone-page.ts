// The real softphone (softphone/, served by the IPBX at /phone/) in Debian's Chromium, for the
// scenario runner's `browser` phones and the e2e tests: driven the way a person does (its
// data-testid controls) and read through its automation API (window.voiplab). One Chromium per
// phone: the fake microphone file is per process. Every wait is bounded, and a failure says what
// the phone showed: state, error, console, SIP trace.

import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core';
import type { CallSnapshot, HeardAudio, PhoneSnapshot, VoiplabApi } from '../../../softphone/src/automation/voiplab-api-types.ts';
import { CHROMIUM, CHROMIUM_ARGS, sleep, spkiHash, withoutBody, withTimeout } from './chromium.ts';
import { silenceWav, toneWav } from './tone-wav.ts';

export type { CallSnapshot, HeardAudio, PhoneSnapshot } from '../../../softphone/src/automation/voiplab-api-types.ts';

const LAUNCH_TIMEOUT_MS = 60_000;
const ACTION_TIMEOUT_MS = 15_000;
const CLOSE_TIMEOUT_MS = 15_000;
const POLL_INTERVAL_MS = 100;
const DEFAULT_WAIT_MS = 15_000;
const DEFAULT_HEAR_TIMEOUT_MS = 20_000;
const TONE_TOLERANCE_HZ = 50;
/** The fake microphones play at -9 dBFS; this far below is silence or comfort noise. */
const MIN_TONE_LEVEL_DB = -45;
const CONSOLE_LINES_KEPT = 40;
const TRACE_MESSAGES_IN_FAILURES = 8;

export interface SoftphoneLaunchOptions {
  /** Names the phone in failure messages. */
  name: string;
  /** The page to open: `http://127.0.0.1:PORT/phone/?…`. */
  url: string;
  /** The fake microphone plays this tone; silence without it. */
  toneHz?: number;
  /** A PEM certificate Chromium trusts by its public key (the IPBX's, for WSS). */
  trustCertificate?: string;
  /** Browser language (navigator.language); default en-US. */
  locale?: string;
  /**
   * 'fake' (default): a fake microphone, allowed without asking; 'none': no capture device at
   * all; 'denied': the browser refuses the permission (no fake consent UI).
   */
  microphone?: 'fake' | 'none' | 'denied';
}

export interface HearOptions {
  /** Default: the active call. */
  callId?: string;
  /** Default 20 s: audio through two Chromiums and rtpengine can take seconds on a loaded machine. */
  timeoutMs?: number;
}

export interface SignInFields {
  user: string;
  password: string;
  displayName?: string;
}

export class SoftphonePage {
  readonly name: string;
  readonly page: Page;
  readonly #server: BrowserServer;
  readonly #browser: Browser;
  readonly #console: string[] = [];
  #closed = false;

  private constructor(name: string, server: BrowserServer, browser: Browser, page: Page) {
    this.name = name;
    this.#server = server;
    this.#browser = browser;
    this.page = page;
    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') this.#note(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.#note(`page error: ${error.stack ?? error.message}`));
  }

  static async launch(options: SoftphoneLaunchOptions): Promise<SoftphonePage> {
    const wavOptions = { sampleRate: 48_000, seconds: 10 };
    const wav = await (options.toneHz === undefined ? silenceWav(wavOptions) : toneWav(options.toneHz, wavOptions));
    const microphone = options.microphone ?? 'fake';
    const dropped = new Set(microphone === 'none' ? ['--use-fake-device-for-media-stream'] : microphone === 'denied' ? ['--use-fake-ui-for-media-stream'] : []);
    const server = await chromium.launchServer({
      executablePath: CHROMIUM,
      args: [
        ...CHROMIUM_ARGS.filter((arg) => !dropped.has(arg)),
        ...(microphone === 'none' ? [] : [`--use-file-for-fake-audio-capture=${wav}`]),
        ...(options.trustCertificate === undefined ? [] : [`--ignore-certificate-errors-spki-list=${spkiHash(options.trustCertificate)}`]),
      ],
      host: '127.0.0.1',
      timeout: LAUNCH_TIMEOUT_MS,
    });
    try {
      const browser = await chromium.connect(server.wsEndpoint(), { timeout: LAUNCH_TIMEOUT_MS });
      // A phone-sized window: the screenshots show what a phone user sees.
      const context = await browser.newContext({ viewport: { width: 400, height: 760 }, locale: options.locale ?? 'en-US' });
      const page = await context.newPage();
      const phone = new SoftphonePage(options.name, server, browser, page);
      await page.goto(options.url, { timeout: LAUNCH_TIMEOUT_MS });
      await page.waitForFunction(() => 'voiplab' in globalThis, undefined, { timeout: LAUNCH_TIMEOUT_MS }).catch(async (err: unknown) => {
        throw new Error(`${options.name}: the softphone did not start\n${await phone.diagnostics()}`, { cause: err });
      });
      return phone;
    } catch (err) {
      await server.kill();
      throw err;
    }
  }

  /** The element of a data-testid, within the call `callId` when given. */
  control(testId: string, callId?: string) {
    const scope = callId === undefined ? this.page : this.page.locator(`[data-call-id="${callId}"]`);
    return scope.locator(`[data-testid="${testId}"]`).first();
  }

  async click(testId: string, callId?: string): Promise<void> {
    await this.control(testId, callId).click();
  }

  /** Types into the sign-in form (server and domain come pre-filled from the IPBX) and submits. */
  async signIn(fields: SignInFields): Promise<void> {
    await this.control('user').fill(fields.user);
    await this.control('password').fill(fields.password);
    if (fields.displayName !== undefined) await this.control('display-name').fill(fields.displayName);
    await this.click('sign-in');
  }

  /** Types the number on the dial pad's keys and presses Call. */
  async dial(number: string): Promise<void> {
    for (const key of number) await this.click(`dial-key-${key}`);
    await this.click('call-button');
  }

  state(): Promise<PhoneSnapshot> {
    return this.#bounded('state()', this.page.evaluate(() => (globalThis as unknown as { voiplab: VoiplabApi }).voiplab.state()));
  }

  errorMessage(): Promise<string | null> {
    return this.#bounded('errorMessage()', this.page.evaluate(() => (globalThis as unknown as { voiplab: VoiplabApi }).voiplab.errorMessage()));
  }

  listen(callId?: string): Promise<HeardAudio> {
    return this.#bounded('listen()', this.page.evaluate((id) => (globalThis as unknown as { voiplab: VoiplabApi }).voiplab.listen(300, id ?? undefined), callId ?? null));
  }

  /** Polls the phone's state until `accept` holds; the error tells what it was instead. */
  async waitFor(description: string, accept: (state: PhoneSnapshot) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<PhoneSnapshot> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.state();
      if (accept(state)) return state;
      if (Date.now() >= deadline) throw new Error(`${this.name}: ${description} not reached within ${timeoutMs} ms\n${await this.diagnostics(state)}`);
      await sleep(POLL_INTERVAL_MS);
    }
  }

  async waitForRegistered(timeoutMs = DEFAULT_WAIT_MS): Promise<PhoneSnapshot> {
    const state = await this.waitFor('registration settled', (s) => s.registration.state === 'registered' || s.registration.state === 'failed', timeoutMs);
    if (state.registration.state !== 'registered') throw new Error(`${this.name}: registration failed\n${await this.diagnostics(state)}`);
    return state;
  }

  /**
   * A call in `state`; fails at once if the calls it could have been all end first. Calls that
   * had ended before the wait count only when waiting for 'ended' (the newest one then).
   */
  async waitForCall(state: CallSnapshot['state'], timeoutMs = DEFAULT_WAIT_MS): Promise<CallSnapshot> {
    const endedBefore = new Set(state === 'ended' ? [] : (await this.state()).calls.filter((c) => c.state === 'ended').map((c) => c.id));
    const current = (s: PhoneSnapshot) => s.calls.filter((c) => !endedBefore.has(c.id));
    const snapshot = await this.waitFor(`a call ${state}`, (s) => {
      const calls = current(s);
      return calls.some((c) => c.state === state) || (state !== 'ended' && calls.length > 0 && calls.every((c) => c.state === 'ended'));
    }, timeoutMs);
    const call = current(snapshot).findLast((c) => c.state === state);
    if (call === undefined) throw new Error(`${this.name}: the call ended while waiting for ${state}\n${await this.diagnostics(snapshot)}`);
    return call;
  }

  /** Polls listen() until the call's (default: the active one's) dominant frequency is `frequencyHz` at a tone's level. */
  hears(frequencyHz: number, options: HearOptions = {}): Promise<HeardAudio> {
    return this.#listenUntil(`hearing ${frequencyHz} Hz`, (heard) => isTone(heard, frequencyHz), 1, options);
  }

  /** Polls listen() until `frequencyHz` is gone, twice in a row (one quiet window could be a glitch). */
  stopsHearing(frequencyHz: number, options: HearOptions = {}): Promise<HeardAudio> {
    return this.#listenUntil(`no longer hearing ${frequencyHz} Hz`, (heard) => !isTone(heard, frequencyHz), 2, options);
  }

  screenshot(path: string): Promise<Buffer> {
    return this.page.screenshot({ path, timeout: ACTION_TIMEOUT_MS });
  }

  async diagnostics(state?: PhoneSnapshot): Promise<string> {
    const shown = state ?? await this.state().catch((err: unknown) => `state unavailable: ${(err as Error).message}`);
    const trace = await this.#bounded('sipTrace()', this.page.evaluate(() => (globalThis as unknown as { voiplab: VoiplabApi }).voiplab.sipTrace())).catch(() => []);
    return [
      `--- ${this.name} state: ${JSON.stringify(shown)}`,
      `--- ${this.name} console (${this.#console.length}):`, ...this.#console,
      `--- ${this.name} last SIP messages:`, ...trace.slice(-TRACE_MESSAGES_IN_FAILURES).map(withoutBody),
    ].join('\n');
  }

  /** Closes this phone's Chromium (only that process); killed if it will not close. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await withTimeout(this.#browser.close().then(() => this.#server.close()), CLOSE_TIMEOUT_MS, `${this.name}: closing Chromium`);
    } catch {
      await this.#server.kill();
    }
  }

  async #listenUntil(description: string, accept: (heard: HeardAudio) => boolean, timesInARow: number, { callId, timeoutMs = DEFAULT_HEAR_TIMEOUT_MS }: HearOptions): Promise<HeardAudio> {
    const deadline = Date.now() + timeoutMs;
    const recent: string[] = [];
    let streak = 0;
    for (;;) {
      const heard = await this.listen(callId);
      recent.push(heard.hasTrack ? `${heard.frequencyHz.toFixed(0)} Hz at ${heard.levelDb.toFixed(1)} dBFS` : 'no remote track');
      if (recent.length > 5) recent.shift();
      streak = accept(heard) ? streak + 1 : 0;
      if (streak >= timesInARow) return heard;
      if (Date.now() >= deadline) throw new Error(`${this.name}: ${description} not reached within ${timeoutMs} ms; last heard: ${recent.join(', ')}\n${await this.diagnostics()}`);
    }
  }

  /** A call into the page, bounded (Playwright's evaluate has no timeout of its own). */
  #bounded<T>(what: string, evaluation: Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`${this.name}: ${what} after close()`));
    return withTimeout(evaluation, ACTION_TIMEOUT_MS, `${this.name}: ${what}`);
  }

  #note(line: string): void {
    this.#console.push(line);
    if (this.#console.length > CONSOLE_LINES_KEPT) this.#console.shift();
  }
}

function isTone(heard: HeardAudio, frequencyHz: number): boolean {
  return heard.hasTrack && heard.levelDb >= MIN_TONE_LEVEL_DB && Math.abs(heard.frequencyHz - frequencyHz) <= TONE_TOLERANCE_HZ;
}
