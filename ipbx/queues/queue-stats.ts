// Today's figures of a queue and of each of its agents, folded from queue log entries: the same
// numbers whether the IPBX has been up all day or was restarted at noon (it replays today's log).
// Service level as Asterisk's: answered within the threshold over answered plus abandoned.

import type { QueueLogEntry } from './queue-log.ts';

export interface AgentFigures {
  answered: number;
  /** Attempts it did not answer (no answer, rejected, busy). */
  missed: number;
  talkSeconds: number;
  lastCallEndedAt: number | null;
}

export interface QueueFigures {
  entered: number;
  answered: number;
  abandoned: number;
  /** Callers sent on by maxWait, maxCallers or an empty queue. */
  overflowed: number;
  answeredWithinServiceLevel: number;
  averageWaitSeconds: number;
  longestWaitSeconds: number;
  averageTalkSeconds: number;
  /** Percent; null before any call was answered or abandoned. */
  serviceLevelPercent: number | null;
  /** Exponential average of answered callers' waits (Asterisk's holdtime), for the estimated wait. */
  holdtimeSeconds: number;
}

export class QueueStats {
  readonly #serviceLevelSeconds: () => number;
  #entered = 0;
  #answered = 0;
  #abandoned = 0;
  #overflowed = 0;
  #withinLevel = 0;
  #waitTotal = 0;
  #longestWait = 0;
  #talkTotal = 0;
  #completed = 0;
  #holdtime = 0;
  readonly #agents = new Map<string, AgentFigures>();

  constructor(serviceLevelSeconds: () => number) {
    this.#serviceLevelSeconds = serviceLevelSeconds;
  }

  apply(entry: QueueLogEntry): void {
    const wait = numberOf(entry.data['waitSeconds']);
    switch (entry.event) {
      case 'ENTERQUEUE':
        this.#entered++;
        break;
      case 'CONNECT':
        this.#answered++;
        this.#waitTotal += wait;
        this.#longestWait = Math.max(this.#longestWait, wait);
        if (wait <= this.#serviceLevelSeconds()) this.#withinLevel++;
        // app_queue: holdtime = (3 * holdtime + wait) / 4.
        this.#holdtime = this.#answered === 1 ? wait : (3 * this.#holdtime + wait) / 4;
        if (entry.agent !== null) this.#agent(entry.agent).answered++;
        break;
      case 'COMPLETECALLER':
      case 'COMPLETEAGENT': {
        const talk = numberOf(entry.data['talkSeconds']);
        this.#talkTotal += talk;
        this.#completed++;
        if (entry.agent !== null) {
          const agent = this.#agent(entry.agent);
          agent.talkSeconds += talk;
          agent.lastCallEndedAt = entry.at;
        }
        break;
      }
      case 'ABANDON':
        this.#abandoned++;
        this.#longestWait = Math.max(this.#longestWait, wait);
        break;
      case 'EXITWITHTIMEOUT':
      case 'EXITEMPTY':
        this.#overflowed++;
        this.#longestWait = Math.max(this.#longestWait, wait);
        break;
      case 'FULL':
      case 'JOINEMPTY':
        this.#overflowed++;
        break;
      case 'RINGNOANSWER':
        if (entry.agent !== null) this.#agent(entry.agent).missed++;
        break;
      default:
        break;
    }
  }

  figures(): QueueFigures {
    const levelBase = this.#answered + this.#abandoned;
    return {
      entered: this.#entered,
      answered: this.#answered,
      abandoned: this.#abandoned,
      overflowed: this.#overflowed,
      answeredWithinServiceLevel: this.#withinLevel,
      averageWaitSeconds: this.#answered === 0 ? 0 : round(this.#waitTotal / this.#answered),
      longestWaitSeconds: round(this.#longestWait),
      averageTalkSeconds: this.#completed === 0 ? 0 : round(this.#talkTotal / this.#completed),
      serviceLevelPercent: levelBase === 0 ? null : round((100 * this.#withinLevel) / levelBase),
      holdtimeSeconds: round(this.#holdtime),
    };
  }

  agent(extension: string): AgentFigures {
    return { ...(this.#agents.get(extension) ?? emptyAgent()) };
  }

  #agent(extension: string): AgentFigures {
    let figures = this.#agents.get(extension);
    if (figures === undefined) {
      figures = emptyAgent();
      this.#agents.set(extension, figures);
    }
    return figures;
  }
}

function emptyAgent(): AgentFigures {
  return { answered: 0, missed: 0, talkSeconds: 0, lastCallEndedAt: null };
}

function numberOf(value: string | number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
