// Browser phones for end-to-end tests: Debian's Chromium, driven by playwright-core, running the
// sip.js page of test/e2e/browser-phone (window.phone). Each phone is its own Chromium process,
// because the fake microphone file (--use-file-for-fake-audio-capture) is per process; each
// "hears" by asking the page for the dominant frequency of the remote audio (WebAudio FFT).
// The page is bundled by esbuild into memory and served from http://127.0.0.1 (getUserMedia
// wants a secure context, which loopback HTTP is). Every wait is bounded, and every failure
// says what the phone saw: its state, console errors and the last SIP messages.

import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core';
import type {
  CallSnapshot, CallState, DtmfOptions, HeardAudio, MediaRoute, PhoneApi, PhoneSnapshot, RegisterOptions, RegistrationSnapshot, RegistrationState,
} from '../e2e/browser-phone/phone-api.ts';
import { CHROMIUM, CHROMIUM_ARGS, sleep, spkiHash, withoutBody, withTimeout } from '../../scenarios/runner/phones/chromium.ts';
import { silenceWav, toneWav } from './tones.ts';

export { CHROMIUM, CHROMIUM_ARGS, sleep, spkiHash, withoutBody, withTimeout } from '../../scenarios/runner/phones/chromium.ts';

export type { CallSnapshot, CallState, DtmfOptions, HeardAudio, MediaEndpoint, MediaRoute, PhoneSnapshot, RegisterOptions, RegistrationSnapshot, RegistrationState } from '../e2e/browser-phone/phone-api.ts';

const PAGE_DIR = fileURLToPath(new URL('../e2e/browser-phone/', import.meta.url));
const BUNDLE_PATH = '/page-main.js';
/** Bounds a single call into the page; calls that wait for the network (hold) get the same. */
const EVALUATE_TIMEOUT_MS = 20_000;
const LAUNCH_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 15_000;
const POLL_INTERVAL_MS = 100;
const DEFAULT_WAIT_MS = 15_000;
/** A loaded 2-core machine can take seconds before audio flows through two Chromiums. */
const DEFAULT_HEAR_TIMEOUT_MS = 20_000;
const DEFAULT_TOLERANCE_HZ = 50;
/** The tones are at -9 dBFS; anything this far down is silence or comfort noise, not a tone. */
const DEFAULT_MIN_LEVEL_DB = -45;
const CONSOLE_ERROR_LIMIT = 50;
const TRACE_MESSAGES_IN_FAILURES = 10;

// --- Page server ---------------------------------------------------------------------------

export interface BrowserPhoneServer {
  /** `http://127.0.0.1:PORT/`: the phone page. */
  url: string;
  close(): Promise<void>;
}

