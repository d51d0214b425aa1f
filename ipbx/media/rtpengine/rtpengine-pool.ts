// MediaControl over one or more rtpengine instances. A call (a call-id) is placed on an instance by
// its first offer (the up instance with the fewest calls per unit of weight, round-robin among
// equals) and every later command for it goes there, because only that rtpengine holds its
// session. An instance that stops answering is marked down: new calls go elsewhere, a cheap ping
// probes it back up, and if it stays down past a grace period its calls are reported lost. An
// embedded instance's process exit loses its calls at once (the supervisor restarts it).

import type { MediaControl, MediaDtmfEvent, NgCommand, NgDictionary, NgValue } from '../media-control.ts';
import { MediaError } from '../media-error.ts';
import { NgClient } from '../ng/ng-client.ts';
import type { DtmfLogListener } from './dtmf-log-listener.ts';
import type { RtpengineExit, RtpengineProcess } from './rtpengine-process.ts';

export interface RtpengineInstanceSpec {
  /** Used in logs and in the reason given for lost sessions. */
  name: string;
  /** Its ng listener. */
  address: string;
  port: number;
  /** Share of new calls relative to the other instances. Default 1. */
  weight?: number;
  /** The embedded process behind this instance, when voiplab runs it: its exits and restarts drive the instance's state. */
  process?: RtpengineProcess;
}

export interface RtpenginePoolOptions {
  instances: RtpengineInstanceSpec[];
  /** Per ng attempt (see NgClient). Default 1000 ms. */
  timeoutMs?: number;
  /** Retransmissions per ng command. Default 2. */
  retries?: number;
  /** How often an instance marked down is pinged. Default 2000 ms. */
  healthCheckIntervalMs?: number;
  /** How long an instance may stay down before its calls are reported lost. Default 10 000 ms. */
  lostGraceMs?: number;
  /** Source of the events `onDtmf` reports. */
  dtmfLog?: DtmfLogListener;
  log?: (line: string) => void;
}

export interface RtpengineInstanceStatus {
  name: string;
  target: string;
  up: boolean;
  calls: number;
}

type SessionsLostListener = (callIds: string[], reason: string) => void;

interface PoolInstance {
  readonly name: string;
  readonly client: NgClient;
  readonly weight: number;
  readonly process: RtpengineProcess | undefined;
  readonly calls: Set<string>;
  up: boolean;
  probing: boolean;
  healthTimer: NodeJS.Timeout | undefined;
  graceTimer: NodeJS.Timeout | undefined;
}

/**
 * Owns what it is given: close() closes its ng clients, stops the embedded processes and closes
 * the DTMF log listener.
 */
export class RtpenginePool implements MediaControl {
  readonly #instances: PoolInstance[];
  readonly #calls = new Map<string, PoolInstance>();
  readonly #lostListeners: SessionsLostListener[] = [];
  readonly #dtmfListeners: Array<(event: MediaDtmfEvent) => void> = [];
  readonly #dtmfLog: DtmfLogListener | undefined;
  readonly #healthCheckIntervalMs: number;
  readonly #lostGraceMs: number;
  readonly #timeoutMs: number;
  readonly #log: (line: string) => void;
  readonly #detachers: Array<() => void> = [];
  #cursor = 0;
  #closed: Promise<void> | undefined;

