// The `sip` target: any SIP server, given its address, domain and the accounts that exist there.
// Nothing is started or provisioned; the phones register against it and send every request to it
// (an outbound proxy). The host is resolved once, so a name that does not resolve stops the
// scenario at its start, naming the host; a server that does not answer fails the first step that
// needs it, naming the server.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ScenarioError } from '../scenario-errors.ts';
import type { TargetSpec } from '../scenario-schema.ts';
import type { ScenarioTarget } from './scenario-target.ts';

export const DEFAULT_SIP_PORT = 5060;

export async function startSipTarget(spec: TargetSpec): Promise<ScenarioTarget> {
  const host = spec.host;
  if (host === undefined) throw new ScenarioError('SCENARIO_TARGET_FAILED', 'the sip target needs host: the SIP server\'s name or address');
  const port = spec.port ?? DEFAULT_SIP_PORT;
  const transports = spec.transports ?? ['udp', 'tcp'];
  let address = host;
  if (isIP(host) === 0) {
    try {
      address = (await lookup(host, { family: 4 })).address;
    } catch (err) {
      throw new ScenarioError('SCENARIO_TARGET_FAILED', `the sip target's host ${host} does not resolve: ${(err as Error).message}`, { cause: err });
    }
  }
  return {
    domain: spec.domain,
    logLines: [],
    ...(spec.wss === undefined ? {} : { wssUrl: spec.wss }),
    proxy: (protocol) => {
      if (!transports.includes(protocol)) throw new ScenarioError('SCENARIO_TARGET_FAILED', `the SIP server ${host}:${port} is reached over ${transports.join(' and ')} only, not ${protocol}`);
      return { protocol, address, port };
    },
    close: () => Promise.resolve(),
  };
}
