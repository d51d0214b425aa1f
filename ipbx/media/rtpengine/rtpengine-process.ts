// Runs and supervises an embedded rtpengine in userspace mode (no kernel module): spawns it in the
// foreground, considers it started once its ng port answers `ping`, and restarts it with backoff
// when it dies. Every restart loses the calls it carried, so 'exit' and 'restarted' are events the
// pool turns into lost sessions. Gives up (MEDIA_RTPENGINE_FAILED) when it keeps dying.

import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MediaError } from '../media-error.ts';
import { NgClient } from '../ng/ng-client.ts';

export interface RtpengineRestartPolicy {
  /** Restarts allowed within `windowMs` before giving up. Default 5. */
  maxRestarts?: number;
  /** Default 60 000 ms. */
  windowMs?: number;
  /** Wait before the first restart; doubled for each further one in the window. Default 250 ms. */
  initialDelayMs?: number;
  /** Default 5 000 ms. */
  maxDelayMs?: number;
}

export interface RtpengineProcessOptions {
  /** Path, or name looked up in PATH, of the rtpengine binary. Default `rtpengine`. */
  binary?: string;
  /** Local IP the RTP ports are bound on (`--interface`). Default 127.0.0.1. */
  address?: string;
  /** The address written into SDP when it differs from `address` (behind NAT): `-i LOCAL!PUBLIC`. */
  advertisedAddress?: string;
  /** RTP port range (even RTP, odd RTCP). Default 20000-29999: below Linux's ephemeral range, so no outgoing socket takes them. */
  portMin?: number;
  portMax?: number;
  /** UDP port of the ng listener on 127.0.0.1. 0 or absent: a free port picked at start (kept across restarts). */
  ngPort?: number;
  /** Directory for pcap recordings (`--recording-dir`, `--recording-method=pcap`); created if missing. */
  recordingDir?: string;
  /** Where rtpengine sends a JSON datagram per DTMF event (`--dtmf-log-dest`). */
  dtmfLogDestination?: { address: string; port: number };
  /** rtpengine's log level, syslog numbering 0-7. Default 5 (notice). */
  logLevel?: number;
  /** Further rtpengine arguments, appended last. */
  extraArgs?: string[];
  /** How long a start (spawn until `pong`) may take. Default 10 000 ms. */
  startTimeoutMs?: number;
  restart?: RtpengineRestartPolicy;
  /** Receives rtpengine's own log lines (prefixed `rtpengine[PID]:`) and supervision notices. */
  log?: (line: string) => void;
}

export interface RtpengineExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RtpengineProcessEvents {
  /** The process died unexpectedly: its calls are gone. A restart follows unless the policy is exhausted. */
  exit: [RtpengineExit];
  /** A new process answers ping after an unexpected exit (same ng port). */
  restarted: [{ pid: number }];
  /** The process kept dying; no more restarts. */
  failed: [MediaError];
}

const NG_ADDRESS = '127.0.0.1';
const STDERR_TAIL_LINES = 20;
const STOP_GRACE_MS = 5_000;
const READY_PING_TIMEOUT_MS = 250;
/** Start attempts when the ng port was picked by us: another process may grab it between pick and bind. */
const AUTO_PORT_START_ATTEMPTS = 3;

export const RTPENGINE_INSTALL_HINT = 'install the Debian package `rtpengine-daemon` (apt-get install rtpengine-daemon) or set media.rtpengine.binary';