  constructor(options: RtpenginePoolOptions) {
    if (options.instances.length === 0) throw new MediaError('MEDIA_NO_INSTANCE', 'rtpengine pool: no instance configured (neither embedded nor external)');
    this.#log = options.log ?? (() => {});
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#healthCheckIntervalMs = options.healthCheckIntervalMs ?? 2000;
    this.#lostGraceMs = options.lostGraceMs ?? 10_000;
    this.#instances = options.instances.map((spec) => {
      const weight = spec.weight ?? 1;
      if (!(weight > 0)) throw new RangeError(`rtpengine pool: instance ${spec.name} has weight ${weight}; it must be > 0`);
      return {
        name: spec.name,
        client: new NgClient({ address: spec.address, port: spec.port, timeoutMs: this.#timeoutMs, retries: options.retries ?? 2, log: this.#log }),
        weight,
        process: spec.process,
        calls: new Set<string>(),
        up: spec.process === undefined ? true : spec.process.running,
        probing: false,
        healthTimer: undefined,
        graceTimer: undefined,
      };
    });
    for (const instance of this.#instances) if (instance.process !== undefined) this.#watchProcess(instance, instance.process);
    this.#dtmfLog = options.dtmfLog;
    if (this.#dtmfLog !== undefined) {
      const forward = (event: MediaDtmfEvent): void => { for (const listener of this.#dtmfListeners) this.#callSafely(() => listener(event)); };
      this.#dtmfLog.on('dtmf', forward);
      const dtmfLog = this.#dtmfLog;
      this.#detachers.push(() => dtmfLog.off('dtmf', forward));
    }
  }

  /** Pings every instance once (one attempt each) and marks those that do not answer down. */
  async checkInstances(): Promise<void> {
    await Promise.all(this.#instances.map(async (instance) => {
      if (instance.process !== undefined && !instance.process.running) return; // its supervisor decides
      try {
        await instance.client.ping({ retries: 0 });
        this.#markUp(instance);
      } catch (err) {
        this.#markDown(instance, `it did not answer ping: ${(err as Error).message}`);
      }
    }));
  }

  /** A snapshot of the instances (for status pages and tests). */
  get instances(): RtpengineInstanceStatus[] {
    return this.#instances.map((i) => ({ name: i.name, target: i.client.target, up: i.up, calls: i.calls.size }));
  }

  async command(command: NgCommand, params: NgDictionary): Promise<NgDictionary> {
    if (this.#closed !== undefined) throw new MediaError('MEDIA_NG_CLOSED', `rtpengine pool is closed ("${command}" not sent)`, { sipStatus: 503 });
    const callId = params['call-id'];
    if (typeof callId !== 'string') return this.#commandWithoutCall(command, params);
    const owner = this.#calls.get(callId);
    if (owner !== undefined) {
      try {
        return await this.#send(owner, command, params);
      } finally {
        if (command === 'delete') this.#forget(callId);
      }
    }
    // Not a known call: only an offer creates one; other commands go to any instance, which answers for itself (e.g. "Unknown call-id").
    if (command !== 'offer') return this.#send(this.#pickOrThrow(new Set(), command), command, params);
    return this.#offerNewCall(callId, params);
  }

  onSessionsLost(listener: SessionsLostListener): void {
    this.#lostListeners.push(listener);
  }

  onDtmf(listener: (event: MediaDtmfEvent) => void): void {
    this.#dtmfListeners.push(listener);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const detach of this.#detachers) detach();
      for (const instance of this.#instances) this.#stopTimers(instance);
      await Promise.all([
        ...this.#instances.map((i) => i.client.close()),
        ...this.#instances.map((i) => i.process?.stop()),
        this.#dtmfLog?.close(),
      ]);
    })();
    return this.#closed;
  }

  /** A new call: the chosen instance gets the offer; one that times out is marked down and the next one tried. */
  async #offerNewCall(callId: string, params: NgDictionary): Promise<NgDictionary> {
    const tried = new Set<PoolInstance>();
    for (;;) {
      const instance = this.#pickOrThrow(tried, 'offer');
      tried.add(instance);
      // Assigned before the reply, so a concurrent command for the same call follows it.
      this.#assign(callId, instance);
      try {
        return await this.#send(instance, 'offer', params);
      } catch (err) {
        if (this.#calls.get(callId) === instance) this.#forget(callId);
        if (!(err instanceof MediaError && err.code === 'MEDIA_NG_TIMEOUT')) throw err;
        this.#log(`rtpengine pool: offer for ${callId} timed out on ${instance.name}; trying another instance`);
      }
    }
  }

  async #commandWithoutCall(command: NgCommand, params: NgDictionary): Promise<NgDictionary> {
    if (command !== 'list') return this.#send(this.#pickOrThrow(new Set(), command), command, params);
    // `list` asks every up instance: the pool's calls are the union of theirs.
    const up = this.#instances.filter((i) => i.up);
    if (up.length === 0) throw this.#noInstance(command);
    const replies = await Promise.all(up.map((i) => this.#send(i, command, params)));
    const calls: NgValue[] = replies.flatMap((reply) => (Array.isArray(reply['calls']) ? reply['calls'] : []));
    return { ...replies[0], calls, result: 'ok' };
  }

  async #send(instance: PoolInstance, command: NgCommand, params: NgDictionary): Promise<NgDictionary> {
    try {
      const reply = await instance.client.command(command, params);
      this.#markUp(instance);
      return reply;
    } catch (err) {
      if (err instanceof MediaError && err.code === 'MEDIA_NG_TIMEOUT') this.#markDown(instance, err.message);
      throw err;
    }
  }

  /** The up instance (not in `exclude`) with the fewest calls per weight; round-robin among equals. */
  #pick(exclude: Set<PoolInstance>): PoolInstance | undefined {
    let best: PoolInstance | undefined;
    let bestIndex = 0;
    let bestLoad = Infinity;
    const count = this.#instances.length;
    for (let step = 0; step < count; step++) {
      const index = (this.#cursor + step) % count;
      const instance = this.#instances[index];
      if (instance === undefined || !instance.up || exclude.has(instance)) continue;
      const load = (instance.calls.size + 1) / instance.weight;
      if (load < bestLoad) {
        best = instance;
        bestIndex = index;
        bestLoad = load;
      }
    }
    if (best !== undefined) this.#cursor = (bestIndex + 1) % count;
    return best;
  }

  #pickOrThrow(exclude: Set<PoolInstance>, command: NgCommand): PoolInstance {
    const instance = this.#pick(exclude);
    if (instance === undefined) throw this.#noInstance(command);
    return instance;
  }

