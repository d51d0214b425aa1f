// Digest REGISTER throughput, calls per second, CPU per process and memory per 10,000
// registrations of voiplab (bench/ipbx-server.ts: `voiplab serve` in a child process) and of
// Kamailio (bench/kamailio/kamailio.cfg: registrar + authenticating proxy), driven by the same
// SIPp scenarios (bench/sipp/*.xml) over UDP on 127.0.0.1, in one run.
//
// Both servers are started side by side and every measured step alternates between them, so that
// a change in the machine's background load lands on both:
//   1. each registers the callee account (from the port its SIPp UAS will listen on) and
//      `warmupRegistrations` other accounts (JIT warm-up, nothing measured); then a wait of
//      `settleMs` (voiplab keeps completed REGISTER transactions 32 s, RFC 3261 Timer J);
//   2. memory: VmRSS and PSS of every server process, plus the V8 heap after a full GC for
//      voiplab and the shared memory in use for Kamailio;
//   3. REGISTER: `registrations` distinct accounts, one REGISTER → 401 → REGISTER → 200 per SIPp
//      call, closed loop (-l registerConcurrency, -r unbounded); CPU time of the server, of SIPp
//      and of the rest of the machine over the run; memory right after, and again `settleMs`
//      later: the difference with step 2 is the cost of that many new bindings;
//   4. calls: a SIPp UAS answers as the callee; `warmupCalls` calls, then steps of increasing
//      concurrency (-l, `callConcurrency`), closed loop: INVITE → 407 → ACK → INVITE
//      (Proxy-Authorization) → 180 → 200 → ACK → 100 ms → BYE → 200; CPU time of the server,
//      the UAC and the UAS over each step. A server's steps stop when its rate no longer grows or
//      calls fail; its calls/s is its best step without failed calls. (Past saturation, a closed
//      loop with more calls in flight only adds queueing: answers come after T1, both sides
//      retransmit, and the rate falls. The ladder finds each server's knee instead of guessing it.)
//
// voiplab is a B2BUA (each call is two dialogs, two INVITE transactions, two BYEs, a CDR row);
// Kamailio here is a transaction-stateful proxy (one dialog relayed, no dialog state, no CDR). The
// figures compare what each does for the same SIPp traffic, not the same amount of SIP work.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from '../test/helpers/sipp.ts';
import { runSipp, sippVersion, type SippOutcome, type SippProcess, type SippRunOptions, type SippStats } from './sipp/sipp-run.ts';
import { waitExit } from './child-exit.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SERVER_ENTRY = fileURLToPath(new URL('./ipbx-server.ts', import.meta.url));
const KAMAILIO_CFG = fileURLToPath(new URL('./kamailio/kamailio.cfg', import.meta.url));
export const KAMAILIO_BIN = '/usr/sbin/kamailio';
const KAMCMD_BIN = '/usr/sbin/kamcmd';

/** Ratios voiplab / Kamailio the issue aims for. */
export const AIMS = { register: 0.5, cps: 1 / 3 } as const;

export const DOMAIN = 'voiplab.bench';
const CALLEE = '3000';
/** How long a call lasts between the ACK and the BYE (the timeout of call-uac.xml's late-180 wait). */
const CALL_HOLD_MS = 100;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
/** Every account's password, derived from its name: kamailio.cfg derives it the same way. */
export const passwordOf = (user: string): string => `pw-${user}-bench`;
/** Measured accounts are 100000…, warm-up ones 200000… (distinct bindings, distinct rows). */
const MEASURED_BASE = 100_000;
const WARMUP_BASE = 200_000;

export type TargetName = 'voiplab' | 'kamailio';

export interface IpbxBenchOptions {
  targets: TargetName[];
  /** Distinct accounts registered in the measured REGISTER run (and the memory figure's base). */
  registrations: number;
  warmupRegistrations: number;
  /**
   * SIPp -l for REGISTER, step by step (REGISTER exchanges in flight). The first step registers
   * the `registrations` new accounts (the memory figure's run); the next ones refresh the same
   * bindings, until the rate stops growing.
   */
  registerConcurrency: number[];
  /** Calls of a concurrency step, at least (more when the previous step's rate asks for it). */
  calls: number;
  /** Target length of a concurrency step: calls = max(calls, 2 × previous rate × stepSeconds). */
  stepSeconds: number;
  warmupCalls: number;
  /** SIPp -l for calls, step by step (calls in progress). */
  callConcurrency: number[];
  /**
   * Wait between the end of the REGISTER run and the memory reading: voiplab keeps each
   * completed non-INVITE server transaction for Timer J (64 × T1 = 32 s over UDP, RFC 3261
   * §17.2.2) and those are not bindings. Both servers get the same wait.
   */
  settleMs: number;
  /** UDP receiver processes of Kamailio (-n). */
  kamailioChildren: number;
  /**
   * Kamailio's shared memory (-m, MB): tm keeps each transaction until its wait timer, about
   * 100 MB at 800 calls/s; at 64 MB t_relay() fails with out-of-memory 500s from ~400 calls/s.
   */
  kamailioShmMb: number;
  /** Upper bound of the whole bench (SIPp runs get what is left, within their own caps). */
  budgetMs: number;
  /** Profile voiplab under the REGISTER load (then the calls) instead of comparing. */
  profile: boolean;
}

export const DEFAULT_IPBX_BENCH_OPTIONS: Readonly<IpbxBenchOptions> = Object.freeze({
  targets: ['voiplab', 'kamailio'] as TargetName[],
  registrations: 10_000,
  warmupRegistrations: 2_000,
  registerConcurrency: [50, 100, 200, 400],
  calls: 1_000,
  stepSeconds: 3,
  warmupCalls: 400,
  callConcurrency: [25, 50, 100, 200, 400],
  settleMs: 34_000,
  kamailioChildren: 2,
  kamailioShmMb: 512,
  budgetMs: 240_000,
  profile: false,
});

// ---------------------------------------------------------------------------------------------
// procfs: CPU time and memory of processes

/** /proc reports times in USER_HZ clock ticks, 100 per second on Linux (`getconf CLK_TCK`). */
const ticksPerSecond = (): number => 100;

interface ProcStat {
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses; fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(f[i] ?? 0);
  return { ppid: n(1), utime: n(11), stime: n(12), cutime: n(13), cstime: n(14) };
}

/** utime + stime of the processes, in seconds (processes gone are left out). */
function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const s = readProcStat(pid);
    if (s !== undefined) ticks += s.utime + s.stime;
  }
  return ticks / ticksPerSecond();
}

/**
 * CPU seconds of this process's children that have exited and been waited for (cutime + cstime):
 * a SIPp run's whole CPU time once it has exited, read as a difference around it.
 */
function reapedChildrenCpuSeconds(): number {
  const s = readProcStat(process.pid);
  return s === undefined ? 0 : (s.cutime + s.cstime) / ticksPerSecond();
}

/** Busy CPU time of the whole machine (all cores: user, nice, system, irq, softirq, steal), s. */
function machineBusySeconds(): number {
  const f = (/^cpu\s+(.*)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '').split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
}

/** CPU time of this process (the bench itself), s. */
function benchCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (readProcStat(Number(entry))?.ppid === parent) pids.push(Number(entry));
  }
  return pids;
}

function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

