// A real embedded rtpengine for tests: its ng port on 127.0.0.1, a random 2000-port RTP window in
// 20000-29999 (below the kernel's ephemeral range, and rarely shared by tests running in parallel;
// rtpengine skips ports it cannot bind anyway), its DTMF log received by a listener, and every
// log line kept for assertion messages.

import type { NgDictionary } from '../../ipbx/media/media-control.ts';
import { DtmfLogListener } from '../../ipbx/media/rtpengine/dtmf-log-listener.ts';
import { RtpengineProcess, type RtpengineProcessOptions } from '../../ipbx/media/rtpengine/rtpengine-process.ts';
import { RtpenginePool } from '../../ipbx/media/rtpengine/rtpengine-pool.ts';
import { freePort } from './sipp.ts';

/** Offer/answer flags for a plain RTP/AVP leg (a desk phone, SIPp, the RtpEndpoint helper). */
export const PLAIN_RTP_FLAGS: NgDictionary = {
  ICE: 'remove', DTLS: 'off', SDES: ['off'], 'rtcp-mux': ['demux'], 'transport-protocol': 'RTP/AVP',
};

export interface StartRtpengineOptions extends Omit<RtpengineProcessOptions, 'ngPort' | 'portMin' | 'portMax' | 'dtmfLogDestination'> {
  /** Receive the DTMF log (onDtmf). Default true. */
  dtmf?: boolean;
  /** ng timeouts of the control. Defaults: 500 ms, 2 retries. */
  timeoutMs?: number;
  retries?: number;
}

export interface StartedRtpengine {
  control: RtpenginePool;
  process: RtpengineProcess;
  ngPort: number;
  portMin: number;
  portMax: number;
  /** rtpengine's and the pool's log lines so far. */
  logLines: string[];
  close(): Promise<void>;
}

const WINDOW = 2000;

export async function startRtpengine(options: StartRtpengineOptions = {}): Promise<StartedRtpengine> {
  const { dtmf = true, timeoutMs = 500, retries = 2, ...processOptions } = options;
  const logLines: string[] = [];
  const log = (line: string): void => { logLines.push(line); options.log?.(line); };
  const portMin = 20_000 + 100 * Math.floor(Math.random() * ((10_000 - WINDOW) / 100));
  const portMax = portMin + WINDOW - 1;
  const dtmfLog = dtmf ? await DtmfLogListener.listen({ log }) : undefined;
  const process = new RtpengineProcess({
    ...processOptions,
    ngPort: await freePort(),
    portMin,
    portMax,
    log,
    ...(dtmfLog === undefined ? {} : { dtmfLogDestination: dtmfLog.endpoint }),
  });
  try {
    await process.start();
  } catch (err) {
    await dtmfLog?.close();
    throw err;
  }
  const { port: ngPort } = process.ngEndpoint;
  const control = new RtpenginePool({
    instances: [{ name: 'embedded', address: '127.0.0.1', port: ngPort, process }],
    timeoutMs,
    retries,
    log,
    ...(dtmfLog === undefined ? {} : { dtmfLog }),
  });
  return { control, process, ngPort, portMin, portMax, logLines, close: () => control.close() };
}
