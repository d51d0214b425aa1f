// The pcap of one scenario (`voiplab run --pcap DIR`): the SIP traffic to and from the target's
// SIP addresses, in DIR/<file>--<scenario>.pcap, from before the phones register until they
// closed. The outcome goes in the scenario's result: the file, or why there is none.

import { basename, join } from 'node:path';
import type { LoadedScenario } from '../load-scenario.ts';
import type { ScenarioTarget } from '../targets/scenario-target.ts';
import { PacketCapture, type CaptureEndpoint, type CaptureOutcome } from './packet-capture.ts';

export interface ScenarioCapture {
  stop(): Promise<CaptureOutcome>;
}

const slug = (text: string): string => text.toLowerCase().replace(/\.ya?ml$/, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function scenarioPcapFile(dir: string, loaded: LoadedScenario): string {
  return join(dir, `${slug(basename(loaded.file))}--${slug(loaded.scenario.name)}.pcap`);
}

/** The target's SIP addresses, one per transport it offers. */
function sipEndpoints(target: ScenarioTarget): CaptureEndpoint[] {
  const endpoints: CaptureEndpoint[] = [];
  for (const protocol of ['udp', 'tcp'] as const) {
    try {
      const { address, port } = target.proxy(protocol);
      if (!endpoints.some((e) => e.address === address && e.port === port)) endpoints.push({ address, port });
    } catch {
      // the target has no listener of this transport
    }
  }
  return endpoints;
}

export async function startScenarioCapture(dir: string, loaded: LoadedScenario, target: ScenarioTarget, tools?: readonly string[]): Promise<ScenarioCapture> {
  const started = await PacketCapture.start({ file: scenarioPcapFile(dir, loaded), endpoints: sipEndpoints(target), ...(tools === undefined ? {} : { tools }) });
  if ('unavailable' in started) return { stop: () => Promise.resolve(started) };
  return started;
}
