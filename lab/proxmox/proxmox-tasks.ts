// Proxmox's asynchronous tasks: a write that takes time answers with a UPID
// (`UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:`), and the task is done when
// GET /nodes/{node}/tasks/{upid}/status says `stopped`; it succeeded iff exitstatus is OK (or WARNINGS).

import { LabError } from '../lab-error.ts';
import { pollUntil, type LabClock } from '../http/poll.ts';
import { classifyProxmoxFailure, type ProxmoxClient } from './proxmox-client.ts';

export interface Upid {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
}

export function parseUpid(upid: string): Upid {
  const fields = upid.split(':');
  if (fields.length < 9 || fields[0] !== 'UPID') throw new LabError('LAB_BAD_RESPONSE', `${JSON.stringify(upid)} is not a Proxmox task id (UPID:node:pid:pstart:starttime:type:id:user:)`);
  return { upid, node: fields[1] ?? '', type: fields[5] ?? '', id: fields[6] ?? '', user: fields[7] ?? '' };
}

export interface TaskWait {
  timeoutMs: number;
  intervalMs: number;
  clock?: LabClock;
}

export const DEFAULT_TASK_WAIT: TaskWait = { timeoutMs: 10 * 60_000, intervalMs: 1_000 };

interface TaskStatus {
  status: 'running' | 'stopped';
  exitstatus?: string;
}

/** Waits for a UPID to stop; throws a LabError that quotes the exit status (and log tail) on failure. */
export async function waitForTask(client: ProxmoxClient, upid: string, what: string, wait: TaskWait = DEFAULT_TASK_WAIT): Promise<void> {
  const task = parseUpid(upid);
  const path = `/nodes/${encodeURIComponent(task.node)}/tasks/${encodeURIComponent(upid)}/status`;
  const status = await pollUntil(async () => {
    const s = await client.get<TaskStatus>(path);
    return s.status === 'stopped' ? s : undefined;
  }, { ...wait, retryable: (err) => err instanceof LabError && err.code === 'LAB_UNREACHABLE' }, () => new LabError('LAB_TASK_TIMEOUT', `${what}: task ${upid} did not finish within ${Math.round(wait.timeoutMs / 1000)} s; look at it in the Proxmox task list, then rerun (finished steps are skipped)`));
  const exit = status.exitstatus ?? '';
  if (exit === 'OK' || exit.startsWith('WARNINGS')) return;
  const log = await taskLogTail(client, task);
  const text = `${exit}${log === '' ? '' : ` (log: ${log})`}`;
  const classified = classifyProxmoxFailure(text);
  if (classified !== undefined) throw new LabError(classified.code, `${what}: ${text}: ${classified.hint}`);
  throw new LabError('LAB_TASK_FAILED', `${what}: task ${task.type} failed: ${text}`);
}

async function taskLogTail(client: ProxmoxClient, task: Upid): Promise<string> {
  try {
    const lines = await client.get<Array<{ n: number; t: string }>>(`/nodes/${encodeURIComponent(task.node)}/tasks/${encodeURIComponent(task.upid)}/log`, { limit: 500 });
    return lines.slice(-5).map((l) => l.t).filter((t) => t !== '' && t !== 'TASK OK').join(' | ');
  } catch {
    return ''; // the log is a bonus; the exit status already says it failed
  }
}
