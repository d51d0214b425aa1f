// RFC 3261 §17.1.1.1 / Table 4 timer values, with RFC 6026 Timers L and M. Only T1, T2 and T4
// are settings; every other timer derives from them so that one change keeps them consistent.

import { TransactionError } from './transaction-errors.ts';

export interface TimerConfig {
  /** RTT estimate, ms (RFC 3261 default 500). */
  T1: number;
  /** Longest retransmit interval for non-INVITE requests and INVITE responses, ms (default 4000). */
  T2: number;
  /** Longest time a message stays in the network, ms (default 5000). */
  T4: number;
}

export const DEFAULT_TIMER_CONFIG: Readonly<TimerConfig> = Object.freeze({ T1: 500, T2: 4_000, T4: 5_000 });

/** Merges overrides with the defaults; throws TRANSACTION_INVALID_OPTION naming the bad value. */
export function resolveTimerConfig(overrides: Partial<TimerConfig> = {}): TimerConfig {
  const config: TimerConfig = {
    T1: overrides.T1 ?? DEFAULT_TIMER_CONFIG.T1,
    T2: overrides.T2 ?? DEFAULT_TIMER_CONFIG.T2,
    T4: overrides.T4 ?? DEFAULT_TIMER_CONFIG.T4,
  };
  for (const name of ['T1', 'T2', 'T4'] as const) {
    const value = config[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TransactionError('TRANSACTION_INVALID_OPTION', `timers.${name} must be a positive number of milliseconds; got ${String(value)}`);
    }
  }
  if (config.T2 < config.T1) {
    throw new TransactionError(
      'TRANSACTION_INVALID_OPTION',
      `timers.T2 (${config.T2}) must be at least timers.T1 (${config.T1}): T2 caps intervals that start at T1; raise T2 too`,
    );
  }
  return config;
}

/** Timer durations for one transaction, in ms. `undefined`: the timer is not used on this transport. */
export interface TransactionTimers {
  readonly T1: number;
  readonly T2: number;
  readonly T4: number;
  /** ICT INVITE retransmit, first interval (doubles each time). */
  readonly A: number | undefined;
  /** ICT timeout. */
  readonly B: number;
  /** ICT wait time for response retransmissions in Completed. */
  readonly D: number;
  /** NICT request retransmit, first interval (doubles, capped at T2). */
  readonly E: number | undefined;
  /** NICT timeout. */
  readonly F: number;
  /** IST response retransmit, first interval (doubles, capped at T2). */
  readonly G: number | undefined;
  /** IST wait time for the ACK. */
  readonly H: number;
  /** IST wait time for ACK retransmissions in Confirmed. */
  readonly I: number;
  /** NIST wait time for request retransmissions in Completed. */
  readonly J: number;
  /** NICT wait time for response retransmissions in Completed. */
  readonly K: number;
  /** RFC 6026: IST wait time in Accepted. */
  readonly L: number;
  /** RFC 6026: ICT wait time in Accepted. */
  readonly M: number;
}

export function transactionTimers(config: TimerConfig, reliable: boolean): TransactionTimers {
  const { T1, T2, T4 } = config;
  const timeout = 64 * T1;
  return {
    T1, T2, T4,
    // §17.1.1.2, §17.1.2.2, §17.2.1: retransmission timers A, E, G run over unreliable transports only.
    A: reliable ? undefined : T1,
    B: timeout,
    // §17.1.1.2: "at least 32 seconds for unreliable transports, and a value of zero seconds for reliable
    // transports"; never shorter than the server's 64*T1 retransmission window when T1 is raised.
    D: reliable ? 0 : Math.max(32_000, timeout),
    E: reliable ? undefined : T1,
    F: timeout,
    G: reliable ? undefined : T1,
    H: timeout,
    // §17.2.1: "T4 for unreliable transports, and zero seconds for reliable transports".
    I: reliable ? 0 : T4,
    // §17.2.2: "64*T1 seconds for unreliable transports, and zero seconds for reliable transports".
    J: reliable ? 0 : timeout,
    // §17.1.2.2: "T4 seconds for unreliable transports, and zero seconds for reliable transports".
    K: reliable ? 0 : T4,
    L: timeout,
    M: timeout,
  };
}
