// A client of rtpengine's ng control protocol for ONE rtpengine address. Each command is one UDP
// datagram `COOKIE SPACE BENCODE`; the reply echoes the cookie. UDP loses datagrams, so a command
// is retransmitted (same cookie, growing waits) until a reply arrives or the attempts run out.
// rtpengine caches replies by cookie, so a retransmitted offer is answered from the cache instead of
// being executed twice, and a late duplicate reply finds no pending command and is dropped.

import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { MediaError } from '../media-error.ts';
import type { NgCommand, NgDictionary, NgValue } from '../media-control.ts';
import { decodeBencode, encodeBencode } from './bencode.ts';

export interface NgClientOptions {
  /** rtpengine's ng listener (its `--listen-ng`). */
  address: string;
  port: number;
  /** How long the first datagram waits for a reply, ms; each retransmission waits twice as long as the one before, up to 4×. Default 1000. */
  timeoutMs?: number;
  /** Retransmissions after the first datagram. Default 2. */
  retries?: number;
  /** Local address to send from. Default: the loopback of the target's family when the target is a loopback, else any. */
  localAddress?: string;
  /** Where ignored replies (garbage, foreign cookies) and socket errors are reported. */
  log?: (line: string) => void;
}

/** Per-command overrides of the client's retransmission settings (a health check wants one quick attempt). */
export interface NgCommandOptions {
  timeoutMs?: number;
  retries?: number;
}

interface PendingCommand {
  readonly name: NgCommand;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly datagram: Buffer;
  readonly startedAt: number;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  lastSendError: Error | undefined;
  resolve(reply: NgDictionary): void;
  reject(error: MediaError): void;
}

const DEFAULT_TIMEOUT_MS = 1000;
const DEFAULT_RETRIES = 2;
/** The longest wait of one attempt, as a multiple of timeoutMs. */
const MAX_BACKOFF_FACTOR = 4;

export class NgClient {
  readonly address: string;
  readonly port: number;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #log: (line: string) => void;
  readonly #socket: Socket;
  readonly #pending = new Map<string, PendingCommand>();
  /** Random per client, so cookies stay unique across clients, processes and restarts. */
  readonly #cookiePrefix = randomBytes(6).toString('hex');
  #counter = 0;
  #closed = false;
  #socketClosed: Promise<void> | undefined;

