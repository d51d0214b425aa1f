// A real baresip (Debian package, v1.0) as a desk phone, for the scenario runner's `baresip` phones
// and the integration tests: it sends a tone
// WAV as its microphone, records what it hears into a WAV, and is driven over ctrl_tcp (netstring
// JSON commands and events). Each phone has its own config dir, ports and recordings; every wait is
// bounded, and a start failure says why with the tail of baresip's output.
//
// How the config works in baresip 1.0 (checked against the installed modules):
// - audio_source aufile,FILE: the tone, 8 kHz mono s16 for G.711; aufile ends the call at EOF.
// - audio_player aubridge,NAME: a player with no device and no busy loop (aubridge only runs when a
//   source of the same name exists). What the phone hears is captured by the sndfile audio filter,
//   which dumps the decoded received audio to snd_path/dump-<time>-dec.wav (and what it sends to
//   -enc.wav); the filter runs on RTP receive, so no real player is needed.
// - net_interface 127.0.0.1: SDP and RTP on loopback rather than the host's LAN address.
// - menu provides the commands (dial, accept, hangup, uanew); ctrl_tcp only carries them.
// - The account is created with `uanew` once ctrl_tcp is connected, so REGISTERING/REGISTER_OK are
//   never emitted before anyone listens.
// - sip_listen also opens TLS (TCP) on port + 1, so both ports must be free.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from '../../audio/wav.ts';
import { freePort } from './free-port.ts';

const BARESIP = process.env['VOIPLAB_BARESIP'] ?? 'baresip';
const MODULE_DIRS = ['/usr/lib/baresip/modules', '/usr/local/lib/baresip/modules', '/usr/lib/x86_64-linux-gnu/baresip/modules'];
const MODULES = ['g711.so', 'sndfile.so', 'aufile.so', 'aubridge.so'];
const APP_MODULES = ['menu.so', 'ctrl_tcp.so'];
const OUTPUT_TAIL_BYTES = 32 * 1024;
// baresip colours its warnings; built from a string because a control character in a regex literal trips no-control-regex.
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g');

export interface BaresipAccount {
  /** User part of the address of record, e.g. `1001`. */
  user: string;
  /** Domain of the address of record, e.g. `voiplab.test`. */
  domain: string;
  password?: string;
  /** Digest user name when it differs from `user`. */
  authUser?: string;
  displayName?: string;
  /** Outbound proxy every request goes through (the IPBX), e.g. `sip:127.0.0.1:5060`. */
  outbound?: string;
  /** Default `udp`. */
  transport?: 'udp' | 'tcp';
  /** Registration interval in seconds; 0 never registers. Default 60 with an outbound proxy, else 0. */
  regint?: number;
}

export interface BaresipOptions {
  /** Names the phone in errors and its temp dir; also the user part when there is no account. */
  name: string;
  /** The WAV the phone sends (8 kHz mono 16-bit; see toneWav()). */
  tone: string;
  /** Without one, the phone is `sip:NAME@127.0.0.1:PORT`, reachable directly, never registering. */
  account?: BaresipAccount;
  /** Local SIP port (UDP and TCP; TLS takes port + 1). Default: a free pair. */
  sipPort?: number;
  /** Answer incoming calls at once (account answermode=auto). Default false: call answer(). */
  autoAnswer?: boolean;
  /** With regint > 0, resolve only once REGISTER_OK arrives (fail on REGISTER_FAIL). Default true. */
  waitForRegistration?: boolean;
  /** Bound on start-up (and registration). Default 10 s. */
  startTimeoutMs?: number;
  /** Backstop if a test forgets stop(): baresip quits by itself after this (-t). Default 600 s. */
  maxLifetimeSec?: number;
}

/** An event from ctrl_tcp, e.g. REGISTER_OK, CALL_INCOMING, CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED. */
export interface BaresipEvent {
  type: string;
  class: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  /** baresip's call id (its own, not the SIP Call-ID). */
  id?: string;
  /** The reason for CALL_CLOSED (`404 Not Found`, `Connection reset by user`), the status for REGISTER_*. */
  param?: string;
  /** Milliseconds since the phone started. */
  atMs: number;
}

