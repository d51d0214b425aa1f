// The call queues at run time: who waits in which queue and in what order, which members are
// logged in, paused, ringing, talking or wrapping up, and which members ring for which caller
// (the dispatcher). The waiting callers' own calls (answer, music, announcements, ringing the
// members, connecting) are carried out by the B2BUA (b2bua/queue-call.ts), which reports back here.
//
// Dispatch is event driven: a caller joining, an attempt ending, a call ending anywhere (a member
// becomes free), a registration, an agent logging in or unpausing, or a retry/wrap-up timer. It runs
// once per turn of the event loop however many of these happen together.

import type { QueueConfig } from '../config/config-schema.ts';
import type { IpbxEvents } from '../events/ipbx-events.ts';
import type { Clock, TimerHandle } from '../sip/index.ts';
import { QueueError } from './queue-errors.ts';
import type { DynamicMember, QueueLogEntry, QueueLogEvent, QueueLogQuery, QueueStore } from './queue-log.ts';
import { memberStatus, type MemberStatus } from './queue-member.ts';
import { QueueStats, type QueueFigures } from './queue-stats.ts';
import { pickMembers, type MemberCandidate } from './queue-strategy.ts';

/** A caller waiting in a queue, as its call flow presents itself to the dispatcher. */
export interface WaitingCaller {
  readonly callId: string;
  readonly caller: string;
  readonly callerName: string;
  readonly priority: number;
  /** Starts an attempt: ring these members, then report with `attemptFinished`. */
  ring(members: string[]): void;
  /** The queue sends the caller away (leaveWhenEmpty): it is no longer in the queue. */
  evicted(reason: 'empty'): void;
}

export type JoinResult = { ok: true; position: number } | { ok: false; reason: 'unknown' | 'full' | 'empty' };

export type LeaveReason = 'abandon' | 'timeout';

export interface AttemptResult {
  /** The member who answered, if one did. */
  answeredBy?: string | undefined;
  /** Members that were rung and did not answer, and why. */
  missed?: Array<{ agent: string; reason: 'no-answer' | 'rejected' | 'busy' }> | undefined;
}

export type AgentOperation = 'login' | 'logout' | 'pause' | 'unpause' | 'toggle-pause';

export interface AgentChange {
  queue: string;
  /** What the operation did in this queue: logged in/out, paused or unpaused. */
  result: 'logged-in' | 'logged-out' | 'paused' | 'unpaused';
}

export interface WaitingSnapshot {
  callId: string;
  caller: string;
  callerName: string;
  position: number;
  priority: number;
  waitSeconds: number;
  /** Members ring for it now. */
  ringing: boolean;
}

export interface MemberSnapshot {
  extension: string;
  /** Logged in as a dynamic agent (false: a static member from the config). */
  dynamic: boolean;
  status: MemberStatus;
  pauseReason: string;
  answered: number;
  missed: number;
  talkSeconds: number;
  lastCallEndedAt: number | null;
}

export interface QueueSnapshot {
  name: string;
  strategy: QueueConfig['strategy'];
  waiting: WaitingSnapshot[];
  members: MemberSnapshot[];
  today: QueueFigures;
  /** What a caller joining now would be told; null until the queue has answered a call today. */
  estimatedWaitSeconds: number | null;
}

export interface QueueServiceOptions {
  /** Read on every use, so a config reload applies at once. */
  queues: () => QueueConfig[];
  /** The extension is in a call (any call through the B2BUA). */
  isBusy: (extension: string) => boolean;
  /** The extension is an account's (only accounts log in as agents). */
  isAccount: (extension: string) => boolean;
  /** The extension has a live registration (and an enabled account). */
  isReachable: (extension: string) => boolean;
  store: QueueStore;
  events: IpbxEvents;
  clock: Clock;
  random?: () => number;
  report: (err: unknown) => void;
}

