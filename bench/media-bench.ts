// Concurrent bridged calls with RTP through voiplab, media mode rtpengine against media mode
// passthrough, in one run: CPU and memory per call of the IPBX and of the rtpengine it embeds.
//
// Three IPBXs run side by side, each `voiplab serve` in a child process (bench/ipbx-server.ts):
//   passthrough  media.mode passthrough: SDP relayed, RTP straight between the SIPp parties (the
//                reference: what the IPBX costs without media);
//   rtpengine    media.mode rtpengine: every call's SDP goes through the rtpengine the IPBX starts
//                itself, RTP through that rtpengine (PCMU both ways, relayed);
//   transcode    the same with a PCMA-only callee: rtpengine decodes and re-encodes every packet
//                (PCMU ↔ PCMA), the expensive path. It stands in for WebRTC (SAVPF) legs, which
//                SIPp cannot set up: it has no ICE and no DTLS-SRTP.
// A SIPp UAS answers as the callee (3000) and echoes every RTP packet to its sender (-rtp_echo);
// a SIPp UAC (bench/sipp/media-uac.xml) places N calls (digest auth, 407 first), each sending a
// 20 ms PCMU packet every 20 ms for the whole call (rtp_stream), holds them `holdS`, then BYE.
//
// Before the steps, each IPBX gets `warmupCalls` short calls (not measured), then
// `signallingCalls` short calls in two rounds alternating between the IPBXs: their CPU per call is
// what setting a call up and tearing it down costs (too few calls in a step for 10 ms ticks). Then,
// while those calls' transactions expire, the CPU each process uses with no call at all.
//
// For each concurrency level N, each case in turn (so that a change in the machine's load lands on
// all of them): memory before; the N calls ramp up at `callRate`; once all are up, a steady window
// (from 2 s after the last call started to 1 s before the first BYE) is measured: CPU time
// (utime + stime, /proc/PID/stat) of the IPBX, of its rtpengine, of SIPp and of the rest of the
// machine; RSS (/proc/PID/status) of the IPBX and rtpengine and the IPBX's V8 heap after a full GC;
// RTP packet counters from rtpengine (ng `list` + `query`, per call and per side) and from SIPp
// (packets the UAC sent, packets the UAS echoed). CPU over the whole step (set-up, hold, teardown)
// gives the IPBX's CPU per call. Every process is started here and ended by its PID; every SIPp run
// and every wait is bounded in time.

import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { NgDictionary, NgValue } from '../ipbx/media/media-control.ts';
import { NgClient } from '../ipbx/media/ng/ng-client.ts';
import { freePort } from '../test/helpers/sipp.ts';
import { DOMAIN, passwordOf } from './ipbx-bench.ts';
import { runMediaSipp, type MediaSippProcess, type SippRtpCounters } from './media-sipp.ts';
import { sippVersion, type SippOutcome } from './sipp/sipp-run.ts';
import { waitExit } from './child-exit.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SERVER_ENTRY = fileURLToPath(new URL('./ipbx-server.ts', import.meta.url));
const RTPENGINE_BIN = '/usr/bin/rtpengine';
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const CALLEE = '3000';
const CALLER_BASE = 100_000;
/** rtp_stream's file, written in SIPp's working folder: 1 s of a 440 Hz tone in G.711 µ-law. */
const TONE_FILE = 'media-tone.ulaw';
/** 20 ms packets: 50 per second per direction. */
const PACKETS_PER_SECOND = 50;
/** rtpengine port windows (even RTP, odd RTCP; 4 ports a call), above the test harness's 20000-29999 and below the ephemeral range. */
const PORT_WINDOWS: Record<'rtpengine' | 'transcode', { portMin: number; portMax: number }> = {
  rtpengine: { portMin: 30_000, portMax: 30_999 },
  transcode: { portMin: 31_000, portMax: 31_999 },
};
/** Calls in flight during the warm-up and the signalling runs, at most (and at most the lowest level). */
const WARMUP_CONCURRENCY = 5;
/** Length of the warm-up's and signalling runs' calls (RTP included), ms. */
const SHORT_CALL_MS = 250;
/** Where SIPp's media ports are picked (each needs its port and port + 2). */
const SIPP_MEDIA_PORTS = { min: 32_100, max: 32_700 };

export type MediaCase = 'passthrough' | 'rtpengine' | 'transcode';
const CASES: readonly MediaCase[] = ['passthrough', 'rtpengine', 'transcode'];

export interface MediaBenchOptions {
  /** Concurrent calls, step by step. */
  levels: number[];
  cases: MediaCase[];
  /** How long each call lasts after its ACK (SIPp -d), s. */
  holdS: number;
  /** Calls started per second while a step ramps up (SIPp -r). */
  callRate: number;
  /**
   * Calls through each IPBX before the steps (not measured; JIT, rtpengine's first sessions):
   * SHORT_CALL_MS each, at most WARMUP_CONCURRENCY at a time, so that rtpengine's memory peak
   * stays below the first level.
   */
  warmupCalls: number;
  /**
   * Short calls (SHORT_CALL_MS, RTP included) through each IPBX, in two rounds alternating between
   * the IPBXs, to measure what set-up and teardown cost: the IPBX's CPU per call.
   */
  signallingCalls: number;
  /**
   * Least time between two steps of one IPBX: it keeps completed transactions 32 s (RFC 3261
   * Timer J, RFC 6026 Timer L), which must not be in the next step's memory figures.
   */
  settleMs: number;
  /** Upper bound of the whole bench; steps that would not fit are skipped. */
  budgetMs: number;
}

export const DEFAULT_MEDIA_BENCH_OPTIONS: Readonly<MediaBenchOptions> = Object.freeze({
  levels: [10, 25, 50],
  cases: [...CASES],
  holdS: 20,
  callRate: 25,
  warmupCalls: 60,
  signallingCalls: 160,
  settleMs: 34_000,
  budgetMs: 420_000,
});

// ---------------------------------------------------------------------------------------------
// procfs

/** /proc reports times in USER_HZ clock ticks, 100 per second on Linux. */
const TICKS_PER_SECOND = 100;

function procStatFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces; fields start after the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of one process (all its threads), s; 0 when it is gone. */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const f = procStatFields(pid);
  return f === undefined ? 0 : (Number(f[11] ?? 0) + Number(f[12] ?? 0)) / TICKS_PER_SECOND;
}

/** cutime + cstime of this process: the CPU time of its children that have exited, s. */
function reapedChildrenCpu(): number {
  const f = procStatFields(process.pid);
  return f === undefined ? 0 : (Number(f[13] ?? 0) + Number(f[14] ?? 0)) / TICKS_PER_SECOND;
}

