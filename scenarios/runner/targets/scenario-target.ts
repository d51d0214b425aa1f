// What the runner needs of the IPBX a scenario runs against, whatever started it (embedded today;
// a remote SIP server or a XiVO later).

import type { SendTarget } from '../../../ipbx/sip/transport/index.ts';

export interface ScenarioTarget {
  domain: string;
  /** Where a phone of this transport sends its requests. */
  proxy(protocol: 'udp' | 'tcp'): SendTarget;
  /** GET on the IPBX's HTTP API (JSON), or undefined when the target has no API. */
  api?: (path: string) => Promise<unknown>;
  /** The IPBX's own log lines, for a failed scenario's report. */
  logLines: string[];
  /** Where browser phones reach it over SIP over WebSocket, when it says. */
  wssUrl?: string;
  /** Where browser phones load the softphone from (`http://…/phone/`), when the target serves it. */
  softphoneUrl?: string;
  /** The PEM certificate of its WSS listener, when self-signed: browser phones trust it. */
  certificate?: string;
  /** Stops it and starts it again on the same ports and store after `downMs` (the `restart-target` step); absent when it cannot be restarted. */
  restart?: (downMs: number) => Promise<void>;
  close(): Promise<void>;
}