interface Waiting {
  handle: WaitingCaller;
  joinedAt: number;
  /** Join order, to keep first come first served among equal priorities. */
  seq: number;
  attemptStartedAt: number | null;
  ringingMembers: string[];
  nextAttemptAt: number;
  /** Members rung for it in its current round (queue-strategy.ts). */
  tried: Set<string>;
}

interface QueueRuntime {
  waiting: Waiting[];
  stats: QueueStats;
  lastRoundRobin: string | undefined;
  /** Member → epoch ms its wrap-up ends. */
  wrapUpUntil: Map<string, number>;
}

/** Today's log replayed at start, at most (a very busy day is still bounded). */
const REPLAY_LIMIT = 1_000_000;

export class QueueService {
  readonly #options: QueueServiceOptions;
  readonly #runtimes = new Map<string, QueueRuntime>();
  /** queue → extension → membership of logged-in dynamic agents. */
  readonly #dynamic = new Map<string, Map<string, DynamicMember>>();
  /** queue → paused static member → reason (static members are always logged in; their pauses last until a restart). */
  readonly #staticPause = new Map<string, Map<string, string>>();
  /** Members ringing for some queue caller now (any queue). */
  readonly #ringing = new Set<string>();
  /** Members talking to a queue caller (from CONNECT to the call's end). */
  readonly #talking = new Set<string>();
  #seq = 0;
  #day: number;
  #dispatchPending = false;
  #wake: { at: number; timer: TimerHandle } | undefined;
  #closed = false;

  constructor(options: QueueServiceOptions) {
    this.#options = options;
    for (const member of options.store.members()) this.#membersOf(member.queue).set(member.extension, member);
    this.#day = dayStart(options.clock.now());
    this.#replayToday();
  }

  // ---- waiting callers --------------------------------------------------------------------

