// Runs SIPp (Debian package sip-tester) as a real foreign peer: one scenario, bounded in time,
// with its exit status (0 = every call succeeded) and error log for assertion messages.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindable } from '../../scenarios/runner/phones/free-port.ts';

export { freePort } from '../../scenarios/runner/phones/free-port.ts';

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** SIPp's error log (-trace_err), where failed expectations are explained. */
  errors: string;
  /** Every message SIPp sent and received (-trace_msg). */
  messages: string;
}

export interface SippOptions {
  /** Built-in scenario name (`uac`, `uas`) or a path to an XML scenario. */
  scenario: string;
  /** `host:port` of the peer for a UAC; omitted for a UAS. */
  remote?: string;
  transport: 'udp' | 'tcp';
  localPort: number;
  calls?: number;
  /** Rows for `[field0]`, `[field1]`... (`-inf`). */
  fields?: string[][];
  extraArgs?: string[];
  /** Hard bound on the run; SIPp is killed after it. */
  timeoutMs?: number;
  service?: string;
}

/** The kernel's ephemeral port range (Linux), from which connect() and bind(0) pick ports. */
function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 1024) return { low, high };
  } catch { /* not Linux: fall through */ }
  return { low: 32_768, high: 60_999 };
}

/**
 * A port where nothing listens and that no outgoing connection or port-0 listener can be given
 * meanwhile: it is below the ephemeral range, so a test that advertises it (a Contact nobody can
 * reach) never finds it reused as some connection's source port.
 */
export async function deadPort(): Promise<number> {
  const { low } = ephemeralRange();
  const start = Math.max(1025, low - 10_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = start + Math.floor(Math.random() * (low - start));
    if (await bindable(candidate) === candidate) return candidate;
  }
  throw new Error('no unused port found below the ephemeral range');
}

export function runSipp(options: SippOptions): { done: Promise<SippResult>; kill: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'voiplab-sipp-'));
  const args = [
    ...(options.scenario === 'uac' || options.scenario === 'uas' ? ['-sn', options.scenario] : ['-sf', options.scenario]),
    '-i', '127.0.0.1', '-p', String(options.localPort),
    '-t', options.transport === 'udp' ? 'u1' : 't1',
    '-m', String(options.calls ?? 1),
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    '-trace_msg', '-message_file', join(dir, 'messages.log'),
    '-timeout', `${Math.round((options.timeoutMs ?? 20_000) / 1000)}s`, '-timeout_error',
    '-nostdin',
    ...(options.service === undefined ? [] : ['-s', options.service]),
    ...(options.extraArgs ?? []),
  ];
  if (options.fields !== undefined) {
    const file = join(dir, 'fields.csv');
    writeFileSync(file, 'SEQUENTIAL\n' + options.fields.map((row) => row.join(';') + ';').join('\n') + '\n');
    args.push('-inf', file);
  }
  if (options.remote !== undefined) args.push(options.remote);
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const killTimer = setTimeout(() => child.kill('SIGKILL'), (options.timeoutMs ?? 20_000) + 5_000);
  const done = new Promise<SippResult>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killTimer);
      resolve({ code, stdout, stderr, errors: readIfExists(dir, 'errors.log'), messages: readIfExists(dir, 'messages.log') });
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

function readIfExists(dir: string, name: string): string {
  return readdirSync(dir).includes(name) ? readFileSync(join(dir, name), 'utf8') : '';
}
