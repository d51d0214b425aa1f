// One SIPp process for the ipbx bench: a scenario of this folder, bounded in calls and in time,
// with its statistics file (-trace_stat) read back at the end. The bench reads SIPp's CPU time
// itself (procfs), from the PID given here.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIPP_DIR = fileURLToPath(new URL('./', import.meta.url));

/** Socket buffers asked of SIPp (the kernel caps them at net.core.rmem_max / wmem_max). */
export const SIPP_BUFFER_BYTES = 4 * 1024 * 1024;

export interface SippRunOptions {
  /** Scenario file name in bench/sipp/. */
  scenario: string;
  /** Folder for the stats, error log and injection file. */
  dir: string;
  /** A name for the files of this run in `dir`. */
  name: string;
  localPort: number;
  /** `host:port` of the server; omitted for a UAS. */
  remote?: string;
  /** -m: calls to process before exiting; omitted: run until stopped or timed out (UAS). */
  calls?: number;
  /** -r (calls per second); the closed loop is set by `limit`. */
  rate?: number;
  /** -l: simultaneous calls. */
  limit?: number;
  /** -inf rows, SEQUENTIAL. */
  fields?: string[][];
  /** -key name value. */
  keys?: Record<string, string>;
  /** -s: the Request-URI user. */
  service?: string;
  /** -d: the scenario's <pause/> in ms. */
  pauseMs?: number;
  /** -default_behaviors. */
  defaultBehaviors?: string;
  /** SIPp's global -timeout (s); the process is killed 5 s later if still there. */
  timeoutS: number;
}

/** The arguments shared by every SIPp run of the benches: load, scenario inputs, the peer (last). */
export function callArgs(o: SippRunOptions): string[] {
  const args: string[] = [];
  if (o.calls !== undefined) args.push('-m', String(o.calls));
  if (o.rate !== undefined) args.push('-r', String(o.rate), '-rp', '1000');
  if (o.limit !== undefined) args.push('-l', String(o.limit));
  if (o.service !== undefined) args.push('-s', o.service);
  if (o.pauseMs !== undefined) args.push('-d', String(o.pauseMs));
  if (o.defaultBehaviors !== undefined) args.push('-default_behaviors', o.defaultBehaviors);
  for (const [key, value] of Object.entries(o.keys ?? {})) args.push('-key', key, value);
  if (o.fields !== undefined) {
    const file = join(o.dir, `${o.name}.fields.csv`);
    writeFileSync(file, 'SEQUENTIAL\n' + o.fields.map((row) => row.join(';') + ';').join('\n') + '\n');
    args.push('-inf', file);
  }
  if (o.remote !== undefined) args.push(o.remote);
  return args;
}

/**
 * What a SIPp process ends with: its statistics, its significant errors and the start of its
 * stderr; killed 5 s after its own -timeout if it is still there.
 */
export function outcomeOf(child: ChildProcessByStdio<null, null, Readable>, timeoutS: number, statFile: string, errorFile: string, startedAt: number): Promise<SippOutcome> {
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  const killTimer = setTimeout(() => child.kill('SIGKILL'), (timeoutS + 5) * 1000);
  return new Promise<SippOutcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      resolve({
        code, signal,
        stats: existsSync(statFile) ? parseStats(readFileSync(statFile, 'utf8')) : undefined,
        errors: existsSync(errorFile) ? significantErrors(readFileSync(errorFile, 'utf8')).slice(0, 4000) : '',
        stderr,
        wallMs: Date.now() - startedAt,
      });
    });
  });
}

export interface SippStats {
  created: number;
  successful: number;
  failed: number;
  /** The non-zero Failed… counters (FailedUnexpectedMessage, FailedMaxUDPRetrans…). */
  failedBy: Record<string, number>;
  retransmissions: number;
  /** Messages SIPp received for calls it had already ended (late answers, retransmissions). */
  deadCallMsgs: number;
  outOfCallMsgs: number;
  /** SIPp's StartTime and the time of its last statistics dump, epoch seconds (µs resolution). */
  startEpoch: number;
  endEpoch: number;
  /** ResponseTime1(C): mean time to the scenario's rtd="true" answer, ms (undefined when absent). */
  responseTimeMs: number | undefined;
}