export interface MemorySnapshot {
  /** VmRSS of each server process, kB. */
  vmRssKb: Record<string, number>;
  /** Sum of VmRSS (counts Kamailio's shared memory once per process that touched it). */
  vmRssTotalKb: number;
  /** Sum of PSS (shared pages split between the processes sharing them): the honest total. */
  pssTotalKb: number;
  /** voiplab: V8 heap in use after a full GC; Kamailio: shared memory in use (core.shmmem real_used). */
  heapUsedKb?: number;
  shmUsedKb?: number;
  /** Bindings the server reports. */
  bindings: number | undefined;
}

function memoryOf(pids: readonly number[]): Pick<MemorySnapshot, 'vmRssKb' | 'vmRssTotalKb' | 'pssTotalKb'> {
  const vmRssKb: Record<string, number> = {};
  let vmRssTotalKb = 0;
  let pssTotalKb = 0;
  for (const pid of pids) {
    const rss = statusKb(pid, 'VmRSS');
    vmRssKb[String(pid)] = rss;
    vmRssTotalKb += rss;
    pssTotalKb += pssKb(pid);
  }
  return { vmRssKb, vmRssTotalKb, pssTotalKb };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function tail(text: string, max = 2000): string {
  return text.length > max ? text.slice(-max) : text;
}

// ---------------------------------------------------------------------------------------------
// Targets

interface Target {
  name: TargetName;
  /** Where SIPp sends: 127.0.0.1:port over UDP. */
  port: number;
  startupMs: number;
  /** The processes whose CPU time is the server's. */
  pids(): number[];
  memory(): Promise<MemorySnapshot>;
  stop(): Promise<void>;
  /** The end of its log, for failure reports. */
  log(): string;
  describe(): Record<string, unknown>;
}

interface Account {
  user: string;
  password: string;
}

function accounts(base: number, count: number): Account[] {
  return Array.from({ length: count }, (_, i) => {
    const user = String(base + i);
    return { user, password: passwordOf(user) };
  });
}

/** voiplab in a child process (bench/ipbx-server.ts), with every bench account in its config. */
async function startVoiplab(dir: string, users: readonly Account[]): Promise<Target & {
  request<T>(message: object, reply: string, timeoutMs?: number): Promise<T>;
}> {
  const configFile = join(dir, 'voiplab.yaml');
  const dataDir = join(dir, 'data');
  const doc = {
    domain: DOMAIN,
    sip: { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] },
    http: { listeners: [{ protocol: 'http', address: '127.0.0.1', port: 0 }] },
    accounts: users.map((a) => ({ extension: a.user, password: a.password, displayName: '' })),
    dialplan: [{ match: CALLEE, action: { type: 'account' } }],
    security: {
      adminToken: ADMIN_TOKEN,
      // Every SIPp request comes from 127.0.0.1: the per-source limit (50/s by default) would turn
      // the bench into a test of the limiter. Kamailio's config has no rate limit either.
      rateLimit: { requestsPerSecond: 1_000_000, burst: 1_000_000 },
    },
  };
  writeFileSync(configFile, stringify(doc), { mode: 0o600 });
  const started = Date.now();
  const child = spawn(process.execPath, [
    '--expose-gc', '--import', 'tsx', SERVER_ENTRY, configFile, dataDir,
  ], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  if (child.pid === undefined) throw new Error('could not start bench/ipbx-server.ts');
  const pid = child.pid;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = tail(stderr + d.toString(), 8000); });

  const request = <T>(message: object, reply: string, timeoutMs = 30_000): Promise<T> => new Promise((resolve, reject) => {
    const onMessage = (m: { reply?: string }) => {
      if (m.reply !== reply) return;
      cleanup();
      resolve(m as T);
    };
    const onExit = () => { cleanup(); reject(new Error(`voiplab exited while waiting for ${reply}\n${stderr}`)); };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`voiplab: no ${reply} in ${timeoutMs} ms`)); }, timeoutMs);
    const cleanup = () => { clearTimeout(timer); child.off('message', onMessage); child.off('exit', onExit); };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });

  const ready = await new Promise<{ sip: Array<{ protocol: string; port: number }>; http: Array<{ port: number }>; startupMs: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`voiplab did not start in 90 s\n${stderr}`)), 90_000);
    child.on('message', (m: { event?: string }) => {
      if (m.event !== 'ready') return;
      clearTimeout(timer);
      resolve(m as never);
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`voiplab exited (${code}) before listening\n${stderr}`)); });
  });
  const sip = ready.sip.find((e) => e.protocol === 'udp');
  const httpPort = ready.http[0]?.port;
  if (sip === undefined || httpPort === undefined) throw new Error('voiplab: no UDP or HTTP listener');

  const bindings = async (): Promise<number | undefined> => {
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const m = /^voiplab_registrations (\d+)/m.exec(await res.text());
      return m === null ? undefined : Number(m[1]);
    } catch {
      return undefined;
    }
  };

  return {
    name: 'voiplab',
    port: sip.port,
    startupMs: Date.now() - started,
    pids: () => [pid],
    memory: async () => {
      const heap = await request<{ heapUsed: number }>({ cmd: 'memory' }, 'memory');
      return { ...memoryOf([pid]), heapUsedKb: Math.round(heap.heapUsed / 1024), bindings: await bindings() };
    },
    stop: async () => {
      if (child.connected) child.send({ cmd: 'stop' });
      if (!(await waitExit(child, 10_000))) {
        child.kill('SIGKILL');
        await waitExit(child, 2_000);
      }
    },
    log: () => stderr,
    describe: () => ({ process: 'node --expose-gc --import tsx bench/ipbx-server.ts (startIpbx, as voiplab serve)', pid, startupInsideMs: ready.startupMs, store: 'SQLite (WAL, synchronous=NORMAL) in a temporary folder', tmpFs: fsTypeOf(dataDir) }),
    request,
  };
}

