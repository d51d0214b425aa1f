// Builds the rtpengine MediaControl from plain options (the lead maps voiplab.yaml onto them):
// an embedded rtpengine voiplab runs and supervises, external instances it only talks to, or both.
// The DTMF log listener is started first so the embedded rtpengine can be pointed at it.

import type { MediaControl } from '../media-control.ts';
import { MediaError } from '../media-error.ts';
import { DtmfLogListener } from './dtmf-log-listener.ts';
import { RtpengineProcess, type RtpengineProcessOptions } from './rtpengine-process.ts';
import { RtpenginePool, type RtpengineInstanceSpec } from './rtpengine-pool.ts';

export interface ExternalRtpengine {
  /** Its ng listener. */
  address: string;
  port: number;
  /** Share of new calls. Default 1. */
  weight?: number;
}

export interface RtpengineControlOptions {
  /** Run an rtpengine (its `log` defaults to this function's `log`; its dtmfLogDestination to the listener below). */
  embedded?: RtpengineProcessOptions & { weight?: number };
  external?: ExternalRtpengine[];
  /** Per ng attempt. Default 1000 ms. */
  timeoutMs?: number;
  /** Retransmissions per ng command. Default 2. */
  retries?: number;
  /** How often a down instance is pinged. Default 2000 ms. */
  healthCheckIntervalMs?: number;
  /** How long an external instance may be down before its calls are reported lost. Default 10 000 ms. */
  lostGraceMs?: number;
  /**
   * Where rtpengine's DTMF log is received (`onDtmf`). Default: 127.0.0.1 on a free port when there
   * is an embedded instance; none otherwise (an external rtpengine must be configured with
   * `dtmf-log-dest` pointing at an explicit address here). `false`: no listener.
   */
  dtmfLog?: { address?: string; port?: number } | false;
  log?: (line: string) => void;
}

/** Starts what the options describe and resolves a MediaControl once the embedded rtpengine (if any) answers. */
export async function createRtpengineControl(options: RtpengineControlOptions): Promise<MediaControl> {
  const { embedded, external = [], log } = options;
  if (embedded === undefined && external.length === 0) {
    throw new MediaError('MEDIA_NO_INSTANCE', 'rtpengine: neither an embedded nor an external instance is configured');
  }
  const wantsDtmfLog = options.dtmfLog !== false && (options.dtmfLog !== undefined || embedded !== undefined);
  const dtmfLog = wantsDtmfLog ? await DtmfLogListener.listen({ ...(options.dtmfLog || {}), ...(log === undefined ? {} : { log }) }) : undefined;
  const instances: RtpengineInstanceSpec[] = [];
  try {
    if (embedded !== undefined) {
      const process = new RtpengineProcess({
        ...(log === undefined ? {} : { log }),
        ...(dtmfLog === undefined ? {} : { dtmfLogDestination: dtmfLog.endpoint }),
        ...embedded,
      });
      await process.start();
      instances.push({ name: 'embedded', ...process.ngEndpoint, process, ...(embedded.weight === undefined ? {} : { weight: embedded.weight }) });
    }
  } catch (err) {
    await dtmfLog?.close();
    throw err;
  }
  external.forEach((instance, index) => {
    instances.push({ name: `external#${index + 1} ${instance.address}:${instance.port}`, ...instance });
  });
  const pool = new RtpenginePool({
    instances,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    healthCheckIntervalMs: options.healthCheckIntervalMs,
    lostGraceMs: options.lostGraceMs,
    log,
    dtmfLog,
  });
  await pool.checkInstances();
  return pool;
}