export interface SippOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stats: SippStats | undefined;
  /** The start of SIPp's error log (-trace_err). */
  errors: string;
  stderr: string;
  wallMs: number;
}

export interface SippProcess {
  pid: number;
  done: Promise<SippOutcome>;
  /** SIGTERM (SIPp writes its final statistics), SIGKILL 3 s later if it is still there. */
  stop(): void;
}

export function runSipp(o: SippRunOptions): SippProcess {
  const statFile = join(o.dir, `${o.name}.stat.csv`);
  const errorFile = join(o.dir, `${o.name}.errors.log`);
  const args = [
    '-sf', join(SIPP_DIR, o.scenario),
    '-i', '127.0.0.1', '-p', String(o.localPort), '-t', 'u1',
    '-buff_size', String(SIPP_BUFFER_BYTES),
    '-nostdin',
    '-trace_stat', '-stf', statFile, '-fd', '1',
    '-trace_err', '-error_file', errorFile,
    '-timeout', `${o.timeoutS}s`,
  ];
  args.push(...callArgs(o));

  const startedAt = Date.now();
  // SIPp's screen (stdout) is not read: the statistics file has the figures.
  const child = spawn('sipp', args, { cwd: o.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error('sipp did not start (is it installed? Debian: sip-tester)');
  const pid = child.pid;
  const done = outcomeOf(child, o.timeoutS, statFile, errorFile, startedAt);
  return {
    pid,
    done,
    stop: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, 3000).unref();
    },
  };
}

/**
 * SIPp's error log without the expected events: call-uac.xml ends every call on a receive
 * timeout ("receive timeout on message …, jumping to label"), which SIPp logs as a warning.
 */
export function significantErrors(log: string): string {
  return log.split(/(?=\d{4}-\d\d-\d\d\t\d\d:)/).filter((e) => !e.includes(', jumping to label')).join('');
}

/** The last line of a -trace_stat file (cumulative counters), by column name. */
export function parseStats(text: string): SippStats | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]?.split(';');
  const last = lines.at(-1)?.split(';');
  if (header === undefined || last === undefined || lines.length < 2) return undefined;
  const column = (name: string): string | undefined => {
    const at = header.indexOf(name);
    return at === -1 ? undefined : last[at];
  };
  const count = (name: string): number => Number(column(name) ?? 0);
  // Dates are written "YYYY-MM-DD<TAB>HH:MM:SS.uuuuuu<TAB>epoch.uuuuuu".
  const epoch = (name: string): number => Number(column(name)?.split('\t').at(-1) ?? Number.NaN);
  const failedBy: Record<string, number> = {};
  header.forEach((name, i) => {
    if (name.startsWith('Failed') && name.endsWith('(C)') && name !== 'FailedCall(C)') {
      const n = Number(last[i] ?? 0);
      if (n > 0) failedBy[name.slice(0, -3)] = n;
    }
  });
  return {
    created: count('TotalCallCreated') || count('IncomingCall(C)') + count('OutgoingCall(C)'),
    successful: count('SuccessfulCall(C)'),
    failed: count('FailedCall(C)'),
    failedBy,
    retransmissions: count('Retransmissions(C)'),
    deadCallMsgs: count('DeadCallMsgs(C)'),
    outOfCallMsgs: count('OutOfCallMsgs(C)'),
    startEpoch: epoch('StartTime'),
    endEpoch: epoch('CurrentTime'),
    responseTimeMs: duration(column('ResponseTime1(C)')),
  };
}

/** SIPp's "HH:MM:SS:uuuuuu" durations (the last group is microseconds) in ms. */
function duration(text: string | undefined): number | undefined {
  const m = /^(\d+):(\d+):(\d+):(\d+)$/.exec(text ?? '');
  if (m === null) return undefined;
  const [h, min, s, us] = m.slice(1).map(Number) as [number, number, number, number];
  return ((h * 60 + min) * 60 + s) * 1000 + us / 1000;
}

/** SIPp's version line, e.g. "SIPp v3.6.1-SCTP-PCAP-RTPSTREAM". */
export function sippVersion(): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('sipp', ['-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', () => resolve('not installed'));
    child.on('close', () => resolve(/SIPp v\S+/.exec(out)?.[0] ?? out.trim().split('\n')[0] ?? 'unknown'));
  });
}