function fsTypeOf(path: string): string {
  try {
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f.length > 2);
    let best: string[] | undefined;
    for (const f of mounts) {
      const mount = f[1] ?? '';
      if ((path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`)) && (best === undefined || mount.length > (best[1] ?? '').length)) best = f;
    }
    return best === undefined ? 'unknown' : `${best[2]} (${best[1]})`;
  } catch {
    return 'unknown';
  }
}

function kamcmd(ctl: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(KAMCMD_BIN, ['-s', `unix:${ctl}`, ...args], { timeout: 5_000 }, (err, stdout) => (err === null ? resolve(stdout) : reject(new Error(`kamcmd ${args.join(' ')}: ${err.message}`))));
  });
}

async function startKamailio(dir: string, o: IpbxBenchOptions): Promise<Target> {
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { recursive: true });
  const ctl = join(runDir, 'kamailio_ctl');
  const port = await freePort();
  const started = Date.now();
  const args = [
    '-f', KAMAILIO_CFG, '-A', `BENCH_CTL="unix:${ctl}"`,
    '-DD', '-E', '-m', String(o.kamailioShmMb), '-M', '8', '-n', String(o.kamailioChildren),
    '-l', `udp:127.0.0.1:${port}`, '-Y', runDir, '-P', join(runDir, 'kamailio.pid'),
  ];
  const child = spawn(KAMAILIO_BIN, args, { cwd: runDir, stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${KAMAILIO_BIN}`);
  const main = child.pid;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = tail(stderr + d.toString(), 8000); });

  // Ready when its control socket answers; core.psx lists its processes.
  let psx = '';
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}) at start\n${stderr}`);
    try {
      psx = await kamcmd(ctl, 'core.psx');
      break;
    } catch {
      if (waited > 15_000) throw new Error(`kamailio did not answer on ${ctl} in 15 s\n${stderr}`);
      await sleep(100);
    }
  }
  const pids = [...psx.matchAll(/PID:\s*(\d+)/g)].map((m) => Number(m[1]));
  const all = [...new Set([main, ...pids, ...childPids(main)])];
  const version = (await kamcmd(ctl, 'core.version')).trim();

  const bindings = async (): Promise<number | undefined> => {
    const m = /usrloc:location_contacts = (\d+)/.exec(await kamcmd(ctl, 'stats.get_statistics', 'usrloc:'));
    return m === null ? undefined : Number(m[1]);
  };

  return {
    name: 'kamailio',
    port,
    startupMs: Date.now() - started,
    pids: () => all,
    memory: async () => {
      const shm = /real_used:\s*(\d+)/.exec(await kamcmd(ctl, 'core.shmmem'));
      return { ...memoryOf(all), shmUsedKb: shm === null ? undefined : Math.round(Number(shm[1]) / 1024), bindings: await bindings() };
    },
    stop: async () => {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 5_000))) {
        for (const pid of all) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await waitExit(child, 2_000);
      }
    },
    log: () => stderr,
    describe: () => ({
      process: `${KAMAILIO_BIN} ${args.join(' ')}`, version, processes: psx.match(/DSC: .*/g)?.map((s) => s.slice(5)) ?? [],
      pids: all, config: 'bench/kamailio/kamailio.cfg',
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// SIPp runs

interface RunContext {
  dir: string;
  deadline: number;
  target: Target;
}

/** Seconds left for a SIPp run: its own cap, or what remains of the budget (10 s kept for the end). */
function timeoutFor(ctx: RunContext, capS: number): number {
  const left = Math.floor((ctx.deadline - Date.now()) / 1000) - 10;
  if (left < 5) throw new Error('ipbx bench: time budget exhausted (raise --budget or lower --registrations/--calls)');
  return Math.min(capS, left);
}

const authField = (a: Account): string => `[authentication username=${a.user} password=${a.password}]`;

/**
 * A SIPp UAC run against the target, with its CPU time (read once it has exited), from `port`
 * or a free one. `contactPort` fills [contact_port] (register.xml): SIPp's own port, or a given one.
 */
async function sippRun(
  ctx: RunContext, o: Omit<SippRunOptions, 'dir' | 'remote' | 'localPort' | 'timeoutS'>, capS: number, contactPort?: 'own' | number, port?: number,
): Promise<{ run: SippProcess; outcome: SippOutcome; cpuS: number }> {
  const localPort = port ?? await freePort();
  const keys = contactPort === undefined ? o.keys : { ...o.keys, contact_port: String(contactPort === 'own' ? localPort : contactPort) };
  const before = reapedChildrenCpuSeconds();
  const run = runSipp({ ...o, ...(keys === undefined ? {} : { keys }), dir: ctx.dir, localPort, remote: `127.0.0.1:${ctx.target.port}`, timeoutS: timeoutFor(ctx, capS) });
  const outcome = await run.done;
  return { run, outcome, cpuS: reapedChildrenCpuSeconds() - before };
}

function describeFailure(what: string, outcome: SippOutcome, target: Target): string {
  return `${what} against ${target.name}: SIPp exited ${outcome.code ?? outcome.signal}, `
    + `${outcome.stats?.successful ?? 0} successful, ${outcome.stats?.failed ?? '?'} failed\n`
    + `--- SIPp errors ---\n${outcome.errors}\n--- SIPp stderr ---\n${outcome.stderr}\n--- ${target.name} log ---\n${tail(target.log())}`;
}

/**
 * One account registered from `port`, or an error. The callee registers from the port its UAS
 * then listens on: voiplab sends a UDP binding's requests to the address and port the REGISTER
 * came from (the flow, as for NATed phones), not to the Contact's host and port.
 */
async function registerOne(ctx: RunContext, account: Account, port: number): Promise<void> {
  const { outcome } = await sippRun(ctx, {
    scenario: 'register.xml', name: `${ctx.target.name}-register-${account.user}`, calls: 1,
    fields: [[account.user, authField(account)]], defaultBehaviors: 'all,-bye',
  }, 15, 'own', port);
  if (outcome.stats?.successful !== 1) throw new Error(describeFailure(`REGISTER of ${account.user}`, outcome, ctx.target));
}

export interface PhaseResult {
  attempted: number;
  successful: number;
  failed: number;
  failedBy: Record<string, number>;
  retransmissions: number;
  deadCallMsgs: number;
  /** SIPp's StartTime to its final statistics, s. */
  durationS: number;
  /** successful / durationS. */
  rate: number;
  /** Mean time from the first request of a call to the final 200 (REGISTER) or to the INVITE's 200 (calls), ms. */
  responseTimeMs: number | undefined;
  /**
   * CPU seconds over the run: `server` (every process of the measured server), `sipp`, or
   * `sippUac` and `sippUas`, `bench` (this process), and `others`: the rest of the machine's
   * busy time (the other, idle server, other users of the machine). A large `others` means the
   * figures of this run were disturbed.
   */
  cpuS: Record<string, number>;
  /** Server CPU ms per successful registration or call. */
  serverCpuMsPerOp: number;
  /** Server CPU seconds / wall seconds (1 = one core busy). */
  serverCores: number;
  sippExit: number | string | null;
  errors?: string;
}

interface CpuMark {
  server: number;
  machine: number;
  bench: number;
}

function cpuMark(target: Target): CpuMark {
  return { server: cpuSeconds(target.pids()), machine: machineBusySeconds(), bench: benchCpuSeconds() };
}

/** CPU seconds since `mark`, with SIPp's (measured apart) and the rest of the machine. */
function cpuSince(mark: CpuMark, target: Target, sipp: Record<string, number>): Record<string, number> {
  const server = cpuSeconds(target.pids()) - mark.server;
  const bench = benchCpuSeconds() - mark.bench;
  const machine = machineBusySeconds() - mark.machine;
  const sippTotal = Object.values(sipp).reduce((a, b) => a + b, 0);
  return { server, ...sipp, bench, others: Math.max(0, machine - server - sippTotal - bench) };
}

function phaseResult(stats: SippStats | undefined, outcome: SippOutcome, cpuS: Record<string, number>, attempted: number): PhaseResult {
  const durationS = stats === undefined ? outcome.wallMs / 1000 : stats.endEpoch - stats.startEpoch;
  const successful = stats?.successful ?? 0;
  const server = cpuS['server'] ?? 0;
  return {
    attempted,
    successful,
    failed: stats?.failed ?? attempted,
    failedBy: stats?.failedBy ?? {},
    retransmissions: stats?.retransmissions ?? 0,
    deadCallMsgs: stats?.deadCallMsgs ?? 0,
    durationS: round(durationS, 3),
    rate: round(successful / durationS, 1),
    responseTimeMs: stats?.responseTimeMs === undefined ? undefined : round(stats.responseTimeMs, 2),
    cpuS: Object.fromEntries(Object.entries(cpuS).map(([k, v]) => [k, round(v, 2)])),
    serverCpuMsPerOp: successful === 0 ? 0 : round((server * 1000) / successful, 3),
    serverCores: round(server / durationS, 2),
    sippExit: outcome.code ?? outcome.signal,
    ...(outcome.errors === '' ? {} : { errors: outcome.errors.slice(0, 1500) }),
  };
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/**
 * One REGISTER per account, closed loop at -l `limit`. The Contact's port is `contactPort` (the
 * bindings of an earlier run are then refreshed, not added to) or, when absent, SIPp's own port,
 * returned for later runs.
 */
async function registerPhase(ctx: RunContext, users: readonly Account[], limit: number, name: string, contactPort?: number): Promise<PhaseResult & { concurrency: number; contactPort: number }> {
  const port = await freePort();
  const mark = cpuMark(ctx.target);
  const { outcome, cpuS } = await sippRun(ctx, {
    scenario: 'register.xml', name: `${ctx.target.name}-${name}`, calls: users.length, rate: 1_000_000, limit,
    fields: users.map((a) => [a.user, authField(a)]), defaultBehaviors: 'all,-bye',
  }, 60, contactPort ?? 'own', port);
  return { concurrency: limit, contactPort: contactPort ?? port, ...phaseResult(outcome.stats, outcome, cpuSince(mark, ctx.target, { sipp: cpuS }), users.length) };
}

/** Past the knee of a closed-loop ladder: failures, retransmissions above 1 %, or less than 5 % more than the best step before. */
function pastKnee(steps: readonly PhaseResult[]): boolean {
  const step = steps.at(-1);
  if (step === undefined) return false;
  const bestBefore = Math.max(0, ...steps.slice(0, -1).map((x) => x.rate));
  return step.failed > 0 || step.retransmissions > 0.01 * step.attempted || step.rate < 1.05 * bestBefore;
}

/** The best step without failures (or the best step when they all had some). */
function bestStep<T extends PhaseResult>(steps: readonly T[]): T | undefined {
  const clean = steps.filter((x) => x.failed === 0);
  const pool = clean.length > 0 ? clean : steps;
  return pool.length === 0 ? undefined : pool.reduce((a, b) => (b.rate > a.rate ? b : a));
}

/** The best step without failures and with retransmissions under 1 % of its attempts (every answer within T1, nearly). */
function bestQuietStep<T extends PhaseResult & { concurrency: number }>(steps: readonly T[]): { rate: number; concurrency: number } | undefined {
  const quiet = steps.filter((x) => x.failed === 0 && x.retransmissions <= 0.01 * x.attempted);
  const best = quiet.length === 0 ? undefined : quiet.reduce((a, b) => (b.rate > a.rate ? b : a));
  return best === undefined ? undefined : { rate: best.rate, concurrency: best.concurrency };
}

async function callPhase(ctx: RunContext, callers: readonly Account[], calls: number, limit: number, o: IpbxBenchOptions, uasPid: number, name: string, capS: number): Promise<PhaseResult> {
  const rows = Array.from({ length: calls }, (_, i) => callers[i % callers.length] as Account).map((a) => [a.user, authField(a)]);
  const mark = cpuMark(ctx.target);
  const uas0 = cpuSeconds([uasPid]);
  const { outcome, cpuS } = await sippRun(ctx, {
    scenario: 'call-uac.xml', name: `${ctx.target.name}-${name}`, calls, rate: 1_000_000, limit,
    fields: rows, service: CALLEE,
  }, capS);
  return phaseResult(outcome.stats, outcome, cpuSince(mark, ctx.target, { sippUac: cpuS, sippUas: cpuSeconds([uasPid]) - uas0 }), calls);
}

// ---------------------------------------------------------------------------------------------
// One target, end to end

export interface Per10k {
  vmRssKb: number;
  pssKb: number;
  heapUsedKb?: number;
  shmUsedKb?: number;
  bindingsAdded: number | undefined;
}

export interface TargetResult {
  startupMs: number;
  server: Record<string, unknown>;
  /** The best REGISTER step without failures; `steps`: every step (the first registers new accounts, the others refresh them). */
  register: PhaseResult & {
    concurrency: number;
    /** The best step that also kept retransmissions under 1 % (answers within T1). */
    quiet: { rate: number; concurrency: number } | undefined;
    steps: Array<PhaseResult & { concurrency: number; contactPort: number }>;
  };
  memory: {
    /** After the warm-up, before the first REGISTER step (new accounts). */
    before: MemorySnapshot;
    /** 0.3 s after the run. */
    afterRun: MemorySnapshot;
    /** `settledMs` later: what the bindings themselves hold. */
    after: MemorySnapshot;
    settledMs: number;
    /** (after − before) scaled to 10,000 new bindings, kB. */
    per10kRegistrations: Per10k;
    /** The same from `afterRun`: bindings plus what the REGISTER transactions still hold. */
    per10kRightAfterRun: Per10k;
  };
  /** The best step without failures (or the best step when all failed some calls). */
  calls: PhaseResult & { concurrency: number; quiet: { rate: number; concurrency: number } | undefined; steps: Array<PhaseResult & { concurrency: number }>; uasSuccessful?: number };
  warmup: { registrations: number; calls: number; callsSuccessful: number };
  notes: string[];
}

/** One server under test and what was measured of it so far. */
interface Session {
  name: TargetName;
  ctx: RunContext;
  uasPort: number;
  uas?: SippProcess;
  notes: string[];
  /** Set when a step failed: the session does nothing more. */
  error?: string;
  registerSteps: Array<PhaseResult & { concurrency: number; contactPort: number }>;
  before?: MemorySnapshot;
  afterRun?: MemorySnapshot;
  after?: MemorySnapshot;
  settledMs?: number;
  warmupCalls?: PhaseResult;
  steps: Array<PhaseResult & { concurrency: number }>;
  uasSuccessful?: number;
}

/** Runs `step` for each live session in turn; a failure ends that session only. */
async function eachSession(sessions: Session[], what: string, step: (s: Session) => Promise<void>): Promise<void> {
  for (const s of sessions) {
    if (s.error !== undefined) continue;
    try {
      await step(s);
    } catch (err) {
      s.error = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}

async function settle(sessions: Session[], o: IpbxBenchOptions, deadline: number): Promise<number> {
  // Only voiplab keeps REGISTER transactions (Kamailio answers REGISTER statelessly).
  if (!sessions.some((s) => s.name === 'voiplab' && s.error === undefined)) return 0;
  const ms = Math.max(0, Math.min(o.settleMs, deadline - Date.now() - 90_000));
  await sleep(ms);
  return ms;
}

function per10k(before: MemorySnapshot, a: MemorySnapshot, successful: number): Per10k {
  const scale = 10_000 / Math.max(1, successful);
  return {
    vmRssKb: Math.round((a.vmRssTotalKb - before.vmRssTotalKb) * scale),
    pssKb: Math.round((a.pssTotalKb - before.pssTotalKb) * scale),
    ...(a.heapUsedKb !== undefined && before.heapUsedKb !== undefined ? { heapUsedKb: Math.round((a.heapUsedKb - before.heapUsedKb) * scale) } : {}),
    ...(a.shmUsedKb !== undefined && before.shmUsedKb !== undefined ? { shmUsedKb: Math.round((a.shmUsedKb - before.shmUsedKb) * scale) } : {}),
    bindingsAdded: before.bindings !== undefined && a.bindings !== undefined ? a.bindings - before.bindings : undefined,
  };
}

function targetResult(s: Session): TargetResult | undefined {
  const { before, afterRun, after } = s;
  const first = s.registerSteps[0];
  const register = bestStep(s.registerSteps);
  const best = bestStep(s.steps);
  if (first === undefined || register === undefined || best === undefined || before === undefined || afterRun === undefined || after === undefined) return undefined;
  for (const [what, steps, chosen] of [['REGISTER', s.registerSteps, register], ['calls', s.steps, best]] as const) {
    for (const step of steps) {
      if (step.failed > 0 && step !== chosen) {
        s.notes.push(`${what} at -l ${step.concurrency} (past the knee, not the reported step): ${step.failed} of ${step.attempted} failed ${JSON.stringify(step.failedBy)}, ${step.retransmissions} retransmissions`);
      }
    }
  }
  return {
    startupMs: s.ctx.target.startupMs,
    server: s.ctx.target.describe(),
    register: { ...register, quiet: bestQuietStep(s.registerSteps), steps: s.registerSteps },
    memory: {
      before, afterRun, after, settledMs: s.settledMs ?? 0,
      per10kRegistrations: per10k(before, after, first.successful),
      per10kRightAfterRun: per10k(before, afterRun, first.successful),
    },
    calls: { ...best, quiet: bestQuietStep(s.steps), steps: s.steps, ...(s.uasSuccessful === undefined ? {} : { uasSuccessful: s.uasSuccessful }) },
    warmup: { registrations: 0, calls: s.warmupCalls?.attempted ?? 0, callsSuccessful: s.warmupCalls?.successful ?? 0 },
    notes: s.notes,
  };
}

/**
 * Both servers run side by side and the measured steps alternate between them (voiplab's
 * REGISTER run, then Kamailio's; each concurrency step of the calls likewise), so that a change
 * in the machine's background load lands on both rather than on one.
 */
async function runSessions(names: TargetName[], dir: string, deadline: number, o: IpbxBenchOptions): Promise<{ results: Partial<Record<TargetName, TargetResult>>; failures: string[] }> {
  const measured = accounts(MEASURED_BASE, o.registrations);
  const warm = accounts(WARMUP_BASE, o.warmupRegistrations);
  const callee: Account = { user: CALLEE, password: passwordOf(CALLEE) };
  const sessions: Session[] = [];
  const failures: string[] = [];
  try {
    for (const name of names) {
      const targetDir = join(dir, name);
      mkdirSync(targetDir);
      try {
        const target = name === 'voiplab' ? await startVoiplab(targetDir, [callee, ...measured, ...warm]) : await startKamailio(targetDir, o);
        sessions.push({ name, ctx: { dir: targetDir, deadline, target }, uasPort: await freePort(), notes: [], steps: [], registerSteps: [] });
      } catch (err) {
        failures.push(`${name}: start: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // The callee registers from the port its UAS will listen on.
    await eachSession(sessions, 'callee REGISTER', (s) => registerOne(s.ctx, callee, s.uasPort));
    await eachSession(sessions, 'warm-up REGISTER', async (s) => {
      if (warm.length === 0) return;
      const w = await registerPhase(s.ctx, warm, o.registerConcurrency[0] ?? 50, 'register-warmup');
      if (w.failed > 0) s.notes.push(`warm-up REGISTER: ${w.failed} of ${w.attempted} failed`);
    });
    await settle(sessions, o, deadline);
    await eachSession(sessions, 'memory', async (s) => { s.before = await s.ctx.target.memory(); });
    const [firstRegister = 50, ...moreRegister] = o.registerConcurrency;
    await eachSession(sessions, 'REGISTER', async (s) => {
      s.registerSteps.push(await registerPhase(s.ctx, measured, firstRegister, `register-l${firstRegister}`));
      await sleep(300);
      s.afterRun = await s.ctx.target.memory();
    });
    const settledMs = await settle(sessions, o, deadline);
    await eachSession(sessions, 'memory', async (s) => {
      s.after = await s.ctx.target.memory();
      s.settledMs = settledMs;
    });
    for (const concurrency of moreRegister) {
      await eachSession(sessions.filter((s) => !pastKnee(s.registerSteps)), `REGISTER refresh at -l ${concurrency}`, async (s) => {
        s.registerSteps.push(await registerPhase(s.ctx, measured, concurrency, `register-refresh-l${concurrency}`, s.registerSteps[0]?.contactPort));
      });
    }

    await eachSession(sessions, 'UAS', async (s) => {
      s.uas = runSipp({ scenario: 'call-uas.xml', dir: s.ctx.dir, name: `${s.name}-uas`, localPort: s.uasPort, timeoutS: timeoutFor(s.ctx, 200) });
      await sleep(300);
    });
    const firstLevel = o.callConcurrency[0] ?? 25;
    await eachSession(sessions, 'warm-up calls', async (s) => {
      if (o.warmupCalls === 0 || s.uas === undefined) return;
      s.warmupCalls = await callPhase(s.ctx, measured, o.warmupCalls, firstLevel, o, s.uas.pid, 'calls-warmup', 30);
      if (s.warmupCalls.failed > 0) s.notes.push(`warm-up calls: ${s.warmupCalls.failed} of ${s.warmupCalls.attempted} failed`);
    });
    for (const concurrency of o.callConcurrency) {
      await eachSession(sessions.filter((s) => !pastKnee(s.steps)), `calls at -l ${concurrency}`, async (s) => {
        if (s.uas === undefined) return;
        const previous = s.steps.at(-1);
        const count = Math.min(50_000, Math.max(o.calls, Math.round(2 * (previous?.rate ?? 0) * o.stepSeconds)));
        const step = { concurrency, ...await callPhase(s.ctx, measured, count, concurrency, o, s.uas.pid, `calls-l${concurrency}`, 60) };
        s.steps.push(step);
      });
    }
    await eachSession(sessions, 'UAS', async (s) => {
      if (s.uas === undefined) return;
      s.uas.stop();
      s.uasSuccessful = (await s.uas.done).stats?.successful;
      s.uas = undefined;
    });
  } finally {
    for (const s of sessions) {
      s.uas?.stop();
      if (s.uas !== undefined) await s.uas.done.catch(() => undefined);
      await s.ctx.target.stop().catch(() => undefined);
    }
  }

  const results: Partial<Record<TargetName, TargetResult>> = {};
  for (const s of sessions) {
    if (s.error !== undefined) failures.push(`${s.name}: ${s.error}`);
    const t = targetResult(s);
    if (t === undefined) continue;
    t.warmup.registrations = warm.length;
    results[s.name] = t;
    if (t.register.failed > 0) failures.push(`${s.name} register: ${t.register.failed} of ${t.register.attempted} failed ${JSON.stringify(t.register.failedBy)}`);
    if (t.calls.failed > 0) failures.push(`${s.name} calls (-l ${t.calls.concurrency}): ${t.calls.failed} of ${t.calls.attempted} failed ${JSON.stringify(t.calls.failedBy)}`);
  }
  return { results, failures };
}