  constructor(options: NgClientOptions) {
    this.address = options.address;
    this.port = options.port;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retries = options.retries ?? DEFAULT_RETRIES;
    if (!(this.#timeoutMs > 0)) throw new RangeError(`NgClient: timeoutMs ${this.#timeoutMs} must be > 0`);
    if (!Number.isInteger(this.#retries) || this.#retries < 0) throw new RangeError(`NgClient: retries ${this.#retries} must be an integer >= 0`);
    this.#log = options.log ?? (() => {});
    const family = isIPv6(options.address) ? 'udp6' : 'udp4';
    this.#socket = createSocket(family);
    this.#socket.on('message', (message) => this.#onReply(message));
    this.#socket.on('error', (err) => this.#log(`ng ${this.target}: socket error: ${err.message}`));
    // Only pending commands (their timers) keep the process alive, not an idle control socket.
    this.#socket.unref();
    const localAddress = options.localAddress ?? loopbackOf(options.address);
    // Sends issued before the bind completes are queued by node:dgram.
    this.#socket.bind({ port: 0, ...(localAddress === undefined ? {} : { address: localAddress }) });
  }

  /** `address:port` of the rtpengine this client talks to. */
  get target(): string {
    return isIPv6(this.address) ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`;
  }

  /** Commands sent and not yet answered. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends `name` with `params` and resolves rtpengine's reply when its result is `ok` or `pong`.
   * Rejects with MEDIA_NG_ERROR (result `error`, `load limit` or anything else), MEDIA_NG_TIMEOUT,
   * MEDIA_NG_CLOSED, or MEDIA_BENCODE_INVALID when `params` cannot be encoded.
   */
  command(name: NgCommand, params: NgDictionary, options: NgCommandOptions = {}): Promise<NgDictionary> {
    if (this.#closed) return Promise.reject(new MediaError('MEDIA_NG_CLOSED', `ng ${this.target}: the client is closed ("${name}" not sent)`, { sipStatus: 503 }));
    const cookie = `${this.#cookiePrefix}_${++this.#counter}`;
    let datagram: Buffer;
    try {
      datagram = Buffer.concat([Buffer.from(`${cookie} `), encodeBencode({ ...params, command: name })]);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<NgDictionary>((resolve, reject) => {
      const pending: PendingCommand = { name, timeoutMs: options.timeoutMs ?? this.#timeoutMs, retries: options.retries ?? this.#retries, datagram, startedAt: Date.now(), attempt: 0, timer: undefined, lastSendError: undefined, resolve, reject };
      this.#pending.set(cookie, pending);
      this.#transmit(cookie, pending);
    });
  }

  /** Resolves when rtpengine answers `pong`. */
  async ping(options: NgCommandOptions = {}): Promise<void> {
    const reply = await this.command('ping', {}, options);
    if (reply['result'] !== 'pong') throw new MediaError('MEDIA_NG_BAD_REPLY', `ng ${this.target}: ping answered "${describe(reply['result'])}", not "pong"`, { sipStatus: 503 });
  }

  /** Rejects every pending command with MEDIA_NG_CLOSED and closes the socket. */
  close(): Promise<void> {
    if (this.#socketClosed !== undefined) return this.#socketClosed;
    this.#closed = true;
    for (const [cookie, pending] of this.#pending) {
      this.#settle(cookie, pending);
      pending.reject(new MediaError('MEDIA_NG_CLOSED', `ng ${this.target}: the client was closed while "${pending.name}" was outstanding`, { sipStatus: 503 }));
    }
    this.#socketClosed = new Promise((resolve) => this.#socket.close(() => resolve()));
    return this.#socketClosed;
  }

  #transmit(cookie: string, pending: PendingCommand): void {
    this.#socket.send(pending.datagram, this.port, this.address, (err) => {
      // A failed send is not fatal: the next retransmission may get through (or the timeout reports it).
      if (err) {
        pending.lastSendError = err;
        this.#log(`ng ${this.target}: sending "${pending.name}" failed: ${err.message}`);
      }
    });
    const wait = pending.timeoutMs * Math.min(2 ** pending.attempt, MAX_BACKOFF_FACTOR);
    pending.timer = setTimeout(() => this.#onAttemptTimeout(cookie, pending), wait);
  }

  #onAttemptTimeout(cookie: string, pending: PendingCommand): void {
    if (pending.attempt < pending.retries) {
      pending.attempt++;
      this.#transmit(cookie, pending);
      return;
    }
    this.#settle(cookie, pending);
    const sendError = pending.lastSendError === undefined ? '' : ` (last send error: ${pending.lastSendError.message})`;
    pending.reject(new MediaError('MEDIA_NG_TIMEOUT',
      `ng ${this.target}: no reply to "${pending.name}" after ${pending.attempt + 1} attempts over ${Date.now() - pending.startedAt} ms${sendError}`,
      { sipStatus: 503 }));
  }

  #settle(cookie: string, pending: PendingCommand): void {
    clearTimeout(pending.timer);
    this.#pending.delete(cookie);
  }

  #onReply(message: Buffer): void {
    const space = message.indexOf(0x20);
    if (space <= 0) {
      this.#badReply(`a ${message.length}-byte datagram without a cookie`);
      return;
    }
    const cookie = message.toString('latin1', 0, space);
    const pending = this.#pending.get(cookie);
    if (pending === undefined) {
      // Our own cookie: a late reply to a command that timed out, or rtpengine's cached reply to a
      // retransmission whose first reply already arrived. Both are expected and dropped quietly.
      if (!cookie.startsWith(`${this.#cookiePrefix}_`)) this.#badReply(`a reply with cookie "${cookie.slice(0, 40)}" we never sent`);
      return;
    }
    let reply: NgValue;
    try {
      reply = decodeBencode(message.subarray(space + 1));
    } catch (err) {
      this.#badReply(`the reply to "${pending.name}" is not bencode: ${err instanceof Error ? err.message : String(err)}`);
      return; // keep waiting: a retransmission may bring a good reply
    }
    if (!isDictionary(reply) || typeof reply['result'] !== 'string') {
      this.#badReply(`the reply to "${pending.name}" is not a dictionary with a result`);
      return;
    }
    this.#settle(cookie, pending);
    const result = reply['result'];
    if (result === 'ok' || result === 'pong') {
      pending.resolve(reply);
      return;
    }
    const reason = typeof reply['error-reason'] === 'string' ? reply['error-reason'] : undefined;
    // "load limit" is rtpengine refusing new calls because it is saturated: a 503, not a 488.
    const sipStatus = result === 'load limit' ? 503 : 488;
    pending.reject(new MediaError('MEDIA_NG_ERROR',
      `ng ${this.target}: "${pending.name}" failed: ${result}${reason === undefined ? '' : `: ${reason}`}`,
      { sipStatus }));
  }

  #badReply(what: string): void {
    this.#log(`ng ${this.target}: MEDIA_NG_BAD_REPLY ignored ${what}`);
  }
}

function isDictionary(value: NgValue): value is NgDictionary {
  return typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function describe(value: NgValue | undefined): string {
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? '<binary>' : typeof value;
}

function loopbackOf(address: string): string | undefined {
  if (address.startsWith('127.')) return '127.0.0.1';
  if (address === '::1') return '::1';
  return undefined;
}