  #noInstance(command: NgCommand): MediaError {
    const states = this.#instances.map((i) => `${i.name} ${i.up ? 'up' : 'down'}`).join(', ');
    return new MediaError('MEDIA_NO_INSTANCE', `no rtpengine instance is up to take "${command}" (${states})`, { sipStatus: 503 });
  }

  #assign(callId: string, instance: PoolInstance): void {
    this.#calls.set(callId, instance);
    instance.calls.add(callId);
  }

  #forget(callId: string): void {
    this.#calls.get(callId)?.calls.delete(callId);
    this.#calls.delete(callId);
  }

  #watchProcess(instance: PoolInstance, process: RtpengineProcess): void {
    const onExit = (exit: RtpengineExit): void => {
      const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
      instance.up = false;
      this.#stopTimers(instance); // the supervisor, not the health check, brings it back
      this.#reportLost(instance, `rtpengine ${instance.name} (pid ${exit.pid}) exited (${how}); its sessions are gone`);
    };
    const onRestarted = (): void => {
      this.#log(`rtpengine pool: ${instance.name} restarted`);
      this.#markUp(instance);
    };
    const onFailed = (error: MediaError): void => {
      instance.up = false;
      this.#log(`rtpengine pool: ${instance.name} is out of service: ${error.message}`);
    };
    process.on('exit', onExit);
    process.on('restarted', onRestarted);
    process.on('failed', onFailed);
    this.#detachers.push(() => {
      process.off('exit', onExit);
      process.off('restarted', onRestarted);
      process.off('failed', onFailed);
    });
  }

  #markDown(instance: PoolInstance, reason: string): void {
    if (!instance.up || this.#closed !== undefined) return;
    instance.up = false;
    this.#log(`rtpengine pool: ${instance.name} marked down: ${reason}`);
    // Both timers are unref'd: a pool waiting for a dead instance must not keep the process alive.
    instance.healthTimer = setInterval(() => void this.#probe(instance), this.#healthCheckIntervalMs).unref();
    instance.graceTimer = setTimeout(() => {
      instance.graceTimer = undefined;
      if (!instance.up) this.#reportLost(instance, `rtpengine ${instance.name} did not answer for ${this.#lostGraceMs} ms; its sessions are presumed gone`);
    }, this.#lostGraceMs).unref();
  }

  #markUp(instance: PoolInstance): void {
    if (instance.up || this.#closed !== undefined) return;
    if (instance.process !== undefined && !instance.process.running) return; // a late reply from a dead process
    instance.up = true;
    this.#stopTimers(instance);
    this.#log(`rtpengine pool: ${instance.name} is up`);
  }

  async #probe(instance: PoolInstance): Promise<void> {
    if (instance.probing) return;
    instance.probing = true;
    try {
      await instance.client.ping({ retries: 0 });
      this.#markUp(instance);
    } catch { /* still down: the next interval tries again */ } finally {
      instance.probing = false;
    }
  }

  #stopTimers(instance: PoolInstance): void {
    clearInterval(instance.healthTimer);
    clearTimeout(instance.graceTimer);
    instance.healthTimer = undefined;
    instance.graceTimer = undefined;
  }

  #reportLost(instance: PoolInstance, reason: string): void {
    const callIds = [...instance.calls];
    for (const callId of callIds) this.#forget(callId);
    if (callIds.length === 0) return;
    this.#log(`rtpengine pool: ${callIds.length} session(s) lost: ${reason}`);
    for (const listener of this.#lostListeners) this.#callSafely(() => listener(callIds, reason));
  }

  /** A listener that throws must not break the pool or the other listeners. */
  #callSafely(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#log(`rtpengine pool: a listener threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