// ---------------------------------------------------------------------------------------------
// Profile mode: where voiplab spends its CPU under the REGISTER load, then under the calls

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  function: string;
  /** Path relative to the repository, `node:…` for Node's own modules, '' for V8/native code. */
  file: string;
  line: number;
  selfMs: number;
  /** Share of the busy time (samples other than idle). */
  selfPct: number;
  /** Time with this function anywhere on the stack (counted once per sample). */
  totalMs: number;
  totalPct: number;
}

export interface ProfileSummary {
  /** Wall time covered by the profile. */
  wallMs: number;
  /** Sampled time minus (idle). */
  busyMs: number;
  idleMs: number;
  garbageCollectorMs: number;
  /** V8's (program): native work not attributed to a JS frame (libuv, syscalls of the event loop…). */
  programMs: number;
  topSelf: ProfileEntry[];
  topTotal: ProfileEntry[];
  /** Self time per file. */
  byFile: Array<{ file: string; selfMs: number; selfPct: number }>;
  /**
   * Self time of native functions (V8 builtins, C++ bindings: `run`, `send`…) by the nearest
   * JavaScript caller, which tells a SQLite `run` from a crypto job's `run`.
   */
  nativeByCaller: Array<{ native: string; caller: string; file: string; selfMs: number; selfPct: number }>;
  /** Time with any frame of the area on the stack (an area's callees in other areas included). */
  byArea: Array<{ area: string; totalMs: number; totalPct: number; selfMs: number; selfPct: number }>;
}