  join(queueName: string, handle: WaitingCaller): JoinResult {
    const config = this.#config(queueName);
    if (config === undefined) return { ok: false, reason: 'unknown' };
    const runtime = this.#runtime(queueName);
    if (config.maxCallers > 0 && runtime.waiting.length >= config.maxCallers) {
      this.#log(queueName, 'FULL', handle.callId, null, { caller: handle.caller, waiting: runtime.waiting.length });
      return { ok: false, reason: 'full' };
    }
    if (!config.joinWhenEmpty && this.#isEmpty(config)) {
      this.#log(queueName, 'JOINEMPTY', handle.callId, null, { caller: handle.caller });
      return { ok: false, reason: 'empty' };
    }
    const now = this.#options.clock.now();
    const entry: Waiting = { handle, joinedAt: now, seq: this.#seq++, attemptStartedAt: null, ringingMembers: [], nextAttemptAt: now, tried: new Set() };
    // Ahead of every caller of lower priority, behind those of equal or higher priority.
    const at = runtime.waiting.findIndex((w) => w.handle.priority < handle.priority);
    if (at === -1) runtime.waiting.push(entry);
    else runtime.waiting.splice(at, 0, entry);
    const position = runtime.waiting.indexOf(entry) + 1;
    this.#log(queueName, 'ENTERQUEUE', handle.callId, null, { caller: handle.caller, position, priority: handle.priority });
    this.#poke();
    return { ok: true, position };
  }

  /** The caller left without being answered (hung up, or waited maxWait). */
  leave(queueName: string, callId: string, reason: LeaveReason): void {
    const runtime = this.#runtimes.get(queueName);
    const index = runtime?.waiting.findIndex((w) => w.handle.callId === callId) ?? -1;
    if (runtime === undefined || index === -1) return;
    const [entry] = runtime.waiting.splice(index, 1);
    if (entry === undefined) return;
    this.#releaseRinging(entry);
    const waitSeconds = this.#secondsSince(entry.joinedAt);
    this.#log(queueName, reason === 'abandon' ? 'ABANDON' : 'EXITWITHTIMEOUT', callId, null, { position: index + 1, waitSeconds });
    this.#poke();
  }

  /** An attempt the dispatcher started is over; answered callers leave the queue here. */
  attemptFinished(queueName: string, callId: string, result: AttemptResult): void {
    const runtime = this.#runtimes.get(queueName);
    const entry = runtime?.waiting.find((w) => w.handle.callId === callId);
    if (runtime === undefined || entry === undefined) return;
    const ringSeconds = entry.attemptStartedAt === null ? 0 : this.#secondsSince(entry.attemptStartedAt);
    this.#releaseRinging(entry);
    for (const { agent, reason } of result.missed ?? []) this.#log(queueName, 'RINGNOANSWER', callId, agent, { ringSeconds, reason });
    const config = this.#config(queueName);
    if (result.answeredBy === undefined) {
      entry.nextAttemptAt = this.#options.clock.now() + (config?.retryDelay ?? 0) * 1000;
    } else {
      runtime.waiting.splice(runtime.waiting.indexOf(entry), 1);
      this.#talking.add(result.answeredBy);
      this.#log(queueName, 'CONNECT', callId, result.answeredBy, { waitSeconds: this.#secondsSince(entry.joinedAt), ringSeconds });
    }
    this.#poke();
  }

  /** A connected queue call ended; its member starts its wrap-up time. */
  callEnded(queueName: string, callId: string, agent: string, info: { by: 'caller' | 'agent'; waitSeconds: number; talkSeconds: number }): void {
    this.#talking.delete(agent);
    const wrapUp = this.#config(queueName)?.wrapUp ?? 0;
    if (wrapUp > 0) this.#runtime(queueName).wrapUpUntil.set(agent, this.#options.clock.now() + wrapUp * 1000);
    this.#log(queueName, info.by === 'caller' ? 'COMPLETECALLER' : 'COMPLETEAGENT', callId, agent, { waitSeconds: info.waitSeconds, talkSeconds: info.talkSeconds });
    this.#poke();
  }

  /** The queue's settings now (a config reload applies to the next use). */
  config(name: string): QueueConfig | undefined {
    return this.#options.queues().find((q) => q.name === name);
  }

  position(queueName: string, callId: string): number | undefined {
    const index = this.#runtimes.get(queueName)?.waiting.findIndex((w) => w.handle.callId === callId) ?? -1;
    return index === -1 ? undefined : index + 1;
  }

  /** Asterisk's estimate: the queue's average hold time less what this caller has waited; undefined when unknown. */
  estimatedWaitSeconds(queueName: string, callId?: string): number | undefined {
    const runtime = this.#runtimes.get(queueName);
    if (runtime === undefined) return undefined;
    this.#rollDay();
    const figures = runtime.stats.figures();
    if (figures.answered === 0) return undefined;
    const entry = callId === undefined ? undefined : runtime.waiting.find((w) => w.handle.callId === callId);
    const waited = entry === undefined ? 0 : this.#secondsSince(entry.joinedAt);
    return Math.max(0, Math.round(figures.holdtimeSeconds - waited));
  }

  /** Something that may free or occupy a member happened elsewhere (a call ended, a registration). */
  poke(): void {
    this.#poke();
  }

  // ---- agents -----------------------------------------------------------------------------

  /**
   * The queues an operation without a queue named acts on: for a login, every queue the account
   * may log in to (it is in `agents`, or the queue has no such list); for the others, every queue
   * it is a member of (static, or logged in).
   */
  agentQueues(extension: string, operation: AgentOperation): string[] {
    return this.#options.queues()
      .filter((q) => (operation === 'login'
        ? !q.members.includes(extension) && (q.agents === undefined || q.agents.includes(extension))
        : q.members.includes(extension) || this.#dynamic.get(q.name)?.has(extension) === true))
      .map((q) => q.name);
  }

  /** Carries out a feature code or API call; throws QueueError when it cannot. */
  agent(operation: AgentOperation, extension: string, queueName?: string, reason = ''): AgentChange[] {
    if (operation === 'login' && !this.#options.isAccount(extension)) throw new QueueError('IPBX_QUEUE_AGENT_NOT_ALLOWED', `no account has extension ${extension}`);
    const names = queueName === undefined ? this.agentQueues(extension, operation) : [queueName];
    if (queueName !== undefined && this.#config(queueName) === undefined) throw new QueueError('IPBX_QUEUE_NOT_FOUND', `no queue is named ${queueName}`);
    if (names.length === 0) {
      if (operation === 'login') throw new QueueError('IPBX_QUEUE_AGENT_NOT_ALLOWED', `${extension} may log in to no queue`);
      throw new QueueError('IPBX_QUEUE_NOT_LOGGED_IN', `${extension} is a member of no queue`);
    }
    const changes = names.map((name) => this.#agentIn(operation, extension, name, reason, queueName !== undefined));
    this.#poke();
    return changes.filter((c): c is AgentChange => c !== undefined);
  }

  #agentIn(operation: AgentOperation, extension: string, name: string, reason: string, named: boolean): AgentChange | undefined {
    const config = this.#config(name);
    if (config === undefined) return undefined;
    const isStatic = config.members.includes(extension);
    const dynamic = this.#membersOf(name);
    const current = dynamic.get(extension);
    switch (operation) {
      case 'login': {
        if (isStatic) {
          if (named) throw new QueueError('IPBX_QUEUE_STATIC_MEMBER', `${extension} is a static member of ${name}: it is always logged in`);
          return undefined;
        }
        if (config.agents !== undefined && !config.agents.includes(extension)) {
          throw new QueueError('IPBX_QUEUE_AGENT_NOT_ALLOWED', `${extension} is not in the agents of queue ${name}`);
        }
        if (current === undefined) {
          const member: DynamicMember = { queue: name, extension, paused: false, pauseReason: '', since: this.#options.clock.now() };
          dynamic.set(extension, member);
          this.#options.store.saveMember(member);
          this.#log(name, 'ADDMEMBER', null, extension, {});
        }
        return { queue: name, result: 'logged-in' };
      }
      case 'logout': {
        if (isStatic) {
          if (named) throw new QueueError('IPBX_QUEUE_STATIC_MEMBER', `${extension} is a static member of ${name}: it cannot log out (it can pause)`);
          return undefined;
        }
        if (current === undefined) {
          if (named) throw new QueueError('IPBX_QUEUE_NOT_LOGGED_IN', `${extension} is not logged in to ${name}`);
          return undefined;
        }
        dynamic.delete(extension);
        this.#options.store.removeMember(name, extension);
        this.#log(name, 'REMOVEMEMBER', null, extension, {});
        return { queue: name, result: 'logged-out' };
      }
      case 'pause':
      case 'unpause':
      case 'toggle-pause': {
        const paused = this.#isPaused(name, extension);
        if (!isStatic && current === undefined) {
          if (named) throw new QueueError('IPBX_QUEUE_NOT_LOGGED_IN', `${extension} is not logged in to ${name}`);
          return undefined;
        }
        const want = operation === 'toggle-pause' ? !paused : operation === 'pause';
        if (want !== paused) {
          if (isStatic) {
            const pauses = this.#staticPausesOf(name);
            if (want) pauses.set(extension, reason);
            else pauses.delete(extension);
          } else if (current !== undefined) {
            current.paused = want;
            current.pauseReason = want ? reason : '';
            this.#options.store.saveMember(current);
          }
          this.#log(name, want ? 'PAUSE' : 'UNPAUSE', null, extension, want && reason !== '' ? { reason } : {});
        }
        return { queue: name, result: want ? 'paused' : 'unpaused' };
      }
    }
  }

  // ---- reading ----------------------------------------------------------------------------

  snapshot(): QueueSnapshot[] {
    this.#rollDay();
    const now = this.#options.clock.now();
    return this.#options.queues().map((config) => {
      const runtime = this.#runtime(config.name);
      return {
        name: config.name,
        strategy: config.strategy,
        waiting: runtime.waiting.map((w, i) => ({
          callId: w.handle.callId, caller: w.handle.caller, callerName: w.handle.callerName, position: i + 1,
          priority: w.handle.priority, waitSeconds: Math.max(0, Math.floor((now - w.joinedAt) / 1000)), ringing: w.ringingMembers.length > 0,
        })),
        members: this.#memberList(config).map((extension) => {
          const figures = runtime.stats.agent(extension);
          return {
            extension,
            dynamic: !config.members.includes(extension),
            status: this.#status(config, extension),
            pauseReason: this.#pauseReason(config.name, extension),
            ...figures,
          };
        }),
        today: runtime.stats.figures(),
        estimatedWaitSeconds: this.estimatedWaitSeconds(config.name) ?? null,
      };
    });
  }

  log(query: QueueLogQuery): QueueLogEntry[] {
    return this.#options.store.read(query);
  }

  close(): void {
    this.#closed = true;
    this.#wake?.timer.cancel();
    this.#wake = undefined;
  }

  // ---- dispatch ---------------------------------------------------------------------------

  #poke(): void {
    if (this.#dispatchPending || this.#closed) return;
    this.#dispatchPending = true;
    queueMicrotask(() => {
      this.#dispatchPending = false;
      try {
        this.#dispatch();
      } catch (err) {
        this.#options.report(err);
      }
    });
  }

  #dispatch(): void {
    if (this.#closed) return;
    const now = this.#options.clock.now();
    let nextWake = Infinity;
    for (const config of this.#options.queues()) {
      const runtime = this.#runtimes.get(config.name);
      if (runtime === undefined || runtime.waiting.length === 0) continue;
      if (config.leaveWhenEmpty && this.#isEmpty(config)) {
        this.#evictAll(config.name, runtime);
        continue;
      }
      for (const until of runtime.wrapUpUntil.values()) if (until > now) nextWake = Math.min(nextWake, until);
      for (const entry of [...runtime.waiting]) {
        if (entry.ringingMembers.length > 0) continue;
        if (entry.nextAttemptAt > now) {
          nextWake = Math.min(nextWake, entry.nextAttemptAt);
          continue;
        }
        const available = this.#memberList(config).filter((m) => this.#status(config, m) === 'available');
        if (available.length === 0) break;
        const pick = pickMembers(config.strategy, available.map((m) => this.#candidate(runtime, m)), {
          tried: entry.tried, lastRoundRobin: runtime.lastRoundRobin, order: this.#memberList(config), random: this.#options.random ?? Math.random,
        });
        if (pick.newRound) entry.tried.clear();
        if (pick.members.length === 0) continue;
        for (const m of pick.members) {
          this.#ringing.add(m);
          entry.tried.add(m);
        }
        if (config.strategy === 'rrmemory') runtime.lastRoundRobin = pick.members[0];
        entry.ringingMembers = pick.members;
        entry.attemptStartedAt = now;
        try {
          entry.handle.ring(pick.members);
        } catch (err) {
          this.#options.report(err);
        }
      }
    }
    this.#scheduleWake(nextWake);
  }

  #scheduleWake(at: number): void {
    if (at === Infinity) return;
    if (this.#wake !== undefined && this.#wake.at <= at) return;
    this.#wake?.timer.cancel();
    const timer = this.#options.clock.setTimer(Math.max(0, at - this.#options.clock.now()), () => {
      this.#wake = undefined;
      this.#poke();
    });
    this.#wake = { at, timer };
  }