/** Busy time of the whole machine (all cores), s. */
function machineBusy(): number {
  const f = (/^cpu\s+(.*)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '').split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

function benchCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function rssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The child of `parent` named `comm`. */
function childNamed(parent: number, comm: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (procStatFields(pid)?.[1] === String(parent) && commOf(pid) === comm) return pid;
  }
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const tail = (text: string, max = 3000): string => (text.length > max ? text.slice(-max) : text);

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** A UDP port on 127.0.0.1 picked by the kernel (for rtpengine's ng listener). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** An even port of SIPP_MEDIA_PORTS free along with port + 2 (SIPp binds both), not in `taken`. */
async function freeMediaPort(taken: readonly number[]): Promise<number> {
  const slots = Math.floor((SIPP_MEDIA_PORTS.max - SIPP_MEDIA_PORTS.min) / 4);
  const start = Math.floor(Math.random() * slots);
  for (let i = 0; i < slots; i++) {
    const port = SIPP_MEDIA_PORTS.min + 4 * ((start + i) % slots);
    if (taken.some((t) => Math.abs(t - port) < 4)) continue;
    if (await bindable(port) && await bindable(port + 2)) return port;
  }
  throw new Error(`no free media port pair in ${SIPP_MEDIA_PORTS.min}-${SIPP_MEDIA_PORTS.max}`);
}

/** G.711 µ-law of one 16-bit sample (ITU-T G.711, with the usual 0x84 bias). */
function muLaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(sample), 32_635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  magnitude = ~(sign | (exponent << 4) | mantissa);
  return magnitude & 0xff;
}

function writeTone(dir: string): void {
  const samples = Buffer.alloc(8000);
  for (let i = 0; i < samples.length; i++) samples[i] = muLaw(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  writeFileSync(join(dir, TONE_FILE), samples);
}

function versionOf(bin: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 5_000 }, (err, stdout, stderr) => {
      const text = `${stdout}${stderr}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
      resolve(err === null ? text : undefined);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The IPBXs

interface MemoryReading {
  ipbxRssKb: number | undefined;
  /** V8 heap in use after a full GC. */
  ipbxHeapUsedKb: number | undefined;
  rtpengineRssKb?: number | undefined;
}

interface Server {
  name: MediaCase;
  pid: number;
  sipPort: number;
  httpPort: number;
  rtpenginePid: number | undefined;
  ng: NgClient | undefined;
  startupMs: number;
  /** Performance clock of the end of its last SIPp run (its transactions settle from then). */
  lastRunEnd: number;
  /** Most calls it has carried at once so far (rtpengine and malloc keep the memory of a peak for later calls). */
  peakCalls: number;
  memory(): Promise<MemoryReading>;
  activeCalls(): Promise<number | undefined>;
  stop(): Promise<void>;
  log(): string;
  describe(): Record<string, unknown>;
}

async function startServer(dir: string, name: MediaCase, callers: number): Promise<Server> {
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'voiplab.yaml');
  const ngPort = name === 'passthrough' ? undefined : await freeUdpPort();
  const media = name === 'passthrough'
    ? { mode: 'passthrough' }
    : { mode: 'rtpengine', rtpengine: { binary: RTPENGINE_BIN, address: '127.0.0.1', ...PORT_WINDOWS[name], ngPort } };
  const users = [CALLEE, ...Array.from({ length: callers }, (_, i) => String(CALLER_BASE + i))];
  writeFileSync(configFile, stringify({
    domain: DOMAIN,
    sip: { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] },
    http: { listeners: [{ protocol: 'http', address: '127.0.0.1', port: 0 }] },
    accounts: users.map((user) => ({ extension: user, password: passwordOf(user), displayName: '' })),
    dialplan: [{ match: CALLEE, action: { type: 'account' } }],
    security: {
      adminToken: ADMIN_TOKEN,
      // Every SIPp request comes from 127.0.0.1; the default 50/s per source would throttle the ramp.
      rateLimit: { requestsPerSecond: 1_000_000, burst: 1_000_000 },
    },
    media,
  }), { mode: 0o600 });

  const started = performance.now();
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', SERVER_ENTRY, configFile, join(dir, 'data')], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start bench/ipbx-server.ts`);
  const pid = child.pid;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = tail(stderr + d.toString(), 8000); });
  const stop = async (): Promise<void> => {
    if (child.connected) child.send({ cmd: 'stop' });
    if (!(await waitExit(child, 10_000))) {
      child.kill('SIGKILL');
      await waitExit(child, 2_000);
    }
  };

  try {
    const ready = await new Promise<{ sip: Array<{ protocol: string; port: number }>; http: Array<{ port: number }>; startupMs: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: the IPBX did not start in 60 s\n${tail(stderr)}`)), 60_000);
      child.on('message', (m: { event?: string }) => {
        if (m.event !== 'ready') return;
        clearTimeout(timer);
        resolve(m as never);
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name}: the IPBX exited (${code}) before listening\n${tail(stderr)}`)); });
    });
    const sipPort = ready.sip.find((e) => e.protocol === 'udp')?.port;
    const httpPort = ready.http[0]?.port;
    if (sipPort === undefined || httpPort === undefined) throw new Error(`${name}: no UDP or HTTP listener`);
    const rtpenginePid = ngPort === undefined ? undefined : childNamed(pid, 'rtpengine');
    if (ngPort !== undefined && rtpenginePid === undefined) throw new Error(`${name}: the IPBX runs no rtpengine child\n${tail(stderr)}`);
    const ng = ngPort === undefined ? undefined : new NgClient({ address: '127.0.0.1', port: ngPort, timeoutMs: 1_000, retries: 1 });

    const request = <T>(message: object, reply: string, timeoutMs = 20_000): Promise<T> => new Promise((resolve, reject) => {
      const onMessage = (m: { reply?: string }) => {
        if (m.reply !== reply) return;
        cleanup();
        resolve(m as T);
      };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`${name}: no ${reply} in ${timeoutMs} ms`)); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); child.off('message', onMessage); };
      child.on('message', onMessage);
      child.send(message);
    });

    return {
      name, pid, sipPort, httpPort, rtpenginePid, ng,
      startupMs: Math.round(performance.now() - started),
      lastRunEnd: performance.now(),
      peakCalls: 0,
      memory: async () => {
        const heap = await request<{ heapUsed: number }>({ cmd: 'memory' }, 'memory');
        return {
          ipbxRssKb: rssKb(pid),
          ipbxHeapUsedKb: Math.round(heap.heapUsed / 1024),
          ...(rtpenginePid === undefined ? {} : { rtpengineRssKb: rssKb(rtpenginePid) }),
        };
      },
      activeCalls: async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(5_000) });
          const m = /^voiplab_calls_active (\d+)/m.exec(await res.text());
          return m === null ? undefined : Number(m[1]);
        } catch {
          return undefined;
        }
      },
      stop: async () => {
        await ng?.close();
        await stop();
        // The IPBX stops its rtpengine; if it was killed instead, its rtpengine is ended here.
        if (rtpenginePid !== undefined && commOf(rtpenginePid) === 'rtpengine') {
          try {
            process.kill(rtpenginePid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      },
      log: () => stderr,
      describe: () => ({
        process: 'node --expose-gc --import tsx bench/ipbx-server.ts (startIpbx, as voiplab serve)',
        pid, rtpenginePid, media: name === 'passthrough' ? media : { ...media, embedded: true, userspace: 'rtpengine --table=-1 (no kernel module)' },
        startupInsideMs: ready.startupMs,
      }),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// rtpengine's view of the calls (ng list + query)

interface CallFlow {
  /** RTP packets rtpengine received from the caller (UAC) and from the callee (UAS echo). */
  fromCaller: number;
  fromCallee: number;
  errors: number;
  callerCodec: string | undefined;
  calleeCodec: string | undefined;
  transcoding: boolean;
}

interface NgSnapshot {
  at: number;
  calls: Map<string, CallFlow>;
}

const dict = (v: NgValue | undefined): NgDictionary | undefined =>
  v !== undefined && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) ? v : undefined;
const list = (v: NgValue | undefined): NgValue[] => (Array.isArray(v) ? v : []);
const text = (v: NgValue | undefined): string | undefined => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined);
const num = (v: NgValue | undefined): number => (typeof v === 'number' ? v : 0);

/** Packets per side of one call, telling the sides apart by the SIPp media port rtpengine sends to. */
function callFlow(reply: NgDictionary, uacMediaPort: number, uasMediaPort: number): CallFlow {
  const flow: CallFlow = { fromCaller: 0, fromCallee: 0, errors: 0, callerCodec: undefined, calleeCodec: undefined, transcoding: false };
  for (const tag of Object.values(dict(reply['tags']) ?? {})) {
    for (const mediaValue of list(dict(tag)?.['medias'])) {
      const media = dict(mediaValue);
      if (media === undefined) continue;
      if (list(media['flags']).some((f) => text(f) === 'transcoding')) flow.transcoding = true;
      for (const streamValue of list(media['streams'])) {
        const stream = dict(streamValue);
        if (stream === undefined || !list(stream['flags']).some((f) => text(f) === 'RTP')) continue;
        const port = num(dict(stream['endpoint'])?.['port']);
        const stats = dict(stream['stats']);
        flow.errors += num(stats?.['errors']);
        if (port === uacMediaPort) {
          flow.fromCaller += num(stats?.['packets']);
          flow.callerCodec = text(media['codec']);
        } else if (port === uasMediaPort) {
          flow.fromCallee += num(stats?.['packets']);
          flow.calleeCodec = text(media['codec']);
        }
      }
    }
  }
  return flow;
}

async function ngSnapshot(ng: NgClient, uacMediaPort: number, uasMediaPort: number): Promise<NgSnapshot> {
  const at = performance.now();
  const ids = list((await ng.command('list', { limit: 10_000 }))['calls']).map(text).filter((id): id is string => id !== undefined);
  const calls = new Map<string, CallFlow>();
  for (const id of ids) {
    try {
      calls.set(id, callFlow(await ng.command('query', { 'call-id': id }), uacMediaPort, uasMediaPort));
    } catch {
      // deleted between list and query
    }
  }
  return { at, calls };
}

async function ngCallCount(ng: NgClient): Promise<number> {
  return list((await ng.command('list', { limit: 10_000 }))['calls']).length;
}

// ---------------------------------------------------------------------------------------------
// Steps

interface Party {
  name: string;
  process: MediaSippProcess;
  sipPort: number;
  mediaPort: number;
}

export interface RtpFlow {
  /** Packets per second expected per direction: concurrency × 50 (20 ms packets). */
  expectedPpsPerDirection: number;
  /** rtp_stream packets the UAC sent, per second over the window (SIPp's screen counters). */
  uacSentPps: number | undefined;
  /** Packets the UAS received and echoed, per second (through rtpengine, or straight from the UAC in passthrough). */
  uasEchoedPps: number | undefined;
  /** rtpengine's counters (not in passthrough): packets it received from each side, per second. */
  rtpengine?: {
    callsSeen: number;
    /** Calls whose packets came in from both sides during the window. */
    callsBothWays: number;
    fromCallerPps: number;
    fromCalleePps: number;
    /** (fromCaller + fromCallee) / (2 × expected). */
    deliveredRatio: number;
    errors: number;
    codecs: { caller: string[]; callee: string[] };
    /** Calls rtpengine flagged as transcoding. */
    transcodingCalls: number;
  };
}

export interface StepResult {
  case: MediaCase;
  concurrency: number;
  calls: { attempted: number; successful: number; failed: number; failedBy: Record<string, number>; retransmissions: number; sippExit: number | string | null };
  /** SIPp's run, s. */
  durationS: number;
  /** The steady window: all calls up, none ended; its start after SIPp's start, and its length, s. */
  window: { startS: number; lengthS: number; activeCallsAtStart: number | undefined; activeCallsAtEnd: number | undefined };
  /** Wall time `cpuS.step` covers: SIPp's start to 1 s after its end, less the bench's readings, s. */
  stepCpuSeconds: number;
  /**
   * CPU seconds. `window`: the steady window; `step`: SIPp start to 1 s after it ended (set-up,
   * hold, teardown), less the bench's own readings (metrics, ng queries, the full GC of the memory
   * reading). `others`: the machine's busy time minus everything listed (the idle IPBXs and their
   * rtpengines are `idleServers`).
   */
  cpuS: { window: Record<string, number>; step: Record<string, number> };
  perCall: {
    /** IPBX CPU per call, set-up to teardown (step CPU / successful calls), ms. */
    ipbxCpuMs: number | undefined;
    /**
     * The same less what the IPBX spent at its steady-window rate over the step's length (its
     * background: timers, GC): what setting the calls up and tearing them down cost, ms.
     */
    ipbxCpuMsSetupTeardown: number | undefined;
    /** IPBX CPU per second of established call (window), ms/s (1 = 0.1 % of a core). */
    ipbxCpuMsPerCallSecond: number | undefined;
    /** rtpengine CPU per second of established call (window), ms/s. */
    rtpengineCpuMsPerCallSecond?: number | undefined;
    /** rtpengine CPU per call, set-up to teardown, ms. */
    rtpengineCpuMs?: number | undefined;
    /**
     * RSS during the calls − RSS before them, per call above the most calls carried at once before
     * (the warm-up's, or the previous level's: RSS is kept after a peak and reused), kB.
     */
    ipbxRssKb: number | undefined;
    /** V8 heap in use after a full GC, during − before, per call in flight, kB. */
    ipbxHeapKb: number | undefined;
    rtpengineRssKb?: number | undefined;
  };
  memory: { before: MemoryReading; during: MemoryReading; after: MemoryReading };
  rtp: RtpFlow;
  notes: string[];
  errors?: string;
}

interface CpuMark {
  at: number;
  values: Record<string, number>;
  machine: number;
  bench: number;
}

function mark(pids: Record<string, number | undefined>): CpuMark {
  return {
    at: performance.now(),
    values: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)])),
    machine: machineBusy(),
    bench: benchCpu(),
  };
}