/** Coarse areas of the hot path, by file (first match wins). */
const AREAS: ReadonlyArray<[string, RegExp]> = [
  ['SIP parse + serialize (ipbx/sip/message)', /^ipbx\/sip\/message\//],
  ['digest auth (ipbx/sip/digest, registrar/digest-check)', /^ipbx\/sip\/digest\/|^ipbx\/registrar\/digest-/],
  ['transactions (ipbx/sip/transaction)', /^ipbx\/sip\/transaction\//],
  ['transport (ipbx/sip/transport)', /^ipbx\/sip\/transport\//],
  ['SIP UA / dialogs (ipbx/sip/ua, dialog)', /^ipbx\/sip\/(ua|dialog)\//],
  ['registrar + location (ipbx/registrar)', /^ipbx\/registrar\//],
  ['SQLite store (ipbx/store, better-sqlite3)', /^ipbx\/store\/|better-sqlite3/],
  ['security guard + rate limiter (ipbx/security)', /^ipbx\/security\//],
  ['B2BUA (ipbx/b2bua)', /^ipbx\/b2bua\//],
  ['events + API (ipbx/events, ipbx/api, fastify)', /^ipbx\/(events|api)\/|fastify/],
  ['router (ipbx/router)', /^ipbx\/router\//],
  ['config (ipbx/config)', /^ipbx\/config\//],
  ['Node: dgram/net', /^node:(dgram|net|internal\/dgram|internal\/net)/],
  ['Node: crypto', /^node:(crypto|internal\/crypto)/],
  ['Node: other', /^node:/],
];

function relativeFile(url: string): string {
  if (url.startsWith('file://')) {
    const path = fileURLToPath(url);
    return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
  }
  return url;
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: CpuProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\t${relativeFile(n.callFrame.url)}\t${n.callFrame.lineNumber + 1}`;
  const areaOf = (file: string): string | undefined => AREAS.find(([, re]) => re.test(file))?.[0];

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  const areaSelf = new Map<string, number>();
  const areaTotal = new Map<string, number>();
  const nativeCaller = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  let program = 0;
  let sampled = 0;
  // Sample i lasts until sample i+1 (what DevTools shows); the last one until endTime.
  let t = profile.startTime;
  const times = profile.timeDeltas.map((d) => (t += d));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] ?? -1);
    if (node === undefined) continue;
    const dt = ((times[i + 1] ?? profile.endTime) - (times[i] ?? profile.endTime)) / 1000;
    if (dt <= 0) continue;
    sampled += dt;
    const name = node.callFrame.functionName;
    if (name === '(idle)') { idle += dt; continue; }
    if (name === '(garbage collector)') gc += dt;
    if (name === '(program)') program += dt;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    const file = relativeFile(node.callFrame.url);
    fileSelf.set(file, (fileSelf.get(file) ?? 0) + dt);
    if (file === '' && !name.startsWith('(')) {
      let caller: CpuProfileNode | undefined;
      for (let id = parent.get(node.id); id !== undefined; id = parent.get(id)) {
        const n = byId.get(id);
        if (n !== undefined && n.callFrame.url !== '') {
          caller = n;
          break;
        }
      }
      const k = `${name}\t${caller?.callFrame.functionName || '(anonymous)'}\t${caller === undefined ? '' : relativeFile(caller.callFrame.url)}`;
      nativeCaller.set(k, (nativeCaller.get(k) ?? 0) + dt);
    }
    const selfArea = areaOf(file);
    if (selfArea !== undefined) areaSelf.set(selfArea, (areaSelf.get(selfArea) ?? 0) + dt);
    const seen = new Set<string>();
    const seenAreas = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id);
      if (n === undefined || n.callFrame.functionName === '(root)') break;
      const k = keyOf(n);
      if (!seen.has(k)) {
        seen.add(k);
        total.set(k, (total.get(k) ?? 0) + dt);
      }
      const area = areaOf(relativeFile(n.callFrame.url));
      if (area !== undefined && !seenAreas.has(area)) {
        seenAreas.add(area);
        areaTotal.set(area, (areaTotal.get(area) ?? 0) + dt);
      }
    }
  }
  const busy = sampled - idle;
  const pct = (ms: number) => round((100 * ms) / Math.max(busy, 1e-9), 1);
  const entry = (key: string): ProfileEntry => {
    const [fn = '', file = '', line = '0'] = key.split('\t');
    const s = self.get(key) ?? 0;
    const tt = total.get(key) ?? 0;
    return { function: fn, file, line: Number(line), selfMs: round(s, 1), selfPct: pct(s), totalMs: round(tt, 1), totalPct: pct(tt) };
  };
  const sortDesc = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    wallMs: round((profile.endTime - profile.startTime) / 1000, 1),
    busyMs: round(busy, 1),
    idleMs: round(idle, 1),
    garbageCollectorMs: round(gc, 1),
    programMs: round(program, 1),
    topSelf: sortDesc(self).slice(0, top).map(([k]) => entry(k)),
    topTotal: sortDesc(total).filter(([k]) => !k.startsWith('(')).slice(0, top).map(([k]) => entry(k)),
    nativeByCaller: sortDesc(nativeCaller).slice(0, top).map(([k, ms]) => {
      const [native = '', caller = '', file = ''] = k.split('\t');
      return { native, caller, file, selfMs: round(ms, 1), selfPct: pct(ms) };
    }),
    byFile: sortDesc(fileSelf).slice(0, top).map(([file, ms]) => ({ file: file === '' ? '(V8 / native)' : file, selfMs: round(ms, 1), selfPct: pct(ms) })),
    byArea: AREAS.map(([area]) => area).filter((a) => areaTotal.has(a)).map((area) => ({
      area, totalMs: round(areaTotal.get(area) ?? 0, 1), totalPct: pct(areaTotal.get(area) ?? 0),
      selfMs: round(areaSelf.get(area) ?? 0, 1), selfPct: pct(areaSelf.get(area) ?? 0),
    })).sort((a, b) => b.totalMs - a.totalMs),
  };
}

export interface IpbxProfileResult {
  date: string;
  node: string;
  cores: number;
  parameters: { registrations: number; warmupRegistrations: number; registerConcurrency: number; calls: number; warmupCalls: number; callConcurrency: number; callHoldMs: number; samplingIntervalUs: number };
  /** The .cpuprofile files (Chrome DevTools, VS Code), kept outside the repository. */
  profiles: { register: string; calls: string | undefined };
  register: { phase: PhaseResult & { concurrency: number }; profile: ProfileSummary };
  calls: { phase: PhaseResult; profile: ProfileSummary } | undefined;
  failures: string[];
  durationMs: number;
  notes: string[];
}

export async function runIpbxProfile(partial: Partial<IpbxBenchOptions> = {}): Promise<IpbxProfileResult> {
  const o: IpbxBenchOptions = { ...DEFAULT_IPBX_BENCH_OPTIONS, ...partial, profile: true };
  // One calls run, at voiplab's knee on the reference machine unless a single level is given.
  const callConcurrency = o.callConcurrency.length === 1 ? o.callConcurrency[0] ?? 50 : 50;
  const callsCount = Math.max(o.calls, 3_000);
  const registerConcurrency = o.registerConcurrency.length === 1 ? o.registerConcurrency[0] ?? 50 : 50;
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'voiplab-ipbx-profile-'));
  const measured = accounts(MEASURED_BASE, o.registrations);
  const warm = accounts(WARMUP_BASE, o.warmupRegistrations);
  const callee: Account = { user: CALLEE, password: passwordOf(CALLEE) };
  const target = await startVoiplab(dir, [callee, ...measured, ...warm]);
  const ctx: RunContext = { dir, deadline: startedAt + o.budgetMs, target };
  const failures: string[] = [];
  let uas: SippProcess | undefined;
  const profiled = async <T>(file: string, work: () => Promise<T>): Promise<{ value: T; profile: ProfileSummary }> => {
    await target.request({ cmd: 'profile-start' }, 'profile-started');
    const value = await work();
    await target.request({ cmd: 'profile-stop', file }, 'profile-stopped', 60_000);
    return { value, profile: summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile) };
  };
  try {
    const uasPort = await freePort();
    await registerOne(ctx, callee, uasPort);
    if (warm.length > 0) await registerPhase(ctx, warm, registerConcurrency, 'register-warmup');
    const registerFile = join(dir, 'register.cpuprofile');
    const reg = await profiled(registerFile, () => registerPhase(ctx, measured, registerConcurrency, 'register'));
    if (reg.value.failed > 0) failures.push(`register: ${reg.value.failed} failed ${JSON.stringify(reg.value.failedBy)}`);

    let calls: IpbxProfileResult['calls'];
    let callsFile: string | undefined;
    if (o.calls > 0) {
      const uasRun = runSipp({ scenario: 'call-uas.xml', dir, name: 'voiplab-uas', localPort: uasPort, timeoutS: timeoutFor(ctx, 150) });
      uas = uasRun;
      await sleep(300);
      if (o.warmupCalls > 0) await callPhase(ctx, measured, o.warmupCalls, callConcurrency, o, uasRun.pid, 'calls-warmup', 30);
      callsFile = join(dir, 'calls.cpuprofile');
      const c = await profiled(callsFile, () => callPhase(ctx, measured, callsCount, callConcurrency, o, uasRun.pid, 'calls', 90));
      if (c.value.failed > 0) failures.push(`calls: ${c.value.failed} failed ${JSON.stringify(c.value.failedBy)}`);
      calls = { phase: c.value, profile: c.profile };
    }
    return {
      date: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      parameters: {
        registrations: o.registrations, warmupRegistrations: o.warmupRegistrations, registerConcurrency,
        calls: callsCount, warmupCalls: o.warmupCalls, callConcurrency, callHoldMs: CALL_HOLD_MS, samplingIntervalUs: 1000,
      },
      profiles: { register: registerFile, calls: callsFile },
      register: { phase: reg.value, profile: reg.profile },
      calls,
      failures,
      durationMs: Date.now() - startedAt,
      notes: [
        'Profiles come from the inspector\'s sampling profiler in the voiplab child (what node --cpu-prof uses), started after the warm-up and stopped when the SIPp run ends: start-up is not in them.',
        'Rates under the profiler are lower than in the comparison run (sampling costs CPU); read the shares, not the rates.',
        'tsx puts each compiled file on one line: line numbers are those of the compiled output, function and file names are exact.',
      ],
    };
  } finally {
    uas?.stop();
    if (uas !== undefined) await uas.done.catch(() => undefined);
    await target.stop();
  }
}

export function summarizeIpbxProfile(r: IpbxProfileResult): string[] {
  const lines = [`ipbx profile: voiplab under load (${r.node})`];
  const show = (title: string, phase: PhaseResult, p: ProfileSummary, file: string | undefined) => {
    lines.push('', `  ${title}: ${phase.successful} ok, ${phase.failed} failed, ${phase.rate}/s; busy ${p.busyMs} ms of ${p.wallMs} ms (GC ${p.garbageCollectorMs} ms, (program) ${p.programMs} ms); profile ${file ?? ''}`);
    lines.push('  top self time:');
    for (const e of p.topSelf.slice(0, 15)) lines.push(`    ${e.selfPct.toFixed(1).padStart(5)} %  ${e.function}  ${e.file || '(native)'}`);
    lines.push('  native self time by JS caller:');
    for (const e of p.nativeByCaller.slice(0, 6)) lines.push(`    ${e.selfPct.toFixed(1).padStart(5)} %  ${e.native} ← ${e.caller}  ${e.file}`);
    lines.push('  by area (inclusive):');
    for (const a of p.byArea) lines.push(`    ${a.totalPct.toFixed(1).padStart(5)} %  ${a.area} (self ${a.selfPct} %)`);
  };
  show('REGISTER', r.register.phase, r.register.profile, r.profiles.register);
  if (r.calls !== undefined) show('calls', r.calls.phase, r.calls.profile, r.profiles.calls);
  for (const f of r.failures) lines.push(`  FAILURE ${f}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The bench

export interface IpbxBenchResult {
  date: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  versions: { voiplab: string; kamailio: string | undefined; sipp: string };
  unit: { register: string; calls: string; cpu: string; memory: string };
  parameters: Omit<IpbxBenchOptions, 'profile'> & { callHoldMs: number; transport: 'udp'; domain: string; digest: string; sippBufferBytes: number };
  targets: Partial<Record<TargetName, TargetResult>>;
  ratios: {
    register: number | undefined;
    cps: number | undefined;
    /** The same from the best steps with retransmissions under 1 % (`quiet`). */
    registerQuiet: number | undefined;
    cpsQuiet: number | undefined;
    /** Server CPU per operation, voiplab / Kamailio (higher = voiplab spends more). */
    serverCpuPerRegistration: number | undefined;
    serverCpuPerCall: number | undefined;
    memoryPer10k: number | undefined;
  };
  aims: { register: { ratio: number; measured: number | undefined; met: boolean | undefined }; cps: { ratio: number; measured: number | undefined; met: boolean | undefined } };
  failures: string[];
  durationMs: number;
  notes: string[];
}

function version(bin: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 5_000 }, (err, stdout) => resolve(err === null ? stdout.split('\n')[0]?.trim() : undefined));
  });
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : round(a / b, 3);

export async function runIpbxBench(partial: Partial<IpbxBenchOptions> = {}): Promise<IpbxBenchResult> {
  const o: IpbxBenchOptions = { ...DEFAULT_IPBX_BENCH_OPTIONS, ...partial };
  const startedAt = Date.now();
  const deadline = startedAt + o.budgetMs;
  const sipp = await sippVersion();
  if (sipp === 'not installed') throw new Error('the ipbx bench needs SIPp (Debian: sip-tester)');
  const targets = o.targets.filter((t) => t !== 'kamailio' || existsSync(KAMAILIO_BIN));
  const notes: string[] = [
    'voiplab is a B2BUA: each call is two dialogs (caller leg and callee leg, two INVITE transactions, two BYEs) and a CDR row in SQLite; Kamailio is a transaction-stateful proxy (record_route, no dialog module, no CDR). Same SIPp traffic, not the same SIP work.',
    'Both servers challenge REGISTER (401) and INVITE (407) with MD5, qop=auth, and remember nonce-counts (Kamailio nonce_count=1); passwords are plain text in both configs (voiplab keeps HA1 hashes computed at start).',
    'voiplab runs with security.rateLimit raised to 1,000,000/s: every SIPp request comes from 127.0.0.1 and the default 50/s per source would be what is measured. Its other protections (ban guard) stay on.',
    `voiplab stores bindings in SQLite (WAL, synchronous=NORMAL) in ${tmpdir()}; Kamailio keeps usrloc in shared memory only (db_mode 0).`,
    'Closed loop: SIPp keeps -l transactions (REGISTER) or calls in flight and starts a new one as soon as one ends; rates are successful / (SIPp start → last statistics dump).',
    'Memory per 10,000 registrations is read after the REGISTER transactions are gone (settleMs). voiplab: VmRSS/PSS keep the V8 heap\'s high-water mark of the run (V8 and malloc do not give pages back at once), heapUsedKb (after a full GC) is what the bindings hold in the heap. Kamailio: usrloc lives in shared memory (shmUsedKb); PSS splits those pages between its processes, the VmRSS sum counts them once per process that touched them.',
    'All processes share the machine\'s cores: compare CPU seconds per operation as well as rates; a server can be starved by SIPp.',
  ];
  if (targets.length < o.targets.length) notes.push(`${KAMAILIO_BIN} not found: Kamailio not measured`);

  const dir = mkdtempSync(join(tmpdir(), 'voiplab-ipbx-bench-'));
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  let result: Partial<Record<TargetName, TargetResult>> = {};
  let failures: string[] = [];
  try {
    ({ results: result, failures } = await runSessions(targets, dir, deadline, o));
  } finally {
    if (failures.length === 0) rmSync(dir, { recursive: true, force: true });
    else notes.push(`SIPp logs and server folders kept in ${dir}`);
  }
  notes.push(`load average before the run: ${loadBefore}; see cpuS.others in each phase for what else ran meanwhile`);

  const v = result.voiplab;
  const k = result.kamailio;
  const registerRatio = ratio(v?.register.rate, k?.register.rate);
  const cpsRatio = ratio(v?.calls.rate, k?.calls.rate);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    versions: { voiplab: pkg.version, kamailio: existsSync(KAMAILIO_BIN) ? await version(KAMAILIO_BIN, ['-v']) : undefined, sipp },
    unit: { register: 'successful digest REGISTERs/s (401 + 200 each)', calls: 'completed calls/s', cpu: 'CPU seconds (utime + stime)', memory: 'kB' },
    parameters: {
      targets: o.targets, registrations: o.registrations, warmupRegistrations: o.warmupRegistrations, registerConcurrency: o.registerConcurrency,
      calls: o.calls, stepSeconds: o.stepSeconds, warmupCalls: o.warmupCalls, callConcurrency: o.callConcurrency, callHoldMs: CALL_HOLD_MS, settleMs: o.settleMs, kamailioChildren: o.kamailioChildren, kamailioShmMb: o.kamailioShmMb,
      budgetMs: o.budgetMs, transport: 'udp', domain: DOMAIN, digest: 'MD5, qop=auth', sippBufferBytes: 4 * 1024 * 1024,
    },
    targets: result,
    ratios: {
      register: registerRatio,
      cps: cpsRatio,
      registerQuiet: ratio(v?.register.quiet?.rate, k?.register.quiet?.rate),
      cpsQuiet: ratio(v?.calls.quiet?.rate, k?.calls.quiet?.rate),
      serverCpuPerRegistration: ratio(v?.register.serverCpuMsPerOp, k?.register.serverCpuMsPerOp),
      serverCpuPerCall: ratio(v?.calls.serverCpuMsPerOp, k?.calls.serverCpuMsPerOp),
      memoryPer10k: ratio(v?.memory.per10kRegistrations.pssKb, k?.memory.per10kRegistrations.pssKb),
    },
    aims: {
      register: { ratio: AIMS.register, measured: registerRatio, met: registerRatio === undefined ? undefined : registerRatio >= AIMS.register },
      cps: { ratio: round(AIMS.cps, 3), measured: cpsRatio, met: cpsRatio === undefined ? undefined : cpsRatio >= AIMS.cps },
    },
    failures,
    durationMs: Date.now() - startedAt,
    notes,
  };
}

export function summarizeIpbxBench(r: IpbxBenchResult): string[] {
  const lines = [`ipbx: voiplab vs Kamailio over SIPp/UDP (${r.node}, ${r.versions.kamailio ?? 'no kamailio'}, ${r.versions.sipp}, ${r.cores} cores)`, ''];
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (x: number | undefined, d = 0) => (x === undefined ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  lines.push(`  ${pad('', 10)} ${pad('REGISTER/s', 11)} ${pad('fail', 5)} ${pad('retr', 5)} ${pad('cpu ms/reg', 11)} ${pad('calls/s', 8)} ${pad('fail', 5)} ${pad('cpu ms/call', 12)} ${pad('kB/10k reg: PSS', 16)} heap|shm`);
  for (const [name, t] of Object.entries(r.targets)) {
    lines.push(`  ${pad(name, 10)} ${pad(num(t.register.rate), 11)} ${pad(num(t.register.failed), 5)} ${pad(num(t.register.retransmissions), 5)} ${pad(num(t.register.serverCpuMsPerOp, 3), 11)} `
      + `${pad(num(t.calls.rate), 8)} ${pad(num(t.calls.failed), 5)} ${pad(num(t.calls.serverCpuMsPerOp, 3), 12)} ${pad(num(t.memory.per10kRegistrations.pssKb), 16)} `
      + `${num(t.memory.per10kRegistrations.heapUsedKb ?? t.memory.per10kRegistrations.shmUsedKb)}`);
  }
  lines.push('');
  for (const [name, t] of Object.entries(r.targets)) {
    lines.push(`  ${name} REGISTER/s by concurrency: ${t.register.steps.map((x, i) => `-l ${x.concurrency}${i === 0 ? ' (new)' : ''}: ${num(x.rate)}${x.failed > 0 ? ` (${x.failed} failed)` : ''}${x.retransmissions > 0 ? ` [${x.retransmissions} retr]` : ''}`).join(', ')}; best at -l ${t.register.concurrency}`);
  }
  for (const [name, t] of Object.entries(r.targets)) {
    lines.push(`  ${name} calls/s by concurrency: ${t.calls.steps.map((x) => `-l ${x.concurrency}: ${num(x.rate)}${x.failed > 0 ? ` (${x.failed} failed)` : ''}${x.retransmissions > 0 ? ` [${x.retransmissions} retr]` : ''}`).join(', ')}; best at -l ${t.calls.concurrency}`);
  }
  for (const [name, t] of Object.entries(r.targets)) {
    lines.push(`  ${name} CPU s: REGISTER server ${num(t.register.cpuS['server'], 2)} / SIPp ${num(t.register.cpuS['sipp'], 2)} in ${num(t.register.durationS, 2)} s; `
      + `calls server ${num(t.calls.cpuS['server'], 2)} / UAC ${num(t.calls.cpuS['sippUac'], 2)} / UAS ${num(t.calls.cpuS['sippUas'], 2)} in ${num(t.calls.durationS, 2)} s`);
  }
  lines.push('');
  lines.push(`  voiplab / Kamailio: REGISTER ${num(r.ratios.register, 3)} (aim ≥ ${AIMS.register}${r.aims.register.met === undefined ? '' : r.aims.register.met ? ', met' : ', NOT met'}), `
    + `calls/s ${num(r.ratios.cps, 3)} (aim ≥ ${num(AIMS.cps, 2)}${r.aims.cps.met === undefined ? '' : r.aims.cps.met ? ', met' : ', NOT met'})`);
  lines.push(`  with retransmissions under 1 % only: REGISTER ${num(r.ratios.registerQuiet, 3)}, calls/s ${num(r.ratios.cpsQuiet, 3)}`);
  for (const f of r.failures) lines.push(`  FAILURE ${f.split('\n')[0] ?? ''}`);
  return lines;
}
