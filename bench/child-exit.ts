// Waiting, bounded, for a child process the benches started (SIPp, the IPBX server) to exit.

import type { ChildProcess } from 'node:child_process';

/** True once `child` has exited (at once if it has), false after `ms`. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