/**
 * CPU seconds over the intervals (pairs of marks), per process, plus `extra` (measured apart),
 * the bench and the rest of the machine (`others`), and the intervals' length.
 */
function cpuOver(intervals: Array<[CpuMark, CpuMark]>, extra: Record<string, number> = {}): { cpu: Record<string, number>; seconds: number } {
  const out: Record<string, number> = {};
  let machine = 0;
  let seconds = 0;
  out['bench'] = 0;
  for (const [a, b] of intervals) {
    for (const [k, v] of Object.entries(b.values)) {
      if (k in extra) continue;
      out[k] = (out[k] ?? 0) + Math.max(0, v - (a.values[k] ?? 0));
    }
    out['bench'] += b.bench - a.bench;
    machine += b.machine - a.machine;
    seconds += (b.at - a.at) / 1000;
  }
  Object.assign(out, extra);
  const known = Object.values(out).reduce((sum, v) => sum + v, 0);
  out['others'] = Math.max(0, machine - known);
  return { cpu: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, round(v, 2)])), seconds };
}

const between = (a: CpuMark, b: CpuMark): Record<string, number> => cpuOver([[a, b]]).cpu;

const perSecond = (a: number | undefined, b: number | undefined, seconds: number): number | undefined =>
  a === undefined || b === undefined || seconds <= 0 ? undefined : round((b - a) / seconds, 1);

function rtpFlow(n: number, windowS: number, uac: [SippRtpCounters | undefined, SippRtpCounters | undefined], uas: [SippRtpCounters | undefined, SippRtpCounters | undefined], ng: [NgSnapshot, NgSnapshot] | undefined): RtpFlow {
  const seconds = (x: [SippRtpCounters | undefined, SippRtpCounters | undefined]) => (x[0] === undefined || x[1] === undefined ? windowS : (x[1].at - x[0].at) / 1000);
  const flow: RtpFlow = {
    expectedPpsPerDirection: n * PACKETS_PER_SECOND,
    uacSentPps: perSecond(uac[0]?.streamSent, uac[1]?.streamSent, seconds(uac)),
    uasEchoedPps: perSecond(uas[0]?.echoed, uas[1]?.echoed, seconds(uas)),
  };
  if (ng !== undefined) {
    const [a, b] = ng;
    const s = (b.at - a.at) / 1000;
    let fromCaller = 0;
    let fromCallee = 0;
    let both = 0;
    let errors = 0;
    let transcoding = 0;
    const callerCodecs = new Set<string>();
    const calleeCodecs = new Set<string>();
    for (const [id, end] of b.calls) {
      const start = a.calls.get(id);
      if (end.callerCodec !== undefined) callerCodecs.add(end.callerCodec);
      if (end.calleeCodec !== undefined) calleeCodecs.add(end.calleeCodec);
      if (end.transcoding) transcoding++;
      if (start === undefined) continue;
      const dCaller = end.fromCaller - start.fromCaller;
      const dCallee = end.fromCallee - start.fromCallee;
      fromCaller += dCaller;
      fromCallee += dCallee;
      errors += end.errors - start.errors;
      if (dCaller > 0 && dCallee > 0) both++;
    }
    flow.rtpengine = {
      callsSeen: b.calls.size,
      callsBothWays: both,
      fromCallerPps: round(fromCaller / s, 1),
      fromCalleePps: round(fromCallee / s, 1),
      deliveredRatio: round((fromCaller + fromCallee) / s / (2 * n * PACKETS_PER_SECOND), 3),
      errors,
      codecs: { caller: [...callerCodecs], callee: [...calleeCodecs] },
      transcodingCalls: transcoding,
    };
  }
  return flow;
}