export interface WaitOptions {
  /** Look only at events from this index on (`phone.events.length` taken before acting). Default 0. */
  since?: number;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Extra condition on the event. */
  match?: (event: BaresipEvent) => boolean;
  /** Event types that end the wait with an error. Default: CALL_CLOSED for call events, REGISTER_FAIL for REGISTER_OK. */
  failOn?: readonly string[];
}

/** Why baresip-based tests cannot run here, or false when they can (fit for node:test's `skip`). */
export function baresipSkipReason(): string | false {
  const probe = spawnSync(BARESIP, ['-h'], { encoding: 'utf8', timeout: 5000 });
  if (probe.error !== undefined) return `${BARESIP} not runnable (${probe.error.message}); Debian: apt-get install baresip`;
  const dir = moduleDir();
  if (dir === undefined) return `no baresip module dir among ${MODULE_DIRS.join(', ')}`;
  const missing = [...MODULES, ...APP_MODULES].filter((m) => !existsSync(join(dir, m)));
  return missing.length === 0 ? false : `baresip modules missing in ${dir}: ${missing.join(', ')}`;
}

export async function startBaresip(options: BaresipOptions): Promise<BaresipPhone> {
  const { name } = options;
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(name)) throw new Error(`startBaresip: name "${name}" must be 1-32 letters, digits, _ . -`);
  await checkTone(options.tone);
  const accountLine = buildAccountLine(options); // validates the account before anything starts
  const attempts = options.sipPort === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const sipPort = options.sipPort ?? await freeSipPort();
    const ctrlPort = await freePort();
    try {
      return await BaresipPhone.launch(options, sipPort, ctrlPort, accountLine(sipPort));
    } catch (err) {
      // Ports are picked free but can be taken before baresip binds them (parallel tests): retry.
      if (!(err instanceof PortInUseError) || attempt >= attempts) throw err;
    }
  }
}

/** A failure of a phone: `brief` says what, the message adds the tail of baresip's output. */
export class BaresipError extends Error {
  override readonly name: string = 'BaresipError';
  readonly brief: string;
  readonly outputTail: string;

  constructor(brief: string, outputTail: string) {
    super(`${brief}\n--- baresip output (tail) ---\n${outputTail}`);
    this.brief = brief;
    this.outputTail = outputTail;
  }
}

class PortInUseError extends BaresipError {}

export class BaresipPhone {
  readonly name: string;
  readonly sipPort: number;
  readonly ctrlPort: number;
  /** Where the phone can be reached directly: `sip:USER@127.0.0.1:PORT`. */
  readonly uri: string;
  /** Its address of record (`sip:USER@DOMAIN` with an account, else `uri`). */
  readonly aor: string;
  /** Config dir (config, tone.wav, recordings/). */
  readonly dir: string;
  readonly #events: BaresipEvent[] = [];

  readonly #child: ChildProcess;
  readonly #startedAt = Date.now();
  readonly #recordDir: string;
  #output = '';
  #ctrl: Socket | undefined;
  #nextToken = 1;
  readonly #pending = new Map<string, { resolve: (data: string) => void; reject: (err: Error) => void }>();
  readonly #waiters = new Set<() => void>();
  readonly #listeners = new Set<(event: BaresipEvent) => void>();
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #stopping: Promise<void> | undefined;
  #spawnError: NodeJS.ErrnoException | undefined;

