// The media plane `voiplab serve` runs, from the config's `media` section: passthrough (SDP
// relayed, RTP between the phones), or rtpengine — an embedded instance voiplab starts and
// supervises and/or external ones — with prompts, music on hold and recordings.

import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { passthroughMedia, type MediaHook } from '../b2bua/media-hook.ts';
import type { VoiplabConfig } from '../config/config-schema.ts';
import type { MediaControl, MediaDtmfEvent } from './media-control.ts';
import { PromptCatalog } from './prompts/prompt-catalog.ts';
import { createRtpengineControl } from './rtpengine/create-rtpengine-control.ts';
import { RtpengineMediaHook, type RecordingSink } from './rtpengine-media-hook.ts';

export interface MediaPlane {
  hook: MediaHook;
  /** The prompt id (or absolute WAV path) of a dialplan announcement to its file; undefined when unknown. */
  promptFile(prompt: string): string | undefined;
  /** Registers what happens to RFC 4733 digits rtpengine saw (SIP INFO translation). */
  onDtmf(listener: (event: MediaDtmfEvent) => void): void;
  /** Registers what happens to calls whose media sessions are lost. */
  onSessionsLost(listener: (callIds: string[], reason: string) => void): void;
  close(): Promise<void>;
}

export interface MediaPlaneOptions {
  media: VoiplabConfig['media'];
  /** rtpengine's raw recordings go to `<dataDir>/rtpengine-recordings`. */
  dataDir: string;
  /** Makes WAVs of finished recordings (ipbx/media/recording); none = recordings are not kept. */
  recordings?: (rawDir: string) => RecordingSink | undefined;
  log: (line: string) => void;
}

/** The machine's first non-internal IPv4 address, which phones on the LAN can send media to. */
export function firstLanAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found !== undefined) return found.address;
  }
  return '127.0.0.1';
}

export async function startMediaPlane(options: MediaPlaneOptions): Promise<MediaPlane> {
  const { media, log } = options;
  if (media.mode === 'passthrough') {
    return {
      hook: passthroughMedia, promptFile: () => undefined,
      onDtmf: () => undefined, onSessionsLost: () => undefined, close: () => Promise.resolve(),
    };
  }
  const prompts = new PromptCatalog({ overrideDir: media.prompts.dir, musicOnHoldFile: media.musicOnHold.file });
  const rtpengine = media.rtpengine;
  const rawRecordings = options.dataDir === ':memory:' ? undefined : join(options.dataDir, 'rtpengine-recordings');
  const control: MediaControl = await createRtpengineControl({
    ...(rtpengine.embedded ? {
      embedded: {
        binary: rtpengine.binary,
        address: rtpengine.address ?? firstLanAddress(),
        ...(rtpengine.advertisedAddress === undefined ? {} : { advertisedAddress: rtpengine.advertisedAddress }),
        portMin: rtpengine.portMin, portMax: rtpengine.portMax, ngPort: rtpengine.ngPort,
        ...(rawRecordings === undefined ? {} : { recordingDir: rawRecordings }),
      },
    } : {}),
    external: rtpengine.instances.map((i) => ({ address: i.address, port: i.port, weight: i.weight })),
    timeoutMs: rtpengine.timeoutMs, retries: rtpengine.retries, log,
  });
  const where = [
    ...(rtpengine.embedded ? [`embedded rtpengine on ${rtpengine.address ?? firstLanAddress()} RTP ports ${rtpengine.portMin}-${rtpengine.portMax}`] : []),
    ...rtpengine.instances.map((i) => `rtpengine ${i.address}:${i.port}`),
  ];
  log(`Media ${where.join(', ')}`);
  const hook = new RtpengineMediaHook({
    control,
    musicOnHoldFile: media.musicOnHold.enabled ? prompts.musicOnHoldFile() : undefined,
    recordings: rawRecordings === undefined ? undefined : options.recordings?.(rawRecordings),
    report: (err) => log(`media: ${err instanceof Error ? err.message : String(err)}`),
  });
  return {
    hook,
    promptFile: (prompt) => {
      if (isAbsolute(prompt)) return existsSync(prompt) ? prompt : undefined;
      return prompts.has(prompt, media.prompts.language) ? prompts.promptFile(prompt, media.prompts.language) : undefined;
    },
    onDtmf: (listener) => control.onDtmf(listener),
    onSessionsLost: (listener) => control.onSessionsLost(listener),
    close: () => control.close(),
  };
}