interface Bench {
  dir: string;
  deadline: number;
  o: MediaBenchOptions;
  servers: Map<MediaCase, Server>;
  uasOf: Map<MediaCase, Party>;
  uacSipPort: number;
  uacMediaPort: number;
  /** Caller accounts in each IPBX's config (SIPp's rows loop over them). */
  callers: number;
  running: Set<MediaSippProcess>;
}

const callerRows = (n: number): string[][] => Array.from({ length: n }, (_, i) => {
  const user = String(CALLER_BASE + i);
  return [user, `[authentication username=${user} password=${passwordOf(user)}]`];
});

function pidsOf(b: Bench, server: Server, uas: Party, uacPid: number | undefined): Record<string, number | undefined> {
  const pids: Record<string, number | undefined> = { ipbx: server.pid, rtpengine: server.rtpenginePid, sippUas: uas.process.pid, sippUac: uacPid };
  let idle = 0;
  for (const other of b.servers.values()) {
    if (other === server) continue;
    pids[`idle:${idle++}`] = other.pid;
    if (other.rtpenginePid !== undefined) pids[`idle:${idle++}`] = other.rtpenginePid;
  }
  for (const party of new Set(b.uasOf.values())) if (party !== uas) pids[`idle:${idle++}`] = party.process.pid;
  return pids;
}

/** Folds the idle processes (`idle:N`) into one `idleServers` figure and drops rtpengine where there is none. */
function tidy(cpu: Record<string, number>, hasRtpengine: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  let idle = 0;
  for (const [k, v] of Object.entries(cpu)) {
    if (k.startsWith('idle:')) idle += v;
    else if (k === 'rtpengine' && !hasRtpengine) idle += v;
    else out[k] = v;
  }
  out['idleServers'] = round(idle, 2);
  return out;
}

function timeoutFor(b: Bench, wantedS: number): number {
  const left = Math.floor((b.deadline - Date.now()) / 1000) - 5;
  if (left < 5) throw new Error('media bench: time budget exhausted (raise --budget)');
  return Math.min(Math.ceil(wantedS), left);
}

function runUac(b: Bench, server: Server, name: string, calls: number, holdMs: number, limit = calls): MediaSippProcess {
  const run = runMediaSipp({
    scenario: 'media-uac.xml', dir: b.dir, name, localPort: b.uacSipPort, remote: `127.0.0.1:${server.sipPort}`,
    calls, rate: b.o.callRate, limit, pauseMs: holdMs, mediaPort: b.uacMediaPort, service: CALLEE,
    fields: callerRows(Math.min(calls, b.callers)), timeoutS: timeoutFor(b, calls / b.o.callRate + (holdMs / 1000) * Math.ceil(calls / limit) + 30),
  });
  b.running.add(run);
  const forget = () => { b.running.delete(run); };
  run.done.then(forget, forget);
  return run;
}

/** Short calls (SHORT_CALL_MS) through one IPBX, at most `limit` at a time, with the CPU they cost. */
async function burst(b: Bench, server: Server, name: string, calls: number, limit: number): Promise<{ outcome: SippOutcome; cpu: Record<string, number>; seconds: number }> {
  const pids = { ipbx: server.pid, rtpengine: server.rtpenginePid };
  const a = mark(pids);
  const run = runUac(b, server, name, calls, SHORT_CALL_MS, limit);
  const outcome = await run.done;
  const z = mark(pids);
  server.lastRunEnd = performance.now();
  server.peakCalls = Math.max(server.peakCalls, limit);
  const { cpu, seconds } = cpuOver([[a, z]]);
  return { outcome, cpu, seconds };
}

function callsOf(outcome: SippOutcome, attempted: number): StepResult['calls'] {
  const s = outcome.stats;
  return {
    attempted,
    successful: s?.successful ?? 0,
    failed: s?.failed ?? attempted,
    failedBy: s?.failedBy ?? {},
    retransmissions: s?.retransmissions ?? 0,
    sippExit: outcome.code ?? outcome.signal,
  };
}

/** Waits for rtpengine to have no call left (the previous step's deletes), bounded. */
async function waitNoSessions(server: Server): Promise<number> {
  if (server.ng === undefined) return 0;
  let count = 0;
  for (let i = 0; i < 50; i++) {
    count = await ngCallCount(server.ng);
    if (count === 0) return 0;
    await sleep(200);
  }
  return count;
}

