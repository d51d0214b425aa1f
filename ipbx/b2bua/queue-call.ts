// A caller in a call queue, from joining to being connected (or sent on). As Asterisk's Queue():
// the IPBX answers the caller, plays music on hold with periodic announcements of its position
// and estimated wait, rings the members the dispatcher (ipbx/queues/queue-service.ts) picks for
// it, and connects it to the first who answers. A member who does not answer or refuses does not
// cost the caller its place: the caller waits on at the same position. Limits send it on to the
// queue's overflow numbers (routed through the dialplan again, the call staying answered).

import type { QueueConfig } from '../config/config-schema.ts';
import type { QueueService, WaitingCaller } from '../queues/queue-service.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { connectAnswered } from './answer-call.ts';
import type { EndCause } from './end-cause.ts';
import { answerLocally } from './local-answer.ts';
import type { FinalCandidate } from './response-selection.ts';
import { queueMemberTargets, type RingStep } from './ring-plan.ts';
import { ringStep, type StepOutcome } from './ring-step.ts';

export interface QueuePlan {
  queue: string;
  priority: number;
}

export type QueueExit =
  /** Connected to a member, or the call ended. */
  | { kind: 'done' }
  /** Sent on to an overflow number (the caller may be answered already). */
  | { kind: 'overflow'; number: string }
  /** The IPBX plays this prompt to the (answered) caller, then hangs up. */
  | { kind: 'hangup'; prompt: string; cause: EndCause }
  /** Not let in: the caller's final response. */
  | { kind: 'refused'; candidate: FinalCandidate };

/** Pause between two prompts of an announcement, and before music resumes. */
const PROMPT_GAP_MS = 150;
/** Announcements per caller, at most (a caller waiting a day at every 30 s stays far below). */
const MAX_ANNOUNCEMENTS = 10_000;

export function waitInQueue(ctx: B2buaContext, call: Call, plan: QueuePlan): Promise<QueueExit> {
  const queues = ctx.queues;
  const config = queues?.config(plan.queue);
  if (queues === undefined || config === undefined) return Promise.resolve(refused(404, 'unknown-number', 'Unknown Queue'));
  // The IPBX answers with rtpengine's answer to the caller's offer: an INVITE without one cannot wait.
  if (call.lateOffer) return Promise.resolve(refused(488, 'failed', 'Queues Need An SDP Offer'));
  return new QueueWait(ctx, queues, config, call, plan.priority).run();
}

function refused(status: number, cause: EndCause, reason: string): QueueExit {
  return { kind: 'refused', candidate: { status, reason, cause, local: false } };
}

class QueueWait {
  readonly #ctx: B2buaContext;
  readonly #queues: QueueService;
  readonly #config: QueueConfig;
  readonly #call: Call;
  readonly #handle: WaitingCaller;
  #settled = false;
  #joinedAt = 0;
  #exit: (exit: QueueExit) => void = () => undefined;
  #ready: Promise<boolean> = Promise.resolve(false);
  readonly #wakers = new Set<() => void>();
  #stopWatching: () => void = () => undefined;