/** Bundles the page (esbuild, in memory) and serves it on 127.0.0.1 at a free port. */
export async function startBrowserPhoneServer(): Promise<BrowserPhoneServer> {
  const bundle = await build({
    entryPoints: [`${PAGE_DIR}page-main.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: 'inline', // page errors then point at page-main.ts lines
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.contents;
  if (script === undefined) throw new Error('esbuild produced no bundle for the browser phone page');
  const html = await readFile(`${PAGE_DIR}page.html`);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const [type, body] = path === '/' ? ['text/html; charset=utf-8', html]
      : path === BUNDLE_PATH ? ['text/javascript; charset=utf-8', script]
        : [undefined, undefined];
    if (path === '/favicon.ico') {
      res.writeHead(204).end(); // or Chromium logs a 404 as a console error
      return;
    }
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

// --- Phones --------------------------------------------------------------------------------

export interface BrowserPhoneOptions {
  server: BrowserPhoneServer;
  /** Names the phone in failure messages. */
  name: string;
  /** The fake microphone plays a sine at this frequency… */
  toneHz?: number;
  /** …or this WAV (looped by Chromium). Neither: silence. */
  wavFile?: string;
  /** A PEM certificate the browser trusts (the IPBX's self-signed one, for WSS), by its public key only. */
  trustCertificate?: string;
}

export interface HearOptions {
  /** Default ±50 Hz. */
  toleranceHz?: number;
  /** Default 20 s. */
  timeoutMs?: number;
  /** Quieter than this (dBFS) is not hearing the tone. Default -45. */
  minLevelDb?: number;
}

/** A call into the page: `window.phone[method](...args)`. */
interface PageCall {
  method: string;
  args: unknown[];
}

export class BrowserPhone {
  readonly name: string;
  readonly #server: BrowserServer;
  readonly #browser: Browser;
  readonly #page: Page;
  readonly #consoleErrors: string[] = [];
  #closed = false;

  private constructor(name: string, server: BrowserServer, browser: Browser, page: Page) {
    this.name = name;
    this.#server = server;
    this.#browser = browser;
    this.#page = page;
    page.on('console', (message) => {
      if (message.type() === 'error') this.#noteError(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.#noteError(`page error: ${error.stack ?? error.message}`));
    page.on('crash', () => this.#noteError('page crashed'));
  }

  /** Starts a Chromium of its own (its own fake microphone) and opens the phone page. */
  static async launch(options: BrowserPhoneOptions): Promise<BrowserPhone> {
    if (options.toneHz !== undefined && options.wavFile !== undefined) throw new Error('BrowserPhone.launch: give toneHz or wavFile, not both');
    // 48 kHz, WebRTC's own rate, so Chromium does not resample; looped, so a short file will do.
    const wavOptions = { sampleRate: 48_000, seconds: 10 };
    const wav = options.wavFile ?? await (options.toneHz === undefined ? silenceWav(wavOptions) : toneWav(options.toneHz, wavOptions));
    // launchServer rather than launch: it can kill() its own process if a graceful close hangs.
    const server = await chromium.launchServer({
      executablePath: CHROMIUM,
      args: [
        ...CHROMIUM_ARGS, `--use-file-for-fake-audio-capture=${wav}`,
        ...(options.trustCertificate === undefined ? [] : [`--ignore-certificate-errors-spki-list=${spkiHash(options.trustCertificate)}`]),
      ],
      host: '127.0.0.1',
      timeout: LAUNCH_TIMEOUT_MS,
    });
    try {
      const browser = await chromium.connect(server.wsEndpoint(), { timeout: LAUNCH_TIMEOUT_MS });
      const page = await browser.newPage();
      const phone = new BrowserPhone(options.name, server, browser, page);
      await page.goto(`${options.server.url}?name=${encodeURIComponent(options.name)}`, { timeout: LAUNCH_TIMEOUT_MS });
      await page.waitForFunction(() => 'phone' in globalThis, undefined, { timeout: LAUNCH_TIMEOUT_MS })
        .catch((err: unknown) => {
          throw new Error(`${options.name}: the phone page did not start\n${phone.#errorsText()}`, { cause: err });
        });
      return phone;
    } catch (err) {
      await server.kill();
      throw err;
    }
  }

  // Actions: each resolves once the page has done its part (request sent, re-INVITE answered).

  /** Starts registering; then waitForRegistered() or waitForRegistrationState('failed'). */
  register(options: RegisterOptions): Promise<void> {
    return this.#invoke('register', options);
  }

  unregister(): Promise<void> {
    return this.#invoke('unregister');
  }

  /** Sends an INVITE to `number` at the registered domain. */
  call(number: string): Promise<void> {
    return this.#invoke('call', number);
  }

  answer(): Promise<void> {
    return this.#invoke('answer');
  }

  /** Refuses the ringing incoming call. Default 486 Busy Here. */
  reject(statusCode = 486): Promise<void> {
    return this.#invoke('reject', statusCode);
  }

  /** BYE, CANCEL or a 486, whichever the call's state wants; nothing when there is no call. */
  hangup(): Promise<void> {
    return this.#invoke('hangup');
  }

  /** re-INVITE with sendonly, and the phone's own tracks muted; resolves once it is answered 2xx. */
  hold(): Promise<void> {
    return this.#invoke('hold');
  }

  /** re-INVITE with sendrecv, tracks back on. */
  unhold(): Promise<void> {
    return this.#invoke('unhold');
  }

  /** RFC 4733 events by default; `{ info: true }`: one SIP INFO (application/dtmf-relay) per digit. */
  sendDtmf(digits: string, options: DtmfOptions = {}): Promise<void> {
    return this.#invoke('sendDtmf', digits, options);
  }

  /** Dominant frequency and level of what the phone hears, over `windowMs`. */
  listen(windowMs = 300): Promise<HeardAudio> {
    return this.#invoke('listen', windowMs);
  }

  /** The candidate pair the media flows on; null until ICE has picked one. */
  mediaRoute(): Promise<MediaRoute | null> {
    return this.#invoke('mediaRoute');
  }

  state(): Promise<PhoneSnapshot> {
    return this.#invoke('state');
  }

  // Bounded waits.

  /** Polls the page until `accept` holds for its state; the error tells what the state was instead. */
  async waitFor(description: string, accept: (state: PhoneSnapshot) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<PhoneSnapshot> {
    const deadline = Date.now() + timeoutMs;
    let last: PhoneSnapshot | undefined;
    for (;;) {
      last = await this.state();
      if (accept(last)) return last;
      if (Date.now() >= deadline) throw new Error(`${this.name}: ${description} not reached within ${timeoutMs} ms\n${await this.diagnostics(last)}`);
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** Resolves when registered; fails at once, with the status, if the registration fails. */
  async waitForRegistered(timeoutMs = DEFAULT_WAIT_MS): Promise<RegistrationSnapshot> {
    const { registration } = await this.waitFor('registration settled', (s) => s.registration.state === 'registered' || s.registration.state === 'failed', timeoutMs);
    if (registration.state !== 'registered') {
      throw new Error(`${this.name}: registration failed: ${registration.statusCode ?? ''} ${registration.reason ?? ''}\n${await this.diagnostics()}`);
    }
    return registration;
  }

  async waitForRegistrationState(state: RegistrationState, timeoutMs = DEFAULT_WAIT_MS): Promise<RegistrationSnapshot> {
    return (await this.waitFor(`registration ${state}`, (s) => s.registration.state === state, timeoutMs)).registration;
  }

  /** Resolves once the call is in `state`; fails at once if the call ends first (unless `state` is 'ended'). */
  async waitForCallState(state: CallState, timeoutMs = DEFAULT_WAIT_MS): Promise<CallSnapshot> {
    const { call } = await this.waitFor(`call ${state}`, (s) => s.call.state === state || s.call.state === 'ended', timeoutMs);
    if (call.state !== state) {
      throw new Error(`${this.name}: call ended (${call.endCause ?? '?'} ${call.statusCode ?? ''} ${call.reason ?? ''}) while waiting for ${state}\n${await this.diagnostics()}`);
    }
    return call;
  }

  /** Resolves once the digits received in SIP INFO are exactly `digits`. */
  async waitForInfoDigits(digits: string, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    return (await this.waitFor(`SIP INFO digits "${digits}"`, (s) => s.call.infoDigits === digits, timeoutMs)).call.infoDigits;
  }

  /** Polls listen() until the dominant frequency is `frequencyHz` (± tolerance) at a tone's level. */
  async hears(frequencyHz: number, options: HearOptions = {}): Promise<HeardAudio> {
    return this.#listenUntil(`hearing ${frequencyHz} Hz`, (heard) => this.#isTone(heard, frequencyHz, options), 1, options);
  }

  /** Polls listen() until `frequencyHz` is no longer heard, twice in a row (one quiet window could be a glitch). */
  async stopsHearing(frequencyHz: number, options: HearOptions = {}): Promise<HeardAudio> {
    return this.#listenUntil(`no longer hearing ${frequencyHz} Hz`, (heard) => !this.#isTone(heard, frequencyHz, options), 2, options);
  }

  // Diagnostics.

  /** PNG of the page, for a failing test to attach. */
  screenshot(path: string): Promise<Buffer> {
    return withTimeout(this.#page.screenshot({ path, timeout: EVALUATE_TIMEOUT_MS }), EVALUATE_TIMEOUT_MS, `${this.name}: screenshot`);
  }

  /** State, console errors and the last SIP messages of the phone, for failure messages. */
  async diagnostics(state?: PhoneSnapshot): Promise<string> {
    const snapshot = state ?? await this.state().catch((err: unknown) => `state unavailable: ${(err as Error).message}`);
    const trace = await this.#invoke('sipTrace')
      .catch((err: unknown) => [`SIP trace unavailable: ${(err as Error).message}`]);
    return [
      `--- ${this.name} state: ${JSON.stringify(snapshot)}`,
      this.#errorsText(),
      `--- ${this.name} last SIP messages (oldest first):`,
      ...trace.slice(-TRACE_MESSAGES_IN_FAILURES).map(withoutBody),
    ].join('\n');
  }

  /** Closes the page and this phone's Chromium (only that process); killed if it will not close. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await withTimeout(this.#browser.close().then(() => this.#server.close()), CLOSE_TIMEOUT_MS, `${this.name}: closing Chromium`);
    } catch {
      await this.#server.kill();
    }
  }

  #isTone(heard: HeardAudio, frequencyHz: number, options: HearOptions): boolean {
    const toleranceHz = options.toleranceHz ?? DEFAULT_TOLERANCE_HZ;
    const minLevelDb = options.minLevelDb ?? DEFAULT_MIN_LEVEL_DB;
    return heard.hasTrack && heard.levelDb >= minLevelDb && Math.abs(heard.frequencyHz - frequencyHz) <= toleranceHz;
  }

  async #listenUntil(description: string, accept: (heard: HeardAudio) => boolean, timesInARow: number, options: HearOptions): Promise<HeardAudio> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_HEAR_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const recent: HeardAudio[] = [];
    let streak = 0;
    for (;;) {
      const heard = await this.listen();
      recent.push(heard);
      if (recent.length > 5) recent.shift();
      streak = accept(heard) ? streak + 1 : 0;
      if (streak >= timesInARow) return heard;
      if (Date.now() >= deadline) {
        const heardText = recent.map((h) => (h.hasTrack ? `${h.frequencyHz.toFixed(0)} Hz at ${h.levelDb.toFixed(1)} dBFS` : 'no remote track')).join(', ');
        throw new Error(`${this.name}: ${description} not reached within ${timeoutMs} ms; last heard: ${heardText}\n${await this.diagnostics()}`);
      }
    }
  }

  /** Calls `window.phone[method](...args)` in the page, bounded; a failure carries the console errors. */
  async #invoke<M extends keyof PhoneApi>(method: M, ...args: Parameters<PhoneApi[M]>): Promise<Awaited<ReturnType<PhoneApi[M]>>> {
    if (this.#closed) throw new Error(`${this.name}: ${method}() after close()`);
    const request: PageCall = { method, args };
    // One generic page function: Playwright sends its source text, so it must not close over anything.
    const evaluation = this.#page.evaluate(
      ({ method: name, args: values }: PageCall) => (globalThis as unknown as { phone: Record<string, (...a: unknown[]) => unknown> }).phone[name]!(...values),
      request,
    );
    try {
      return await withTimeout(evaluation, EVALUATE_TIMEOUT_MS, `${this.name}: ${method}()`) as Awaited<ReturnType<PhoneApi[M]>>;
    } catch (err) {
      throw new Error(`${this.name}: ${method}() failed: ${(err as Error).message}\n${this.#errorsText()}`, { cause: err });
    }
  }

  #noteError(text: string): void {
    this.#consoleErrors.push(text);
    if (this.#consoleErrors.length > CONSOLE_ERROR_LIMIT) this.#consoleErrors.shift();
  }

  #errorsText(): string {
    if (this.#consoleErrors.length === 0) return `--- ${this.name}: no console errors`;
    return [`--- ${this.name} console errors (last ${this.#consoleErrors.length}):`, ...this.#consoleErrors].join('\n');
  }
}