async function runStep(b: Bench, c: MediaCase, n: number): Promise<StepResult> {
  const server = b.servers.get(c);
  const uas = b.uasOf.get(c);
  if (server === undefined || uas === undefined) throw new Error(`${c}: not started`);
  const notes: string[] = [];
  const holdMs = b.o.holdS * 1000;
  const rampMs = (1000 * n) / b.o.callRate;
  const windowStartMs = rampMs + 2_000;
  const windowEndMs = holdMs - 1_000;
  if (windowEndMs - windowStartMs < 3_000) throw new Error(`${c} -l ${n}: hold ${b.o.holdS} s leaves no steady window after a ${Math.round(rampMs)} ms ramp (raise --hold or --call-rate)`);

  // The previous step's transactions must be gone from this IPBX (Timer J/L), its rtpengine sessions too.
  await sleep(Math.min(server.lastRunEnd + b.o.settleMs - performance.now(), b.deadline - Date.now() - (rampMs + holdMs + 20_000)));
  const leftover = await waitNoSessions(server);
  if (leftover > 0) notes.push(`rtpengine still had ${leftover} calls of the previous step`);
  const before = await server.memory();
  await sleep(300);

  const stepStart = mark(pidsOf(b, server, uas, undefined));
  const reaped0 = reapedChildrenCpu();
  const t0 = performance.now();
  const uac = runUac(b, server, `${c}-l${n}`, n, holdMs);
  const pids = pidsOf(b, server, uas, uac.pid);
  let ended = false;
  const over = () => { ended = true; };
  uac.done.then(over, over);

  await sleep(t0 + windowStartMs - performance.now());
  if (ended) notes.push('SIPp ended before the steady window');
  // What the bench asks of the IPBX and rtpengine (metrics, ng queries, a full GC) is left out of
  // the step's CPU: it runs between `readingsStart` and `windowStart`, and `windowEnd` and `readingsEnd`.
  const readingsStart = mark(pids);
  const activeAtStart = await server.activeCalls();
  const ngA = server.ng === undefined ? undefined : await ngSnapshot(server.ng, b.uacMediaPort, uas.mediaPort);
  const uacA = await uac.rtpCounters();
  const uasA = await uas.process.rtpCounters();
  const windowStart = mark(pids);
  await sleep(t0 + windowEndMs - performance.now());
  const windowEnd = mark(pids);
  const uacB = await uac.rtpCounters();
  const uasB = await uas.process.rtpCounters();
  const ngB = server.ng === undefined ? undefined : await ngSnapshot(server.ng, b.uacMediaPort, uas.mediaPort);
  const activeAtEnd = await server.activeCalls();
  const during = await server.memory();
  const readingsEnd = mark(pids);
  if (ended) notes.push('SIPp ended inside the steady window');

  const outcome = await uac.done;
  await sleep(1_000);
  const stepEnd = mark(pidsOf(b, server, uas, undefined));
  const uacStepCpu = reapedChildrenCpu() - reaped0;
  server.lastRunEnd = performance.now();
  const after = await server.memory();

  const windowS = (windowEnd.at - windowStart.at) / 1000;
  const hasRtpengine = server.rtpenginePid !== undefined;
  const cpuWindow = tidy(between(windowStart, windowEnd), hasRtpengine);
  const step = cpuOver([[stepStart, readingsStart], [windowStart, windowEnd], [readingsEnd, stepEnd]], { sippUac: uacStepCpu });
  const cpuStep = tidy(step.cpu, hasRtpengine);
  const calls = callsOf(outcome, n);
  const ok = calls.successful;
  const callSeconds = n * windowS;
  // Live objects (the heap after a full GC) are per call in flight. RSS is not given back after a
  // peak (rtpengine's and malloc's pools are reused), so it grows by the calls above the peak so far.
  const peakBefore = server.peakCalls;
  const above = n - peakBefore;
  server.peakCalls = Math.max(peakBefore, n);
  const growth = (k: keyof MemoryReading, calls: number) => {
    const a = before[k];
    const d = during[k];
    return a === undefined || d === undefined || calls <= 0 ? undefined : round((d - a) / calls, 1);
  };
  if (above <= 0) notes.push(`no more calls than the IPBX already carried at once (${peakBefore}): no RSS growth per call`);
  const cpuMsPerCallSecond = (k: string) => round((1000 * (cpuWindow[k] ?? 0)) / callSeconds, 3);
  const cpuMsPerCall = (k: string) => (ok === 0 ? undefined : round((1000 * (cpuStep[k] ?? 0)) / ok, 2));
  // The same less the IPBX's steady-window rate (no per-call work while calls are held) over the step.
  const steadyRate = (cpuWindow['ipbx'] ?? 0) / windowS;
  const ipbxSetupTeardown = ok === 0 ? undefined : round((1000 * ((cpuStep['ipbx'] ?? 0) - steadyRate * step.seconds)) / ok, 2);
  const othersCores = (cpuWindow['others'] ?? 0) / windowS;
  if (othersCores > 0.2) notes.push(`the rest of the machine used ${othersCores.toFixed(2)} cores during the window: figures disturbed`);
  if (activeAtStart !== undefined && activeAtStart !== n) notes.push(`${activeAtStart} calls up at the window's start, not ${n}`);
  if (activeAtEnd !== undefined && activeAtEnd !== n) notes.push(`${activeAtEnd} calls up at the window's end, not ${n}`);
  if (hasRtpengine && commOf(server.rtpenginePid ?? 0) !== 'rtpengine') notes.push('rtpengine is gone (it crashed or was restarted): its figures are wrong');

  return {
    case: c,
    concurrency: n,
    calls,
    durationS: round(outcome.stats === undefined ? outcome.wallMs / 1000 : outcome.stats.endEpoch - outcome.stats.startEpoch, 2),
    window: { startS: round((windowStart.at - t0) / 1000, 2), lengthS: round(windowS, 2), activeCallsAtStart: activeAtStart, activeCallsAtEnd: activeAtEnd },
    stepCpuSeconds: round(step.seconds, 2),
    cpuS: { window: cpuWindow, step: cpuStep },
    perCall: {
      ipbxCpuMs: cpuMsPerCall('ipbx'),
      ipbxCpuMsSetupTeardown: ipbxSetupTeardown,
      ipbxCpuMsPerCallSecond: cpuMsPerCallSecond('ipbx'),
      ...(hasRtpengine ? { rtpengineCpuMsPerCallSecond: cpuMsPerCallSecond('rtpengine'), rtpengineCpuMs: cpuMsPerCall('rtpengine') } : {}),
      ipbxRssKb: growth('ipbxRssKb', above),
      ipbxHeapKb: growth('ipbxHeapUsedKb', n),
      ...(hasRtpengine ? { rtpengineRssKb: growth('rtpengineRssKb', above) } : {}),
    },
    memory: { before, during, after },
    rtp: rtpFlow(n, windowS, [uacA, uacB], [uasA, uasB], ngA === undefined || ngB === undefined ? undefined : [ngA, ngB]),
    notes,
    ...(outcome.errors === '' ? {} : { errors: outcome.errors.slice(0, 1500) }),
  };
}

// ---------------------------------------------------------------------------------------------
// Summary across levels

/** Least-squares line y = intercept + slope × x. */
function fit(points: Array<[number, number]>): { slope: number; intercept: number } | undefined {
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  const slope = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { slope, intercept: my - slope * mx };
}

export interface CaseSummary {
  levels: number[];
  callsSuccessful: number;
  callsFailed: number;
  /** IPBX CPU per call over every step of the case (total CPU / total calls), ms: 10 ms ticks weigh less than per step. */
  ipbxCpuMsPerCall: number | undefined;
  /** The steps' `ipbxCpuMsSetupTeardown`, pooled (weighted by calls), ms. */
  ipbxCpuMsSetupTeardown: number | undefined;
  /** Pooled over the steady windows: CPU / (calls × seconds), ms per call-second. */
  ipbxCpuMsPerCallSecond: number | undefined;
  rtpengineCpuMsPerCallSecond?: number | undefined;
  /**
   * Slopes against concurrency: rtpengine's CPU (cores) over the steady windows, the marginal cost
   * of a call in ms/s (intercept: what it spends regardless); its RSS during the calls (levels
   * ascending), kB per call.
   */
  rtpengineMarginal?: { cpuMsPerCallSecond: number; interceptCores: number; rssKbPerCall: number | undefined } | undefined;
  /** rtpengine CPU per call-second as a share of one core, %. */
  rtpengineCorePercentPerCall?: number | undefined;
  /** Slope of the IPBX's heap growth (after GC) against concurrency, kB per call. */
  ipbxHeapKbPerCall: number | undefined;
  /** Slope of the IPBX's RSS during the calls against concurrency (levels ascending), kB per call. */
  ipbxRssKbPerCall: number | undefined;
  /** rtpengine's packets in / expected, over every window. */
  rtpDeliveredRatio?: number | undefined;
}

