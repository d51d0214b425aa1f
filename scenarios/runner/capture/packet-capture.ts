// A packet capture of SIP traffic with dumpcap (or tshark): started as a child process writing
// one pcap file, filtered to given addresses and ports, stopped by its PID. When no capture tool
// is installed, or it may not capture (no permission on the interface), the capture is reported
// unavailable with the reason instead of failing anything.

import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Tried in order: dumpcap is the capture engine tshark itself runs. */
export const CAPTURE_TOOLS = ['dumpcap', 'tshark'] as const;
const START_BOUND_MS = 5000;
const STOP_BOUND_MS = 5000;

export interface CaptureEndpoint {
  address: string;
  port: number;
}

export interface CaptureOptions {
  file: string;
  endpoints: readonly CaptureEndpoint[];
  /** Tool names (looked up in PATH) or paths; CAPTURE_TOOLS by default. */
  tools?: readonly string[];
}

/** Where a capture went: its file, or why there is none. */
export type CaptureOutcome = { file: string } | { unavailable: string };

/** The first of `tools` that is an executable file (a path, or a name in PATH). */
export async function findCaptureTool(tools: readonly string[] = CAPTURE_TOOLS, path = process.env['PATH'] ?? ''): Promise<string | undefined> {
  for (const tool of tools) {
    const candidates = tool.includes('/') ? [tool] : path.split(delimiter).filter((d) => d !== '').map((d) => join(d, tool));
    for (const candidate of candidates) {
      if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
    }
  }
  return undefined;
}

/** A BPF filter: traffic to or from any of the endpoints. */
export function captureFilter(endpoints: readonly CaptureEndpoint[]): string {
  return endpoints.map((e) => `(host ${e.address} and port ${e.port})`).join(' or ');
}

const isLoopback = (address: string): boolean => address.startsWith('127.') || address === '::1';

export class PacketCapture {
  readonly file: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #stderr = '';

  private constructor(file: string, child: ChildProcess) {
    this.file = file;
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.#stderr = (this.#stderr + chunk).slice(-4000); });
  }

  /** Starts capturing and waits until the tool says it captures; the reason when it cannot. */
  static async start(options: CaptureOptions): Promise<PacketCapture | { unavailable: string }> {
    const tool = await findCaptureTool(options.tools);
    if (tool === undefined) return { unavailable: `no capture tool: none of ${(options.tools ?? CAPTURE_TOOLS).join(', ')} is installed (Debian package tshark)` };
    if (options.endpoints.length === 0) return { unavailable: 'the target names no SIP address to capture' };
    await mkdir(join(options.file, '..'), { recursive: true });
    const iface = options.endpoints.every((e) => isLoopback(e.address)) ? 'lo' : 'any';
    const format = tool.endsWith('tshark') ? ['-F', 'pcap'] : ['-P'];
    const child = spawn(tool, ['-i', iface, '-f', captureFilter(options.endpoints), '-w', options.file, ...format, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.once('error', () => undefined); // reported through the exit below
    const capture = new PacketCapture(options.file, child);
    const ready = await capture.#waitUntilCapturing();
    if (ready !== undefined) {
      await capture.#end();
      return { unavailable: `${tool} cannot capture on ${iface}: ${ready}` };
    }
    return capture;
  }

  /** Ends the capture (SIGTERM to its PID, SIGKILL if it lingers) and says where it went. */
  async stop(): Promise<CaptureOutcome> {
    await this.#end();
    const size = await stat(this.file).then((s) => s.size, () => 0);
    return size > 0 ? { file: this.file } : { unavailable: `the capture wrote nothing${this.#stderr === '' ? '' : `: ${lastLine(this.#stderr)}`}` };
  }

  /** Undefined once capturing, else why not. */
  async #waitUntilCapturing(): Promise<string | undefined> {
    const deadline = performance.now() + START_BOUND_MS;
    let exited = false;
    void this.#exited.then(() => { exited = true; });
    for (;;) {
      if (/Capturing on/i.test(this.#stderr)) return undefined;
      if (exited) return lastLine(this.#stderr) || 'it exited at once';
      if (performance.now() > deadline) return `it did not start capturing within ${START_BOUND_MS} ms`;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async #end(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null || this.#child.pid === undefined) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_BOUND_MS);
    await this.#exited;
    clearTimeout(timer);
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => !/^Capturing on|^File:/.test(l)).at(-1)?.trim() ?? '';
}