  #evictAll(name: string, runtime: QueueRuntime): void {
    for (const entry of runtime.waiting.splice(0)) {
      this.#releaseRinging(entry);
      this.#log(name, 'EXITEMPTY', entry.handle.callId, null, { waitSeconds: this.#secondsSince(entry.joinedAt) });
      try {
        entry.handle.evicted('empty');
      } catch (err) {
        this.#options.report(err);
      }
    }
  }

  #releaseRinging(entry: Waiting): void {
    for (const m of entry.ringingMembers) this.#ringing.delete(m);
    entry.ringingMembers = [];
    entry.attemptStartedAt = null;
  }

  // ---- members ----------------------------------------------------------------------------

  /** Static members in config order, then logged-in dynamic agents by login time. */
  #memberList(config: QueueConfig): string[] {
    const dynamic = [...this.#membersOf(config.name).values()]
      .filter((m) => !config.members.includes(m.extension))
      .sort((x, y) => x.since - y.since)
      .map((m) => m.extension);
    return [...config.members, ...dynamic];
  }

  #status(config: QueueConfig, extension: string): MemberStatus {
    const until = this.#runtimes.get(config.name)?.wrapUpUntil.get(extension);
    return memberStatus({
      paused: this.#isPaused(config.name, extension),
      reachable: this.#options.isReachable(extension),
      ringing: this.#ringing.has(extension),
      busy: this.#talking.has(extension) || this.#options.isBusy(extension),
      wrappingUp: until !== undefined && until > this.#options.clock.now(),
    });
  }

  /** No member who could take a call soon: none logged in, or all paused or unregistered. */
  #isEmpty(config: QueueConfig): boolean {
    return !this.#memberList(config).some((m) => {
      const status = this.#status(config, m);
      return status !== 'paused' && status !== 'offline';
    });
  }

  #candidate(runtime: QueueRuntime, extension: string): MemberCandidate {
    const figures = runtime.stats.agent(extension);
    return { extension, lastCallEndedAt: figures.lastCallEndedAt, answered: figures.answered };
  }

  #isPaused(queue: string, extension: string): boolean {
    return this.#dynamic.get(queue)?.get(extension)?.paused === true || this.#staticPause.get(queue)?.has(extension) === true;
  }

  #pauseReason(queue: string, extension: string): string {
    return this.#dynamic.get(queue)?.get(extension)?.pauseReason ?? this.#staticPause.get(queue)?.get(extension) ?? '';
  }

  #membersOf(queue: string): Map<string, DynamicMember> {
    let members = this.#dynamic.get(queue);
    if (members === undefined) {
      members = new Map();
      this.#dynamic.set(queue, members);
    }
    return members;
  }

  #staticPausesOf(queue: string): Map<string, string> {
    let pauses = this.#staticPause.get(queue);
    if (pauses === undefined) {
      pauses = new Map();
      this.#staticPause.set(queue, pauses);
    }
    return pauses;
  }

  // ---- log and figures --------------------------------------------------------------------

  #log(queue: string, event: QueueLogEvent, callId: string | null, agent: string | null, data: QueueLogEntry['data']): void {
    const entry: QueueLogEntry = { at: this.#options.clock.now(), queue, event, callId, agent, data };
    this.#rollDay();
    this.#runtime(queue).stats.apply(entry);
    try {
      this.#options.store.append(entry);
    } catch (err) {
      this.#options.report(err);
    }
    this.#options.events.emit('queue', { type: 'queue', ...entry });
  }

  #replayToday(): void {
    for (const entry of this.#options.store.read({ since: this.#day, limit: REPLAY_LIMIT })) this.#runtime(entry.queue).stats.apply(entry);
  }

  /** At midnight (local time) today's figures start again from zero. */
  #rollDay(): void {
    const today = dayStart(this.#options.clock.now());
    if (today === this.#day) return;
    this.#day = today;
    for (const [name, runtime] of this.#runtimes) runtime.stats = this.#newStats(name);
  }

  #runtime(name: string): QueueRuntime {
    let runtime = this.#runtimes.get(name);
    if (runtime === undefined) {
      runtime = { waiting: [], stats: this.#newStats(name), lastRoundRobin: undefined, wrapUpUntil: new Map() };
      this.#runtimes.set(name, runtime);
    }
    return runtime;
  }

  #newStats(name: string): QueueStats {
    return new QueueStats(() => this.#config(name)?.serviceLevel ?? 20);
  }

  #config(name: string): QueueConfig | undefined {
    return this.config(name);
  }

  #secondsSince(at: number): number {
    return Math.max(0, Math.round((this.#options.clock.now() - at) / 100) / 10);
  }
}

/** Local midnight of the day of `ms`, so "today" is the trainer's day, not UTC's. */
function dayStart(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}