function summarizeCase(steps: StepResult[]): CaseSummary {
  const ok = steps.reduce((s, x) => s + x.calls.successful, 0);
  const ipbxStep = steps.reduce((s, x) => s + (x.cpuS.step['ipbx'] ?? 0), 0);
  const callSeconds = steps.reduce((s, x) => s + x.concurrency * x.window.lengthS, 0);
  const windowSum = (k: string) => steps.reduce((s, x) => s + (x.cpuS.window[k] ?? 0), 0);
  const hasRtpengine = steps.some((x) => x.perCall.rtpengineCpuMsPerCallSecond !== undefined);
  const slope = (y: (x: StepResult) => number | undefined) => {
    const pts = steps.map((x) => [x.concurrency, y(x)] as [number, number | undefined]).filter((p): p is [number, number] => p[1] !== undefined);
    return fit(pts);
  };
  const cpuFit = slope((x) => (x.cpuS.window['rtpengine'] ?? 0) / x.window.lengthS);
  const rssFit = slope((x) => x.memory.during.rtpengineRssKb);
  const heapFit = slope((x) => (x.memory.during.ipbxHeapUsedKb === undefined || x.memory.before.ipbxHeapUsedKb === undefined ? undefined : x.memory.during.ipbxHeapUsedKb - x.memory.before.ipbxHeapUsedKb));
  const ipbxRssFit = slope((x) => x.memory.during.ipbxRssKb);
  const delivered = steps.map((x) => x.rtp.rtpengine).filter((r) => r !== undefined);
  const rtpengineMs = callSeconds === 0 ? undefined : round((1000 * windowSum('rtpengine')) / callSeconds, 3);
  return {
    levels: steps.map((x) => x.concurrency),
    callsSuccessful: ok,
    callsFailed: steps.reduce((s, x) => s + x.calls.failed, 0),
    ipbxCpuMsPerCall: ok === 0 ? undefined : round((1000 * ipbxStep) / ok, 2),
    ipbxCpuMsSetupTeardown: ok === 0 ? undefined
      : round(steps.reduce((sum, x) => sum + (x.perCall.ipbxCpuMsSetupTeardown ?? 0) * x.calls.successful, 0) / ok, 2),
    ipbxCpuMsPerCallSecond: callSeconds === 0 ? undefined : round((1000 * windowSum('ipbx')) / callSeconds, 3),
    ...(hasRtpengine ? {
      rtpengineCpuMsPerCallSecond: rtpengineMs,
      rtpengineCorePercentPerCall: rtpengineMs === undefined ? undefined : round(rtpengineMs / 10, 3),
      rtpengineMarginal: cpuFit === undefined ? undefined : {
        cpuMsPerCallSecond: round(cpuFit.slope * 1000, 3), interceptCores: round(cpuFit.intercept, 4),
        rssKbPerCall: rssFit === undefined ? undefined : round(rssFit.slope, 1),
      },
      rtpDeliveredRatio: delivered.length === 0 ? undefined : round(delivered.reduce((s, r) => s + r.deliveredRatio, 0) / delivered.length, 3),
    } : {}),
    ipbxHeapKbPerCall: heapFit === undefined ? undefined : round(heapFit.slope, 1),
    ipbxRssKbPerCall: ipbxRssFit === undefined ? undefined : round(ipbxRssFit.slope, 1),
  };
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : round(a / b, 3);

// ---------------------------------------------------------------------------------------------
// The bench

export interface SignallingResult {
  calls: number;
  successful: number;
  failed: number;
  /** Each call's length after its ACK (RTP flowing), ms; calls in flight at most. */
  callMs: number;
  concurrency: number;
  durationS: number;
  callsPerSecond: number;
  /** IPBX CPU per call: INVITE, 407, ACK, INVITE, 180, 200, ACK, BYE, 200 on the caller leg, the callee leg, the CDR; with rtpengine its offer, answer and delete. */
  ipbxCpuMsPerCall: number | undefined;
  /** rtpengine CPU per call (its ng commands and the short call's packets). */
  rtpengineCpuMsPerCall?: number | undefined;
  /** The rest of the machine over the runs, cores. */
  othersCores: number;
}

export interface MediaBenchResult {
  date: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  versions: { voiplab: string; rtpengine: string | undefined; sipp: string };
  unit: Record<string, string>;
  parameters: MediaBenchOptions & { codec: string; packetMs: number; packetsPerSecondPerDirection: number; transport: string; rtpenginePorts: typeof PORT_WINDOWS };
  servers: Partial<Record<MediaCase, Record<string, unknown> & { startupMs: number }>>;
  /**
   * CPU cores each process used with no call, right after the signalling runs while their
   * transactions expire. The IPBXs are still finishing V8 work of the burst there (GC,
   * optimisation), so their figure is not a baseline; rtpengine's is its fixed cost.
   */
  idle: { seconds: number; cores: Record<string, number> } | undefined;
  /** Per case: the figures pooled over the levels. */
  summary: Partial<Record<MediaCase, CaseSummary>>;
  /** Short calls through each IPBX (two rounds, alternating): the IPBX's and rtpengine's CPU per call set up and torn down. */
  signalling: Partial<Record<MediaCase, SignallingResult>>;
  ratios: {
    /** IPBX CPU per call (signalling runs), rtpengine / passthrough. */
    ipbxCpuPerCallRtpengineVsPassthrough: number | undefined;
    ipbxCpuPerCallTranscodeVsPassthrough: number | undefined;
    /** The same from the held calls of the steps (pooled `ipbxCpuMsSetupTeardown`): fewer calls, coarser. */
    ipbxCpuPerCallRtpengineVsPassthroughHeldCalls: number | undefined;
    ipbxCpuPerCallTranscodeVsPassthroughHeldCalls: number | undefined;
    /** rtpengine CPU per call-second, transcoding / relaying. */
    rtpengineCpuPerCallSecondTranscodeVsRelay: number | undefined;
    /** The same per level. */
    byLevel: Array<{ concurrency: number; ipbxCpuPerCallRtpengineVsPassthrough: number | undefined; ipbxCpuPerCallTranscodeVsPassthrough: number | undefined; rtpengineCpuPerCallSecondTranscodeVsRelay: number | undefined }>;
  };
  savpf: { measured: false; why: string; instead: string };
  steps: StepResult[];
  failures: string[];
  durationMs: number;
  notes: string[];
}

export async function runMediaBench(partial: Partial<MediaBenchOptions> = {}): Promise<MediaBenchResult> {
  const o: MediaBenchOptions = { ...DEFAULT_MEDIA_BENCH_OPTIONS, ...partial };
  const startedAt = Date.now();
  const sipp = await sippVersion();
  if (sipp === 'not installed') throw new Error('the media bench needs SIPp (Debian: sip-tester)');
  const cases = CASES.filter((c) => o.cases.includes(c));
  if (cases.some((c) => c !== 'passthrough') && !existsSync(RTPENGINE_BIN)) throw new Error(`the media bench needs ${RTPENGINE_BIN} (Debian: rtpengine-daemon)`);
  const maxLevel = Math.max(...o.levels);
  const warmupConcurrency = Math.min(WARMUP_CONCURRENCY, ...o.levels);
  const dir = mkdtempSync(join(tmpdir(), 'voiplab-media-bench-'));
  writeTone(dir);
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const failures: string[] = [];
  const steps: StepResult[] = [];
  const signallingRaw = new Map<MediaCase, { calls: number; successful: number; failed: number; seconds: number; ipbx: number; rtpengine: number; others: number }>();
  const notes: string[] = [];
  let idle: MediaBenchResult['idle'];
  const b: Bench = {
    dir, deadline: startedAt + o.budgetMs, o, servers: new Map(), uasOf: new Map(),
    uacSipPort: await freePort(), uacMediaPort: 0, callers: maxLevel, running: new Set(),
  };
  const parties: Party[] = [];
  try {
    for (const c of cases) b.servers.set(c, await startServer(join(dir, c), c, maxLevel));

    // The callees: a PCMU UAS for passthrough and rtpengine, a PCMA one for transcode. Each IPBX's
    // 3000 registers from its UAS's SIP port (voiplab sends a UDP binding's requests to where the
    // REGISTER came from), so every REGISTER is sent before the UASs bind those ports.
    const taken: number[] = [];
    const codecOf = (c: MediaCase): 'PCMU' | 'PCMA' => (c === 'transcode' ? 'PCMA' : 'PCMU');
    const ports = new Map<'PCMU' | 'PCMA', { sipPort: number; mediaPort: number }>();
    for (const c of cases) {
      const codec = codecOf(c);
      if (ports.has(codec)) continue;
      const mediaPort = await freeMediaPort(taken);
      taken.push(mediaPort);
      ports.set(codec, { sipPort: await freePort(), mediaPort });
    }
    for (const [c, server] of b.servers) await register(b, server, ports.get(codecOf(c))?.sipPort ?? 0);
    for (const [codec, { sipPort, mediaPort }] of ports) {
      parties.push({
        name: codec, sipPort, mediaPort,
        process: runMediaSipp({
          scenario: 'media-uas.xml', dir, name: `uas-${codec}`, localPort: sipPort, mediaPort, rtpEcho: true,
          keys: { payload: codec === 'PCMU' ? '0' : '8', codec }, timeoutS: timeoutFor(b, o.budgetMs / 1000 + 30),
        }),
      });
    }
    for (const c of cases) {
      const party = parties.find((p) => p.name === codecOf(c));
      if (party !== undefined) b.uasOf.set(c, party);
    }
    await sleep(300);
    b.uacMediaPort = await freeMediaPort(taken);

    // Warm-up (JIT, rtpengine's first sessions, codec set-up): short calls through each IPBX.
    for (const c of cases) {
      const server = b.servers.get(c);
      if (server === undefined || o.warmupCalls === 0) continue;
      const { outcome } = await burst(b, server, `${c}-warmup`, o.warmupCalls, warmupConcurrency);
      if ((outcome.stats?.successful ?? 0) < o.warmupCalls) {
        throw new Error(`${c}: warm-up calls failed (${outcome.stats?.successful ?? 0} of ${o.warmupCalls})\n${outcome.errors}\n${outcome.stderr}\n--- IPBX log ---\n${tail(server.log())}`);
      }
    }

    // Signalling: what a call costs the IPBX (and rtpengine), from many short calls, in rounds
    // alternating between the IPBXs. Each step below has too few calls for 10 ms ticks.
    const rounds = 2;
    for (let round_ = 0; round_ < rounds && o.signallingCalls > 0; round_++) {
      for (const c of cases) {
        const server = b.servers.get(c);
        if (server === undefined) continue;
        const calls = Math.ceil(o.signallingCalls / rounds);
        const r = await burst(b, server, `${c}-signalling-${round_}`, calls, warmupConcurrency);
        const acc = signallingRaw.get(c) ?? { calls: 0, successful: 0, failed: 0, seconds: 0, ipbx: 0, rtpengine: 0, others: 0 };
        acc.calls += calls;
        acc.successful += r.outcome.stats?.successful ?? 0;
        acc.failed += r.outcome.stats?.failed ?? calls;
        acc.seconds += r.seconds;
        acc.ipbx += r.cpu['ipbx'] ?? 0;
        acc.rtpengine += r.cpu['rtpengine'] ?? 0;
        acc.others += r.cpu['others'] ?? 0;
        signallingRaw.set(c, acc);
      }
    }

    // While the transactions of those calls expire (until the first step's IPBX may start): what
    // each process costs with no call.
    const first = b.servers.get(cases[0] ?? 'passthrough');
    const firstWait = Math.min((first?.lastRunEnd ?? 0) + o.settleMs - performance.now(), b.deadline - Date.now() - 60_000);
    if (firstWait > 3_000) {
      const pids: Record<string, number | undefined> = {};
      for (const [c, s] of b.servers) {
        pids[`${c}.ipbx`] = s.pid;
        if (s.rtpenginePid !== undefined) pids[`${c}.rtpengine`] = s.rtpenginePid;
      }
      await sleep(1_000);
      const a = mark(pids);
      await sleep(firstWait - 1_000);
      const z = mark(pids);
      const { cpu, seconds } = cpuOver([[a, z]]);
      idle = { seconds: round(seconds, 1), cores: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v / seconds, 4)])) };
    }

    for (const n of o.levels) {
      for (const c of cases) {
        const needMs = (1000 * n) / o.callRate + o.holdS * 1000 + 15_000;
        if (Date.now() + needMs > b.deadline) {
          notes.push(`${c} at ${n} calls skipped: it would not end within the budget (--budget)`);
          continue;
        }
        try {
          const step = await runStep(b, c, n);
          steps.push(step);
          if (step.calls.failed > 0) failures.push(`${c} at ${n} calls: ${step.calls.failed} of ${step.calls.attempted} failed ${JSON.stringify(step.calls.failedBy)}`);
        } catch (err) {
          failures.push(`${c} at ${n} calls: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  } catch (err) {
    failures.push(err instanceof Error ? err.message : String(err));
  } finally {
    for (const run of b.running) run.stop();
    await Promise.all([...b.running].map((r) => r.done.catch(() => undefined)));
    for (const p of parties) p.process.stop();
    await Promise.all(parties.map((p) => p.process.done.catch(() => undefined)));
    for (const s of b.servers.values()) await s.stop().catch(() => undefined);
    if (failures.length === 0) rmSync(dir, { recursive: true, force: true });
    else notes.push(`SIPp logs and IPBX folders kept in ${dir}`);
  }

  const summary: MediaBenchResult['summary'] = {};
  for (const c of cases) {
    const mine = steps.filter((s) => s.case === c);
    if (mine.length > 0) summary[c] = summarizeCase(mine);
  }
  const signalling: MediaBenchResult['signalling'] = {};
  for (const [c, r] of signallingRaw) {
    const hasRtpengine = b.servers.get(c)?.rtpenginePid !== undefined;
    signalling[c] = {
      calls: r.calls, successful: r.successful, failed: r.failed, callMs: SHORT_CALL_MS, concurrency: Math.min(WARMUP_CONCURRENCY, ...o.levels),
      durationS: round(r.seconds, 2), callsPerSecond: round(r.successful / r.seconds, 1),
      ipbxCpuMsPerCall: r.successful === 0 ? undefined : round((1000 * r.ipbx) / r.successful, 3),
      ...(hasRtpengine ? { rtpengineCpuMsPerCall: r.successful === 0 ? undefined : round((1000 * r.rtpengine) / r.successful, 3) } : {}),
      othersCores: round(r.others / r.seconds, 2),
    };
    if (r.failed > 0) failures.push(`${c} signalling runs: ${r.failed} of ${r.calls} calls failed`);
  }
  const signallingFigure = (c: MediaCase) => signalling[c]?.ipbxCpuMsPerCall;
  const stepOf = (c: MediaCase, n: number) => steps.find((s) => s.case === c && s.concurrency === n);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const servers: MediaBenchResult['servers'] = {};
  for (const [c, s] of b.servers) servers[c] = { startupMs: s.startupMs, ...s.describe() };
  notes.push(
    `load average before the run: ${loadBefore}; cpuS.*.others is the rest of the machine's busy time during each step (other users of the machine disturb the figures when it is large)`,
    'CPU times come from /proc/PID/stat (utime + stime of every thread) in 10 ms ticks: per-step IPBX figures at 10 calls rest on a few ticks; the pooled summary is steadier.',
    'SIPp 3.6 sends every call\'s stream from its one media port and does not read what comes back: the UAC\'s socket overflows and the kernel drops the echoed packets after rtpengine has sent them (rtpengine\'s counters are what it received from each side).',
    'Memory growth per call compares a reading just before the calls with one during them (after a full GC for the heap); V8 and malloc keep pages, so RSS growth is an upper bound and noisy.',
  );
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    versions: { voiplab: pkg.version, rtpengine: await versionOf(RTPENGINE_BIN, ['--version']), sipp },
    unit: {
      cpuS: 'CPU seconds (utime + stime)',
      cpuMsPerCall: 'CPU ms per call, INVITE to the BYE\'s 200 (the call held holdS seconds)',
      cpuMsPerCallSecond: 'CPU ms per second of established call = per mille of one core per call',
      memory: 'kB',
      pps: 'RTP packets per second',
    },
    parameters: {
      ...o, cases, codec: 'PCMU (G.711 µ-law), PCMA on the transcode callee', packetMs: 20, packetsPerSecondPerDirection: PACKETS_PER_SECOND,
      transport: 'SIP over UDP, RTP over UDP, 127.0.0.1', rtpenginePorts: PORT_WINDOWS,
    },
    servers,
    idle,
    summary,
    signalling,
    ratios: {
      ipbxCpuPerCallRtpengineVsPassthrough: ratio(signallingFigure('rtpengine'), signallingFigure('passthrough')),
      ipbxCpuPerCallTranscodeVsPassthrough: ratio(signallingFigure('transcode'), signallingFigure('passthrough')),
      ipbxCpuPerCallRtpengineVsPassthroughHeldCalls: ratio(summary.rtpengine?.ipbxCpuMsSetupTeardown, summary.passthrough?.ipbxCpuMsSetupTeardown),
      ipbxCpuPerCallTranscodeVsPassthroughHeldCalls: ratio(summary.transcode?.ipbxCpuMsSetupTeardown, summary.passthrough?.ipbxCpuMsSetupTeardown),
      rtpengineCpuPerCallSecondTranscodeVsRelay: ratio(summary.transcode?.rtpengineCpuMsPerCallSecond, summary.rtpengine?.rtpengineCpuMsPerCallSecond),
      byLevel: o.levels.map((n) => ({
        concurrency: n,
        ipbxCpuPerCallRtpengineVsPassthrough: ratio(stepOf('rtpengine', n)?.perCall.ipbxCpuMsSetupTeardown, stepOf('passthrough', n)?.perCall.ipbxCpuMsSetupTeardown),
        ipbxCpuPerCallTranscodeVsPassthrough: ratio(stepOf('transcode', n)?.perCall.ipbxCpuMsSetupTeardown, stepOf('passthrough', n)?.perCall.ipbxCpuMsSetupTeardown),
        rtpengineCpuPerCallSecondTranscodeVsRelay: ratio(stepOf('transcode', n)?.perCall.rtpengineCpuMsPerCallSecond, stepOf('rtpengine', n)?.perCall.rtpengineCpuMsPerCallSecond),
      })),
    },
    savpf: {
      measured: false,
      why: 'SIPp 3.6 (sip-tester) has no ICE and no DTLS-SRTP: it cannot be the browser side of a UDP/TLS/RTP/SAVPF leg, whose media rtpengine only sends after ICE connectivity checks and a DTLS handshake. Its SRTP support is SDES (RTP/SAVP), which voiplab\'s WebRTC legs do not offer.',
      instead: 'transcode: a PCMU-only caller to a PCMA-only callee, so that rtpengine decodes and re-encodes every packet, the expensive path a WebRTC leg (SRTP, usually Opus ↔ G.711) also takes.',
    },
    steps,
    failures,
    durationMs: Date.now() - startedAt,
    notes,
  };
}

async function register(b: Bench, server: Server, port: number): Promise<void> {
  const run = runMediaSipp({
    scenario: 'register.xml', dir: b.dir, name: `${server.name}-register-${CALLEE}`, localPort: port, remote: `127.0.0.1:${server.sipPort}`,
    calls: 1, fields: [[CALLEE, `[authentication username=${CALLEE} password=${passwordOf(CALLEE)}]`]], keys: { contact_port: String(port) },
    defaultBehaviors: 'all,-bye', timeoutS: timeoutFor(b, 15),
  });
  const outcome = await run.done;
  if (outcome.stats?.successful !== 1) throw new Error(`${server.name}: REGISTER of ${CALLEE} failed\n${outcome.errors}\n${outcome.stderr}\n--- IPBX log ---\n${tail(server.log())}`);
}

export function summarizeMediaBench(r: MediaBenchResult): string[] {
  const lines = [`media: concurrent calls with RTP through voiplab (${r.node}, rtpengine ${r.versions.rtpengine ?? '?'}, ${r.versions.sipp}, ${r.cores} cores), calls held ${r.parameters.holdS} s`, ''];
  const f = (x: number | undefined, d = 2) => (x === undefined ? '–' : x.toFixed(d));
  lines.push(`  ${'case'.padEnd(12)} ${'calls'.padEnd(6)} ${'fail'.padEnd(5)} ${'ipbx ms/call (s+t)'.padEnd(19)} ${'ipbx ms/call·s'.padEnd(15)} ${'rtpe ms/call·s'.padEnd(15)} ${'rtpe kB/call'.padEnd(13)} ${'heap kB/call'.padEnd(13)} rtp in/expected`);
  for (const s of r.steps) {
    const rtp = s.rtp.rtpengine === undefined
      ? `UAS echoed ${f(s.rtp.uasEchoedPps, 0)}/${s.rtp.expectedPpsPerDirection} pps`
      : `${f(s.rtp.rtpengine.deliveredRatio, 3)} (${s.rtp.rtpengine.callsBothWays}/${s.concurrency} both ways${s.rtp.rtpengine.transcodingCalls > 0 ? `, ${s.rtp.rtpengine.transcodingCalls} transcoding` : ''})`;
    lines.push(`  ${s.case.padEnd(12)} ${String(s.concurrency).padEnd(6)} ${String(s.calls.failed).padEnd(5)} ${`${f(s.perCall.ipbxCpuMs)} (${f(s.perCall.ipbxCpuMsSetupTeardown)})`.padEnd(19)} ${f(s.perCall.ipbxCpuMsPerCallSecond, 3).padEnd(15)} ${f(s.perCall.rtpengineCpuMsPerCallSecond, 3).padEnd(15)} ${f(s.perCall.rtpengineRssKb, 1).padEnd(13)} ${f(s.perCall.ipbxHeapKb, 1).padEnd(13)} ${rtp}`);
  }
  lines.push('');
  for (const [c, s] of Object.entries(r.summary)) {
    lines.push(`  ${c}: IPBX ${f(s.ipbxCpuMsPerCall)} ms/call (set-up + teardown ${f(s.ipbxCpuMsSetupTeardown)}), ${f(s.ipbxCpuMsPerCallSecond, 3)} ms/call·s; heap ${f(s.ipbxHeapKbPerCall, 1)} kB/call`
      + (s.rtpengineCpuMsPerCallSecond === undefined ? '' : `; rtpengine ${f(s.rtpengineCpuMsPerCallSecond, 3)} ms/call·s (marginal ${f(s.rtpengineMarginal?.cpuMsPerCallSecond, 3)}), ${f(s.rtpengineMarginal?.rssKbPerCall, 1)} kB/call`));
  }
  for (const [c, x] of Object.entries(r.signalling)) {
    lines.push(`  ${c} signalling (${x.successful} calls of ${x.callMs} ms, ${x.failed} failed, ${f(x.callsPerSecond, 1)}/s): IPBX ${f(x.ipbxCpuMsPerCall, 3)} ms/call${x.rtpengineCpuMsPerCall === undefined ? '' : `, rtpengine ${f(x.rtpengineCpuMsPerCall, 3)} ms/call`}`);
  }
  lines.push(`  ratios: IPBX CPU per call rtpengine/passthrough ${f(r.ratios.ipbxCpuPerCallRtpengineVsPassthrough, 3)} (held calls ${f(r.ratios.ipbxCpuPerCallRtpengineVsPassthroughHeldCalls, 3)}), `
    + `transcode/passthrough ${f(r.ratios.ipbxCpuPerCallTranscodeVsPassthrough, 3)} (held calls ${f(r.ratios.ipbxCpuPerCallTranscodeVsPassthroughHeldCalls, 3)}); rtpengine CPU per call·s transcode/relay ${f(r.ratios.rtpengineCpuPerCallSecondTranscodeVsRelay, 3)}`);
  lines.push(`  SAVPF (WebRTC) legs not measured: ${r.savpf.why.split(':')[0] ?? ''}`);
  for (const x of r.failures) lines.push(`  FAILURE ${x.split('\n')[0] ?? ''}`);
  return lines;
}
