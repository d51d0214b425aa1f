// An IPBX with rtpengine media and call queues, and emulated desk phones (the scenario runner's
// emulator: real SIP over UDP, G.711 RTP, a tone each, tone detection) registered to it: agents
// 100x, callers 200x. Helpers wait for a phone to ring, answer it, and hear a tone or the music.

import { MUSIC_ON_HOLD_NOTES_HZ } from '../../ipbx/media/prompts/prompt-set.ts';
import { detectTone } from '../../scenarios/audio/tone-detector.ts';
import { DeskPhone } from '../../scenarios/runner/phone-emulator/desk-phone.ts';
import { SipTrace } from '../../scenarios/runner/phone-emulator/sip-trace.ts';
import { rtpengineMedia, startHarness, type IpbxHarness } from './ipbx-harness.ts';

export const AGENTS = ['1001', '1002', '1003', '1004'] as const;
export const CALLERS = ['2001', '2002', '2003'] as const;

/** Each phone's microphone: a tone of its own (agents 1100 Hz + 100 per agent, callers 700 Hz + 100 per caller). */
export function toneOf(extension: string): number {
  const n = Number(extension.slice(-1));
  return extension.startsWith('1') ? 1000 + 100 * n : 600 + 100 * n;
}

export interface QueueLab {
  harness: IpbxHarness;
  phones: Map<string, DeskPhone>;
  phone(extension: string): DeskPhone;
  close(): Promise<void>;
}

export interface QueueLabOptions {
  queues: unknown[];
  /** Rules before the default `_1XXX`/`_2XXX` account rules. */
  dialplan?: unknown[];
  /** Phones to start and register (default: every agent and caller). */
  registered?: readonly string[];
  dataDir?: string;
  /** Extra media settings (prompts, music on hold), merged into the rtpengine media config. */
  media?: Record<string, unknown>;
}

export async function startQueueLab(options: QueueLabOptions): Promise<QueueLab> {
  const harness = await startHarness({
    accounts: [...AGENTS, ...CALLERS].map((extension) => ({ extension, password: passwordOf(extension), displayName: `Phone ${extension}` })),
    dialplan: [...(options.dialplan ?? []), { match: '_1XXX', action: { type: 'account' } }, { match: '_2XXX', action: { type: 'account' } }],
    extra: { queues: options.queues, media: rtpengineMedia(options.media) },
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  const phones = new Map<string, DeskPhone>();
  try {
    const trace = new SipTrace();
    for (const extension of options.registered ?? [...AGENTS, ...CALLERS]) {
      const phone = await DeskPhone.start({
        name: extension, user: extension, password: passwordOf(extension), domain: harness.domain, protocol: 'udp',
        proxy: { protocol: 'udp', address: '127.0.0.1', port: harness.port('udp') }, toneHz: toneOf(extension), trace,
      });
      phones.set(extension, phone);
      const status = await phone.register(300, 5000);
      if (status !== 200) throw new Error(`${extension} could not register: ${status}`);
    }
  } catch (err) {
    await Promise.all([...phones.values()].map((p) => p.close()));
    await harness.close();
    throw err;
  }
  return {
    harness,
    phones,
    phone: (extension) => {
      const phone = phones.get(extension);
      if (phone === undefined) throw new Error(`no phone ${extension} in this lab`);
      return phone;
    },
    close: async () => {
      await Promise.all([...phones.values()].map((p) => p.close()));
      await harness.close();
    },
  };
}

export function passwordOf(extension: string): string {
  return `secret-${extension}-pw`;
}

/** Which of `agents` rings first (within `ms`); the others must not be ringing then. */
export async function whoRings(lab: QueueLab, agents: readonly string[], ms: number): Promise<string> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const ringing = agents.filter((a) => {
      const call = lab.phone(a).currentCall;
      return call?.direction === 'incoming' && call.state === 'ringing';
    });
    if (ringing.length > 0) return ringing.join('+');
    await pause(20);
  }
  throw new Error(`none of ${agents.join(', ')} rang within ${ms} ms`);
}

/** The tone (or music) verdict on the last `ms` of audio a phone received. */
export function hears(phone: DeskPhone, hz: number, ms = 600): boolean {
  const { samples } = phone.media.latestAudio(ms);
  return detectTone(samples, 8000, hz, { minPresence: 0.6 }).detected;
}

export function hearsMusic(phone: DeskPhone, ms = 2000): boolean {
  const { samples } = phone.media.latestAudio(ms);
  return MUSIC_ON_HOLD_NOTES_HZ.filter((hz) => detectTone(samples, 8000, hz, { minPresence: 0.1 }).detected).length >= 2;
}

/** Polls `check` until it holds, bounded; throws with `what` otherwise. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await pause(50);
  }
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