  constructor(ctx: B2buaContext, queues: QueueService, config: QueueConfig, call: Call, priority: number) {
    this.#ctx = ctx;
    this.#queues = queues;
    this.#config = config;
    this.#call = call;
    this.#handle = {
      callId: call.id,
      caller: call.caller.extension,
      callerName: call.caller.displayName,
      priority,
      ring: (members) => {
        this.#attempt(members).catch((err: unknown) => {
          ctx.report(err);
          queues.attemptFinished(config.name, call.id, { missed: [] });
        });
      },
      evicted: () => this.#leaveFor(config.overflow.empty),
    };
  }

  async run(): Promise<QueueExit> {
    const done = new Promise<QueueExit>((resolve) => {
      this.#exit = resolve;
    });
    this.#joinedAt = this.#ctx.clock.now();
    const joined = this.#queues.join(this.#config.name, this.#handle);
    if (!joined.ok) {
      if (joined.reason === 'full') return this.#overflowOr(this.#config.overflow.full, () => refused(486, 'busy', 'Queue Full'), 'queue-full');
      if (joined.reason === 'empty') return this.#overflowOr(this.#config.overflow.empty, () => refused(480, 'offline', 'No Agent Available'), 'unavailable');
      return refused(404, 'unknown-number', 'Unknown Queue');
    }
    this.#stopWatching = this.#call.onEnd(() => {
      if (this.#settled) return;
      this.#queues.leave(this.#config.name, this.#call.id, 'abandon');
      this.#settle({ kind: 'done' });
    });
    this.#ready = answerLocally(this.#ctx, this.#call, 200, true);
    let answered: boolean;
    try {
      answered = await this.#ready;
    } catch (err) {
      this.#queues.leave(this.#config.name, this.#call.id, 'abandon');
      this.#settle({ kind: 'done' });
      throw err;
    }
    if (!answered) {
      this.#queues.leave(this.#config.name, this.#call.id, 'abandon');
      this.#settle({ kind: 'done' });
      return done;
    }
    if (this.#config.maxWait > 0) {
      this.#call.setTimer(this.#config.maxWait * 1000, () => {
        if (this.#settled) return;
        this.#queues.leave(this.#config.name, this.#call.id, 'timeout');
        this.#leaveFor(this.#config.overflow.timeout);
      });
    }
    this.#musicAndAnnouncements().catch((err: unknown) => this.#ctx.report(err));
    return done;
  }

  /** Music on hold, broken every `announce.every` seconds by the caller's position and estimated wait. */
  async #musicAndAnnouncements(): Promise<void> {
    const ctx = this.#ctx;
    const me = this.#call.a.mediaInfo(this.#call.id);
    const every = this.#config.announce.every;
    for (let round = 0; round < MAX_ANNOUNCEMENTS && this.#waiting(); round++) {
      const files = every > 0 ? this.#announcementFiles() : [];
      if (files.length > 0) {
        await ctx.media.stop(me);
        for (const file of files) {
          if (!this.#waiting()) return;
          const durationMs = await ctx.media.play(me, file);
          await this.#sleep(durationMs + PROMPT_GAP_MS);
        }
      }
      if (!this.#waiting()) return;
      await ctx.media.playMusic(me);
      if (every === 0) return;
      await this.#sleep(every * 1000);
    }
  }

  /** "You are caller number 3. Your estimated wait time is 2 minutes." Numbers are read digit by digit. */
  #announcementFiles(): string[] {
    const ids: string[] = [];
    const { position, waitTime } = this.#config.announce;
    const place = this.#queues.position(this.#config.name, this.#call.id);
    if (position && place !== undefined) ids.push('queue-position', ...digits(place));
    const wait = waitTime ? this.#queues.estimatedWaitSeconds(this.#config.name, this.#call.id) : undefined;
    if (wait !== undefined && wait > 0) {
      ids.push('queue-wait', ...(wait >= 60 ? [...digits(Math.ceil(wait / 60)), 'minutes'] : [...digits(Math.ceil(wait / 10) * 10), 'seconds']));
    }
    return ids.map((id) => this.#ctx.promptFile(id)).filter((file): file is string => file !== undefined);
  }

  /** One attempt the dispatcher asked for: ring `members`, connect the first who answers. */
  async #attempt(members: string[]): Promise<void> {
    const queueName = this.#config.name;
    const callId = this.#call.id;
    if (!await this.#ready || !this.#waiting()) {
      this.#queues.attemptFinished(queueName, callId, { missed: [] });
      return;
    }
    const ctx = this.#ctx;
    const ringSeconds = this.#config.memberTimeout > 0 ? this.#config.memberTimeout : ctx.noAnswerTimeoutMs / 1000;
    const step: RingStep = {
      targets: queueMemberTargets(ctx, members),
      timeoutMs: ringSeconds * 1000,
      nobody: { status: 480, reason: 'Temporarily Unavailable', cause: 'offline', local: false },
    };
    const outcome = await ringStep(ctx, this.#call, step, { onProvisional: () => undefined });
    if (outcome.kind !== 'answered') {
      this.#queues.attemptFinished(queueName, callId, { missed: outcome.kind === 'ended' ? [] : members.map((agent) => ({ agent, reason: missReason(outcome) })) });
      return;
    }
    if (!this.#waiting()) {
      // The caller timed out or hung up while this member answered: the member is hung up.
      outcome.fork.discard(outcome.response);
      this.#queues.attemptFinished(queueName, callId, { missed: [] });
      return;
    }
    const agent = outcome.fork.ring.extension ?? members[0] ?? '';
    this.#settle({ kind: 'done' });
    this.#queues.attemptFinished(queueName, callId, { answeredBy: agent });
    const connectedAt = ctx.clock.now();
    const waitSeconds = Math.round((connectedAt - this.#joinedAt) / 100) / 10;
    this.#call.onEnd((end) => {
      this.#queues.callEnded(queueName, callId, agent, {
        by: end.by === 'caller' ? 'caller' : 'agent',
        waitSeconds,
        talkSeconds: Math.round((ctx.clock.now() - connectedAt) / 100) / 10,
      });
    });
    await connectAnswered(ctx, this.#call, outcome.fork, outcome.response);
  }

  /** Leaves for an overflow number, or a prompt and hang-up when the queue has none. */
  #leaveFor(number: string | undefined): void {
    if (this.#settled) return;
    // A member still ringing for this caller stops.
    for (const fork of this.#call.forks) fork.cancel();
    this.#settle(number === undefined ? { kind: 'hangup', prompt: 'unavailable', cause: 'no-answer' } : { kind: 'overflow', number });
  }

  #overflowOr(number: string | undefined, otherwise: () => QueueExit, prompt: string): QueueExit {
    if (number !== undefined) return { kind: 'overflow', number };
    // A caller already answered (sent here by another queue's overflow) hears why it is hung up.
    return this.#call.invite.finalResponse === undefined ? otherwise() : { kind: 'hangup', prompt, cause: 'busy' };
  }

  #waiting(): boolean {
    return !this.#settled && !this.#call.ended;
  }

  #settle(exit: QueueExit): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#stopWatching();
    for (const wake of [...this.#wakers]) wake();
    this.#exit(exit);
  }

  /** Resolves after `ms`, or as soon as the caller leaves the queue. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        timer.cancel();
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = this.#call.setTimer(ms, wake);
      this.#wakers.add(wake);
      if (!this.#waiting()) wake();
    });
  }
}

function digits(n: number): string[] {
  return [...String(Math.max(0, Math.floor(n)))].map((d) => `digit-${d}`);
}

function missReason(outcome: Exclude<StepOutcome, { kind: 'answered' }>): 'no-answer' | 'rejected' | 'busy' {
  if (outcome.kind !== 'failed') return 'no-answer';
  if (outcome.candidates.some((c) => c.status === 486 || c.status === 600)) return 'busy';
  return outcome.candidates.every((c) => c.status === 480 || c.status === 408 || c.local) ? 'no-answer' : 'rejected';
}
