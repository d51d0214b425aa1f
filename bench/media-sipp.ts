// One SIPp process for the media bench (bench/media-bench.ts): like bench/sipp/sipp-run.ts, plus
// what media needs: the media address and port (-mi, -mp), RTP echo (-rtp_echo) and SIPp's
// screen file, whose RTP counters the bench reads while SIPp runs (SIGUSR2 makes SIPp append its
// screens to it): "Total RTP pckts sent" (rtp_stream, UAC) and "Total echo RTP pckts 1st stream"
// (-rtp_echo, UAS). SIPp 3.6 writes those counters in no statistics file, and its final screen
// (at exit) leaves them out.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIPP_BUFFER_BYTES, SIPP_DIR, callArgs, outcomeOf, type SippOutcome, type SippRunOptions } from './sipp/sipp-run.ts';

/** SippRunOptions, plus media; `dir` is also SIPp's working folder (rtp_stream files are looked up there). */
export interface MediaSippOptions extends SippRunOptions {
  /** -mp: the media port (RTP echo port for a UAS, rtp_stream's port for a UAC); -mi is 127.0.0.1. */
  mediaPort?: number;
  /** -rtp_echo: echo every RTP packet received on the media port to its sender. */
  rtpEcho?: boolean;
}

/** RTP counters of SIPp's screen, cumulative since SIPp started. */
export interface SippRtpCounters {
  /** rtp_stream packets sent (UAC). */
  streamSent: number | undefined;
  /** -rtp_echo packets echoed, first stream (UAS). */
  echoed: number | undefined;
  /** When the screen was dumped (ms since epoch, the bench's clock). */
  at: number;
}

export interface MediaSippProcess {
  pid: number;
  done: Promise<SippOutcome>;
  /** Asks SIPp for its screen (SIGUSR2) and reads its RTP counters; undefined if they could not be read within 2 s. */
  rtpCounters(): Promise<SippRtpCounters | undefined>;
  /** SIGTERM (SIPp writes its final statistics), SIGKILL 3 s later if it is still there. */
  stop(): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const SCREEN_HEADER = /-+ Scenario Screen -+/;
const STREAM_SENT = /(\d+) Total RTP pckts sent\s+[\d.]+ kB\/s RTP OUT/;
const ECHOED = /(\d+) Total echo RTP pckts 1st stream/;

/** The RTP counters of one screen dump; undefined while the dump is not (completely) written. */
function rtpCountersOf(block: string, at: number): SippRtpCounters | undefined {
  const sent = STREAM_SENT.exec(block);
  const echoed = ECHOED.exec(block);
  if (sent === null && echoed === null) return undefined;
  return { streamSent: sent === null ? undefined : Number(sent[1]), echoed: echoed === null ? undefined : Number(echoed[1]), at };
}

export function runMediaSipp(o: MediaSippOptions): MediaSippProcess {
  const statFile = join(o.dir, `${o.name}.stat.csv`);
  const errorFile = join(o.dir, `${o.name}.errors.log`);
  const screenFile = join(o.dir, `${o.name}.screen.log`);
  const args = [
    '-sf', join(SIPP_DIR, o.scenario),
    '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', String(o.localPort), '-t', 'u1',
    '-buff_size', String(SIPP_BUFFER_BYTES),
    '-nostdin',
    '-trace_stat', '-stf', statFile, '-fd', '1',
    '-trace_err', '-error_file', errorFile,
    '-trace_screen', '-screen_file', screenFile,
    '-timeout', `${o.timeoutS}s`,
  ];
  if (o.mediaPort !== undefined) args.push('-mp', String(o.mediaPort));
  if (o.rtpEcho === true) args.push('-rtp_echo');
  args.push(...callArgs(o));

  const startedAt = Date.now();
  const child = spawn('sipp', args, { cwd: o.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error('sipp did not start (is it installed? Debian: sip-tester)');
  const pid = child.pid;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const done = outcomeOf(child, o.timeoutS, statFile, errorFile, startedAt);
  let dumpsRequested = 0;
  const requestDump = () => {
    dumpsRequested++;
    child.kill('SIGUSR2');
  };

  return {
    pid,
    done,
    rtpCounters: async () => {
      if (!alive()) return undefined;
      // SIPp writes its screen file through a stdio buffer (4 kB) and flushes it only when full:
      // the dump asked for is read once later dumps have pushed it out. Each SIGUSR2 appends one
      // dump, each starting with the "Scenario Screen" header, so dump n is block n of the file.
      const index = dumpsRequested;
      const at = Date.now();
      requestDump();
      for (let i = 0; i < 20 && alive(); i++) {
        await sleep(100);
        const block = existsSync(screenFile) ? readFileSync(screenFile, 'utf8').split(SCREEN_HEADER)[index + 1] : undefined;
        const counters = block === undefined ? undefined : rtpCountersOf(block, at);
        if (counters !== undefined) return counters;
        requestDump();
      }
      return undefined;
    },
    stop: () => {
      if (!alive()) return;
      child.kill('SIGTERM');
      setTimeout(() => {
        if (alive()) child.kill('SIGKILL');
      }, 3000).unref();
    },
  };
}
