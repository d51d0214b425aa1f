// Which members an attempt rings, per strategy (the names and meanings of Asterisk's app_queue).
// Each waiting caller works through "rounds": a member rung for it in this round is not rung again
// until every available member has been, so a member who does not answer hands the caller on to
// the next one (linear goes down the list, leastrecent to the next least recent…) instead of
// being picked again by the same metric.

import type { QueueStrategy } from '../config/config-schema.ts';

export interface MemberCandidate {
  extension: string;
  /** When its last queue call ended (epoch ms); null: none yet today. */
  lastCallEndedAt: number | null;
  /** Queue calls it answered today. */
  answered: number;
}

export interface PickContext {
  /** Members already rung for this caller in its current round. */
  tried: ReadonlySet<string>;
  /** The member the queue's last rrmemory call went to. */
  lastRoundRobin: string | undefined;
  /** The queue's members in configured order (static first, then dynamic agents by login). */
  order: readonly string[];
  random: () => number;
}

export interface Pick {
  members: string[];
  /** The caller's round started over (everyone available had been tried). */
  newRound: boolean;
}

/** `available`: members that may ring now, in the queue's member order. */
export function pickMembers(strategy: QueueStrategy, available: readonly MemberCandidate[], ctx: PickContext): Pick {
  if (available.length === 0) return { members: [], newRound: false };
  if (strategy === 'ringall') return { members: available.map((m) => m.extension), newRound: false };
  let pool = available.filter((m) => !ctx.tried.has(m.extension));
  const newRound = pool.length === 0;
  if (newRound) pool = [...available];
  const chosen = choose(strategy, pool, ctx);
  return { members: chosen === undefined ? [] : [chosen.extension], newRound };
}

function choose(strategy: Exclude<QueueStrategy, 'ringall'>, pool: MemberCandidate[], ctx: PickContext): MemberCandidate | undefined {
  switch (strategy) {
    case 'linear':
      return pool[0];
    case 'rrmemory': {
      const last = ctx.lastRoundRobin === undefined ? -1 : ctx.order.indexOf(ctx.lastRoundRobin);
      const rank = (m: MemberCandidate) => {
        const i = ctx.order.indexOf(m.extension);
        // Members after the last one called come first, then the list wraps round.
        return i > last ? i - last : i - last + ctx.order.length;
      };
      return minBy(pool, rank);
    }
    case 'leastrecent':
      return minBy(pool, (m) => m.lastCallEndedAt ?? -1);
    case 'fewestcalls':
      return minBy(pool, (m) => m.answered);
    case 'random':
      return pool[Math.min(pool.length - 1, Math.floor(ctx.random() * pool.length))];
  }
}

/** The first member with the lowest key (ties keep member order). */
function minBy(pool: MemberCandidate[], key: (m: MemberCandidate) => number): MemberCandidate | undefined {
  let best: MemberCandidate | undefined;
  let bestKey = Infinity;
  for (const m of pool) {
    const k = key(m);
    if (k < bestKey) {
      best = m;
      bestKey = k;
    }
  }
  return best;
}