  private constructor(options: BaresipOptions, sipPort: number, ctrlPort: number, dir: string, child: ChildProcess) {
    this.name = options.name;
    this.sipPort = sipPort;
    this.ctrlPort = ctrlPort;
    this.dir = dir;
    this.#recordDir = join(dir, 'recordings');
    const user = options.account?.user ?? options.name;
    this.uri = `sip:${user}@127.0.0.1:${sipPort}`;
    this.aor = options.account === undefined ? this.uri : `sip:${options.account.user}@${options.account.domain}`;
    this.#child = child;
    const append = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
      this.#wake();
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    child.once('error', (err: NodeJS.ErrnoException) => {
      this.#spawnError = err;
      if (child.pid === undefined) this.#exit ??= { code: null, signal: null }; // never started: no 'exit' comes
      live.delete(child);
      this.#wake();
    });
    child.once('exit', (code, signal) => {
      this.#exit = { code, signal };
      live.delete(child);
      for (const { reject } of this.#pending.values()) reject(this.#error(`exited (${describeExit(this.#exit)}) before answering a command`));
      this.#pending.clear();
      this.#wake();
    });
  }

  /** Use startBaresip(), which picks ports and retries. */
  static async launch(options: BaresipOptions, sipPort: number, ctrlPort: number, accountLine: string): Promise<BaresipPhone> {
    const dir = mkdtempSync(join(tmpdir(), `voiplab-baresip-${options.name}-`));
    mkdirSync(join(dir, 'recordings'));
    copyFileSync(options.tone, join(dir, 'tone.wav')); // a path with spaces would break the config syntax
    writeFileSync(join(dir, 'config'), configText(options.name, dir, sipPort, ctrlPort));
    writeFileSync(join(dir, 'accounts'), '');
    const child = spawn(BARESIP, ['-f', dir, '-t', String(options.maxLifetimeSec ?? 600)], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    installExitHook();
    const phone = new BaresipPhone(options, sipPort, ctrlPort, dir, child);
    const timeoutMs = options.startTimeoutMs ?? 10_000;
    try {
      await phone.#untilReady(timeoutMs);
      await phone.#connectCtrl(timeoutMs);
      await phone.command('uanew', accountLine);
      const regint = accountRegint(options.account);
      if (regint > 0 && options.waitForRegistration !== false) {
        await phone.waitFor('REGISTER_OK', { timeoutMs }).catch((err: unknown) => {
          const why = err instanceof BaresipError ? err.brief.replace(/^baresip \S+ \([^)]*\): /, '') : String(err);
          throw phone.#error(`did not register ${phone.aor} through ${options.account?.outbound ?? '(no outbound)'}: ${why}`);
        });
      }
      return phone;
    } catch (err) {
      await phone.stop({ keepFiles: false }).catch(() => undefined);
      throw err;
    }
  }

  /** Every ctrl_tcp event so far, oldest first. */
  get events(): readonly BaresipEvent[] {
    return this.#events;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The last part of baresip's stdout and stderr, colours removed, passwords masked. */
  output(): string {
    return redact(this.#output.replace(ANSI_COLOUR, ''));
  }

  /** Calls `listener` with every ctrl_tcp event from now on; returns what stops it. */
  onEvent(listener: (event: BaresipEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Index to pass as `since` to wait for events that happen after this point. */
  mark(): number {
    return this.events.length;
  }

  /** Runs a menu command (e.g. `dial`, `accept`, `hangup`, `reginfo`) and returns its text output. */
  command(command: string, params?: string, timeoutMs = 5000): Promise<string> {
    const ctrl = this.#ctrl;
    if (ctrl === undefined || ctrl.destroyed) return Promise.reject(this.#error(`cannot run "${command}": ctrl_tcp is not connected`));
    const token = String(this.#nextToken++);
    const json = Buffer.from(JSON.stringify({ command, ...(params === undefined ? {} : { params }), token }));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token);
        reject(this.#error(`no answer to "${command}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(token, {
        resolve: (data) => { clearTimeout(timer); resolve(data); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      });
      ctrl.write(Buffer.concat([Buffer.from(`${json.length}:`), json, Buffer.from(',')]));
    });
  }

  /** Places a call; follow with waitFor('CALL_ESTABLISHED'). */
  async dial(uri: string): Promise<void> {
    if (!/^sips?:\S+$/.test(uri)) throw new Error(`baresip ${this.name}: dial target "${uri}" is not a SIP URI`);
    await this.command('dial', uri);
  }

  /** Answers the ringing call (after CALL_INCOMING). */
  async answer(): Promise<void> {
    await this.command('accept');
  }

  /** Hangs up the current call. */
  async hangup(): Promise<void> {
    await this.command('hangup');
  }

  /**
   * The first event of `type` at or after `options.since`, waiting for it if needed. An event in
   * `failOn` seen first, the process exiting, or the timeout rejects with the events seen and the
   * output tail.
   */
  waitFor(type: string, options: WaitOptions = {}): Promise<BaresipEvent> {
    const { since = 0, timeoutMs = 10_000, match } = options;
    const failOn = options.failOn ?? defaultFailOn(type);
    return this.#watch<BaresipEvent>(timeoutMs, () => this.#error(`no ${type} within ${timeoutMs} ms; ${this.#eventList(since)}`), () => {
      for (let i = since; i < this.events.length; i++) {
        const event = this.events[i];
        if (event === undefined) continue;
        if (event.type === type && (match === undefined || match(event))) return { value: event };
        if (failOn.includes(event.type)) return { error: this.#error(`${event.type}${event.param === undefined ? '' : ` (${event.param})`} while waiting for ${type}; ${this.#eventList(since)}`) };
      }
      const exit = this.#exit;
      if (exit !== undefined) return { error: this.#error(`exited (${describeExit(exit)}) while waiting for ${type}; ${this.#eventList(since)}`) };
      return undefined;
    });
  }

  /** Paths of the recordings, oldest first: what the phone heard (`dec`) or sent (`enc`), one per call. */
  recordings(kind: 'heard' | 'sent' = 'heard'): string[] {
    const suffix = kind === 'heard' ? '-dec.wav' : '-enc.wav';
    return readdirSync(this.#recordDir).filter((f) => f.endsWith(suffix)).sort().map((f) => join(this.#recordDir, f));
  }

  /**
   * The latest call's recording of what the phone heard. Its WAV header is complete once the call
   * is closed; during a call read it with readWav(path, { allowUnfinished: true }). sndfile names
   * files by the second, so two calls started within one second share a file.
   */
  recordedWav(kind: 'heard' | 'sent' = 'heard'): string {
    const last = this.recordings(kind).at(-1);
    if (last === undefined) throw new Error(`baresip ${this.name}: no recording in ${this.#recordDir} yet (sndfile starts one when a call's audio starts)`);
    return last;
  }

  /**
   * Ends baresip (SIGTERM, then SIGKILL after 3 s) and waits for it to exit; idempotent. The dir
   * is removed unless keepFiles or VOIPLAB_KEEP_BARESIP=1 (to listen to the recordings).
   */
  stop(options: { keepFiles?: boolean } = {}): Promise<void> {
    this.#stopping ??= (async () => {
      this.#ctrl?.destroy();
      if (this.#exit === undefined) {
        this.#child.kill('SIGTERM');
        if (!(await this.#exited(3000))) {
          this.#child.kill('SIGKILL');
          if (!(await this.#exited(2000))) throw this.#error('did not exit after SIGKILL');
        }
      }
      if (options.keepFiles !== true && process.env['VOIPLAB_KEEP_BARESIP'] !== '1') rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  #wake(): void {
    for (const check of [...this.#waiters]) check();
  }

  #exited(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.#exit !== undefined) return resolve(true);
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#child.once('exit', () => { clearTimeout(timer); resolve(true); });
      return undefined;
    });
  }

  #error(message: string): BaresipError {
    const tail = this.output().split('\n').slice(-25).join('\n');
    return new BaresipError(`baresip ${this.name} (pid ${this.pid ?? '?'}, SIP ${this.sipPort}): ${message}`, tail);
  }

  #eventList(since: number): string {
    const seen = this.events.slice(since).map((e) => e.type + (e.param === undefined ? '' : ` (${e.param})`));
    return seen.length === 0 ? `no events since #${since}` : `events since #${since}: ${seen.join(', ')}`;
  }

  /** Resolves at "baresip is ready."; a module that failed to load or a port in use is an error. */
  #untilReady(timeoutMs: number): Promise<void> {
    return this.#watch<undefined>(timeoutMs, () => this.#error(`not ready within ${timeoutMs} ms`), () => {
      const out = this.output();
      if (this.#spawnError !== undefined) {
        return {
          error: this.#spawnError.code === 'ENOENT'
            ? new Error(`${BARESIP} is not installed (Debian: apt-get install baresip)`, { cause: this.#spawnError })
            : this.#error(`could not be started: ${this.#spawnError.message}`),
        };
      }
      if (/Address already in use/.test(out)) {
        const err = this.#error(`port in use (SIP ${this.sipPort}/${this.sipPort + 1}, ctrl_tcp ${this.ctrlPort})`);
        return { error: new PortInUseError(err.brief, err.outputTail) };
      }
      const moduleErrors = [...out.matchAll(/^module (\S+\.so): (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`);
      if (moduleErrors.length > 0) return { error: this.#error(`modules failed to load (${moduleErrors.join('; ')})`) };
      if (this.#exit !== undefined) return { error: this.#error(`exited (${describeExit(this.#exit)}) while starting`) };
      if (out.includes('baresip is ready.')) return { value: undefined };
      return undefined;
    });
  }

  /**
   * Settles once `decide` gives a value or an error; it runs now and again on every line of output
   * and every event. Rejects with `onTimeout()` after `timeoutMs`.
   */
  #watch<T>(timeoutMs: number, onTimeout: () => Error, decide: () => { value: T } | { error: Error } | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const verdict = decide();
        if (verdict === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        if ('error' in verdict) reject(verdict.error);
        else resolve(verdict.value);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(onTimeout());
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  async #connectCtrl(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        this.#ctrl = await new Promise<Socket>((resolve, reject) => {
          const socket = connect(this.ctrlPort, '127.0.0.1');
          socket.once('connect', () => { socket.off('error', reject); resolve(socket); });
          socket.once('error', reject);
        });
        break;
      } catch (err) {
        if (this.#exit !== undefined || Date.now() > deadline) throw this.#error(`cannot connect to ctrl_tcp on ${this.ctrlPort}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const reader = new NetstringReader();
    this.#ctrl.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch (err) {
        this.#ctrl?.destroy(this.#error(`ctrl_tcp stream broken: ${(err as Error).message}`));
        return;
      }
      for (const message of messages) this.#onMessage(message);
    });
    this.#ctrl.on('error', () => undefined); // surfaces as a command timeout or the process exit
  }

  #onMessage(message: Buffer): void {
    let json: unknown;
    try {
      json = JSON.parse(message.toString('utf8'));
    } catch {
      return; // not ours to fail on: the output tail will show it if it matters
    }
    if (typeof json !== 'object' || json === null) return;
    const m = json as Record<string, unknown>;
    const str = (key: string) => {
      const value = m[key];
      return typeof value === 'string' ? value : undefined;
    };
    if (m['response'] === true) {
      const token = str('token') ?? '';
      const pending = this.#pending.get(token);
      if (pending === undefined) return;
      this.#pending.delete(token);
      const data = str('data') ?? '';
      if (m['ok'] === true) pending.resolve(data);
      else pending.reject(this.#error(`command failed: ${redact(data).trim() || '(no message)'}`));
    } else if (m['event'] === true) {
      const event: BaresipEvent = { type: str('type') ?? '?', class: str('class') ?? '?', atMs: Date.now() - this.#startedAt };
      for (const key of ['accountaor', 'direction', 'peeruri', 'id', 'param'] as const) {
        const value = str(key);
        if (value !== undefined) event[key] = value;
      }
      this.#events.push(event);
      for (const listener of this.#listeners) listener(event);
      this.#wake();
    }
  }
}

/** Splits ctrl_tcp's stream into netstrings (`LEN:payload,`), as bytes arrive. */
class NetstringReader {
  #buffer: Buffer = Buffer.alloc(0);
  readonly maxBytes: number;

  constructor(maxBytes = 1 << 20) {
    this.maxBytes = maxBytes;
  }

  push(chunk: Buffer): Buffer[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const colon = this.#buffer.indexOf(0x3a);
      if (colon === -1) {
        if (this.#buffer.length > 10) throw new Error(`no length prefix in "${this.#buffer.subarray(0, 20).toString('latin1')}"`);
        return out;
      }
      const digits = this.#buffer.subarray(0, colon).toString('latin1');
      if (!/^\d{1,10}$/.test(digits)) throw new Error(`bad netstring length "${digits.slice(0, 20)}"`);
      const length = Number(digits);
      if (length > this.maxBytes) throw new Error(`netstring of ${length} bytes exceeds ${this.maxBytes}`);
      const end = colon + 1 + length;
      if (this.#buffer.length < end + 1) return out; // wait for the rest
      if (this.#buffer[end] !== 0x2c) throw new Error('netstring not ended by ","');
      out.push(this.#buffer.subarray(colon + 1, end));
      this.#buffer = this.#buffer.subarray(end + 1);
    }
  }
}

function configText(name: string, dir: string, sipPort: number, ctrlPort: number): string {
  const modules = moduleDir();
  if (modules === undefined) throw new Error(`no baresip module dir among ${MODULE_DIRS.join(', ')}`);
  return [
    `# voiplab test phone "${name}" (generated by scenarios/runner/phones/baresip-process.ts)`,
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    'net_interface 127.0.0.1',
    'call_local_timeout 120',
    'call_max_calls 4',
    `audio_source aufile,${join(dir, 'tone.wav')}`,
    `audio_player aubridge,${name}-heard`,
    `audio_alert aubridge,${name}-alert`,
    'ausrc_format s16',
    'auplay_format s16',
    'auenc_format s16',
    'audec_format s16',
    `module_path ${modules}`,
    ...MODULES.map((m) => `module ${m}`),
    ...APP_MODULES.map((m) => `module_app ${m}`),
    `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
    `snd_path ${join(dir, 'recordings')}`,
    'statmode_default off',
    '',
  ].join('\n');
}

/** The `uanew` line for the phone's account, as a function of its SIP port. */
export function buildAccountLine(options: BaresipOptions): (sipPort: number) => string {
  const answermode = options.autoAnswer === true ? 'auto' : 'manual';
  const account = options.account;
  if (account === undefined) return (port) => `<sip:${options.name}@127.0.0.1:${port};transport=udp>;regint=0;answermode=${answermode}`;
  const transport = account.transport ?? 'udp';
  // baresip's account syntax has no escaping: refuse what would end a parameter early.
  const plain = (field: string, value: string | undefined, pattern = /^[^\s;<>"',]+$/) => {
    if (value !== undefined && !pattern.test(value)) throw new Error(`startBaresip: account.${field} "${field === 'password' ? '***' : value}" contains characters baresip's account line cannot carry (space ; < > " ' ,)`);
  };
  plain('user', account.user, /^[A-Za-z0-9_.!~*+-]+$/);
  plain('domain', account.domain);
  plain('password', account.password);
  plain('authUser', account.authUser);
  plain('displayName', account.displayName, /^[^"<>;\\]+$/);
  if (account.outbound !== undefined && !/^sip:[^\s;<>"]+(;[^\s<>"]*)?$/.test(account.outbound)) {
    throw new Error(`startBaresip: account.outbound "${account.outbound}" must be a SIP URI such as sip:127.0.0.1:5060`);
  }
  const regint = accountRegint(account);
  const outbound = account.outbound === undefined ? undefined
    : account.outbound.includes(';transport=') ? account.outbound : `${account.outbound};transport=${transport}`;
  const line = [
    `${account.displayName === undefined ? '' : `"${account.displayName}" `}<sip:${account.user}@${account.domain};transport=${transport}>`,
    ...(account.password === undefined ? [] : [`auth_pass=${account.password}`]),
    ...(account.authUser === undefined ? [] : [`auth_user=${account.authUser}`]),
    ...(outbound === undefined ? [] : [`outbound="${outbound}"`]),
    `regint=${regint}`,
    `answermode=${answermode}`,
  ].join(';');
  return () => line;
}

function accountRegint(account: BaresipAccount | undefined): number {
  if (account === undefined) return 0;
  const regint = account.regint ?? (account.outbound === undefined ? 0 : 60);
  if (!Number.isInteger(regint) || regint < 0) throw new Error(`startBaresip: account.regint ${regint} must be an integer ≥ 0 (seconds; 0 = no registration)`);
  return regint;
}

async function checkTone(path: string): Promise<void> {
  const audio = await readWav(path).catch((err: Error) => {
    throw new Error(`startBaresip: tone ${err.message}`, { cause: err });
  });
  if (audio.sampleRate !== 8000 || audio.channels !== 1) {
    throw new Error(`startBaresip: tone ${path} is ${audio.sampleRate} Hz, ${audio.channels} channel(s); baresip's aufile needs 8000 Hz mono for G.711 (see toneWav())`);
  }
}

function defaultFailOn(type: string): readonly string[] {
  if (type === 'REGISTER_OK') return ['REGISTER_FAIL'];
  if (type.startsWith('CALL_') && type !== 'CALL_CLOSED') return ['CALL_CLOSED'];
  return [];
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
}

function redact(text: string): string {
  return text.replace(/(auth_pass=)[^;>\s"]*/g, '$1***');
}

function moduleDir(): string | undefined {
  const fromEnv = process.env['VOIPLAB_BARESIP_MODULES'];
  return fromEnv ?? MODULE_DIRS.find((d) => existsSync(join(d, 'g711.so')));
}

/** A port free for SIP (UDP and TCP) whose next port is free too, for baresip's TLS listener. */
async function freeSipPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    if (port < 65535 && await tcpPortFree(port + 1)) return port;
  }
  throw new Error('no free port pair (N, N+1) found for baresip');
}

function tcpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// Phones still running when the test process exits are killed, so none outlives a crashed run.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}