type State = 'idle' | 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export class RtpengineProcess extends EventEmitter<RtpengineProcessEvents> {
  readonly #options: RtpengineProcessOptions;
  readonly #log: (line: string) => void;
  #state: State = 'idle';
  #binaryPath: string | undefined;
  #ngPort = 0;
  #child: ChildProcess | undefined;
  #childExited: Promise<void> | undefined;
  #stderrTail: string[] = [];
  #restartTimes: number[] = [];
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(options: RtpengineProcessOptions = {}) {
    super();
    this.#options = options;
    this.#log = options.log ?? (() => {});
    const { portMin = 20_000, portMax = 29_999 } = options;
    if (!(Number.isInteger(portMin) && Number.isInteger(portMax) && portMin >= 1024 && portMax <= 65_535 && portMax - portMin >= 3)) {
      throw new RangeError(`rtpengine: port range ${portMin}-${portMax} must be integers within 1024-65535, at least 4 ports wide`);
    }
  }

  /** The ng listener, valid once started. */
  get ngEndpoint(): { address: string; port: number } {
    return { address: NG_ADDRESS, port: this.#ngPort };
  }

  /** PID of the current child, if one is running. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /** The last lines rtpengine wrote (stderr and stdout), for error messages. */
  get lastLogLines(): readonly string[] {
    return this.#stderrTail;
  }

  /** Spawns rtpengine and resolves once its ng port answers ping. Throws MEDIA_RTPENGINE_MISSING or MEDIA_RTPENGINE_FAILED. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`rtpengine: start() called in state ${this.#state}`);
    this.#state = 'starting';
    const binary = this.#options.binary ?? 'rtpengine';
    this.#binaryPath = findExecutable(binary);
    if (this.#binaryPath === undefined) {
      this.#state = 'failed';
      throw new MediaError('MEDIA_RTPENGINE_MISSING', `rtpengine binary "${binary}" not found: ${RTPENGINE_INSTALL_HINT}`);
    }
    const { recordingDir } = this.#options;
    if (recordingDir !== undefined) {
      try {
        mkdirSync(recordingDir, { recursive: true });
      } catch (err) {
        this.#state = 'failed';
        throw new MediaError('MEDIA_RECORDING_FAILED', `rtpengine: cannot create the recording directory ${recordingDir}: ${(err as Error).message}`, { cause: err });
      }
    }
    const autoPort = (this.#options.ngPort ?? 0) === 0;
    const attempts = autoPort ? AUTO_PORT_START_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      this.#ngPort = autoPort ? await freeUdpPort(NG_ADDRESS) : this.#options.ngPort ?? 0;
      try {
        await this.#spawnUntilReady();
        this.#state = 'running';
        return;
      } catch (err) {
        if (this.#stopped()) throw new MediaError('MEDIA_RTPENGINE_FAILED', 'rtpengine was stopped while starting', { cause: err });
        if (attempt >= attempts) {
          this.#state = 'failed';
          throw this.#failure(`rtpengine did not start: ${(err as Error).message}`, err);
        }
        this.#log(`rtpengine: start attempt ${attempt} failed (${(err as Error).message}); retrying`);
      }
    }
  }

  /** Stops the child (SIGTERM, SIGKILL after a grace period) and any pending restart. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    clearTimeout(this.#restartTimer);
    await this.#killChild();
  }

  #args(): string[] {
    const o = this.#options;
    const address = o.address ?? '127.0.0.1';
    const args = [
      // Without this rtpengine also reads /etc/rtpengine/rtpengine.conf, whose fixed CLI/HTTP ports collide between instances.
      '--config-file=none',
      '--foreground', '--log-stderr', '--no-log-timestamps',
      `--log-level=${o.logLevel ?? 5}`,
      '--table=-1', // userspace forwarding: no kernel module, no root
      `--interface=${o.advertisedAddress === undefined ? address : `${address}!${o.advertisedAddress}`}`,
      `--listen-ng=${NG_ADDRESS}:${this.#ngPort}`,
      `--port-min=${o.portMin ?? 20_000}`, `--port-max=${o.portMax ?? 29_999}`,
      '--delete-delay=0', // free a call's ports when it is deleted, not 30 s later
    ];
    if (o.recordingDir !== undefined) args.push(`--recording-dir=${o.recordingDir}`, '--recording-method=pcap');
    if (o.dtmfLogDestination !== undefined) args.push(`--dtmf-log-dest=${o.dtmfLogDestination.address}:${o.dtmfLogDestination.port}`);
    return [...args, ...(o.extraArgs ?? [])];
  }

  /** Spawns a child and resolves when it answers ping; rejects (after killing it) if it exits or stays silent. */
  async #spawnUntilReady(): Promise<void> {
    if (this.#stopped()) throw new Error('stopped');
    const child = this.#spawn();
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`it exited (${describeExit(code, signal)})`)));
      child.once('error', (err) => reject(err));
    });
    exited.catch(() => {}); // observed through the race below
    const pinging = { abandoned: false };
    try {
      await Promise.race([this.#pingUntilAnswered(child, pinging), exited]);
    } catch (err) {
      await this.#killChild();
      throw err;
    } finally {
      pinging.abandoned = true; // the exit won the race: stop the ping loop
    }
  }

  #spawn(): ChildProcess {
    const child = spawn(this.#binaryPath ?? 'rtpengine', this.#args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#childExited = new Promise((resolve) => {
      child.once('close', () => resolve());
      // A spawn that fails outright (no PID) emits 'error' and never 'exit' or 'close'.
      child.once('error', () => { if (child.pid === undefined) resolve(); });
    });
    const pid = child.pid ?? 0;
    this.#log(`rtpengine[${pid}]: started on ng ${NG_ADDRESS}:${this.#ngPort}`);
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', lineSplitter((line) => this.#onLogLine(pid, line)));
    child.on('error', (err) => this.#log(`rtpengine[${pid}]: ${err.message}`));
    child.once('exit', (code, signal) => this.#onExit(child, { pid, code, signal }));
    return child;
  }

  #onLogLine(pid: number, line: string): void {
    this.#stderrTail.push(line);
    if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift();
    this.#log(`rtpengine[${pid}]: ${line}`);
  }

  async #pingUntilAnswered(child: ChildProcess, pinging: { abandoned: boolean }): Promise<void> {
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? 10_000);
    const client = new NgClient({ address: NG_ADDRESS, port: this.#ngPort, timeoutMs: READY_PING_TIMEOUT_MS, retries: 0 });
    try {
      // rtpengine binds its ng port a few ms after exec: until then the pings go unanswered.
      while (!pinging.abandoned && child.exitCode === null && child.signalCode === null) {
        if (Date.now() > deadline) throw new Error(`its ng port ${this.#ngPort} did not answer ping within ${this.#options.startTimeoutMs ?? 10_000} ms`);
        try {
          await client.ping();
          return;
        } catch (err) {
          if (!(err instanceof MediaError && err.code === 'MEDIA_NG_TIMEOUT')) throw err;
        }
      }
      throw new Error('it exited before answering ping');
    } finally {
      await client.close();
    }
  }

  #onExit(child: ChildProcess, exit: RtpengineExit): void {
    this.#log(`rtpengine[${exit.pid}]: exited (${describeExit(exit.code, exit.signal)})`);
    // Only an exit of the running process is a crash: start(), a restart in progress and stop()
    // handle the exits of the children they wait for.
    if (child !== this.#child || this.#state !== 'running') return;
    this.emit('exit', exit);
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    const policy = this.#options.restart ?? {};
    const { maxRestarts = 5, windowMs = 60_000, initialDelayMs = 250, maxDelayMs = 5_000 } = policy;
    const now = Date.now();
    this.#restartTimes = this.#restartTimes.filter((time) => now - time < windowMs);
    if (this.#restartTimes.length >= maxRestarts) {
      this.#state = 'failed';
      const error = this.#failure(`rtpengine exited ${maxRestarts + 1} times within ${windowMs} ms; giving up`);
      this.#log(error.message);
      this.emit('failed', error);
      return;
    }
    const delay = Math.min(initialDelayMs * 2 ** this.#restartTimes.length, maxDelayMs);
    this.#restartTimes.push(now);
    this.#state = 'restarting';
    this.#log(`rtpengine: restarting in ${delay} ms`);
    this.#restartTimer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    if (this.#state !== 'restarting') return;
    try {
      await this.#spawnUntilReady();
    } catch (err) {
      if (this.#stopped()) return;
      this.#log(`rtpengine: restart failed: ${(err as Error).message}`);
      this.#scheduleRestart();
      return;
    }
    if (this.#stopped()) return;
    this.#state = 'running';
    this.emit('restarted', { pid: this.#child?.pid ?? 0 });
  }

  async #killChild(): Promise<void> {
    const child = this.#child;
    const exited = this.#childExited;
    if (child === undefined || exited === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), STOP_GRACE_MS); });
      const done = await Promise.race([exited.then(() => true), graceOver]);
      clearTimeout(timer);
      if (!done) child.kill('SIGKILL');
    }
    await exited;
  }

  /** A method, not an inline comparison: TypeScript would keep a narrowing of #state across awaits. */
  #stopped(): boolean {
    return this.#state === 'stopped';
  }

  #failure(message: string, cause?: unknown): MediaError {
    const tail = this.#stderrTail.slice(-10);
    const detail = tail.length === 0 ? '; it logged nothing' : `; its last log lines:\n${tail.join('\n')}`;
    return new MediaError('MEDIA_RTPENGINE_FAILED', `${message}${detail}`, cause === undefined ? {} : { cause });
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `signal ${signal}` : `code ${code}`;
}

/** The path of `binary` if it is executable (a name without `/` is looked up in PATH). */
export function findExecutable(binary: string): string | undefined {
  const candidates = binary.includes('/') ? [binary] : (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, binary));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch { /* not there: try the next */ }
  }
  return undefined;
}

function freeUdpPort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, address, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Calls `onLine` for each complete line of a byte stream. */
function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line.trimEnd());
  };
}
