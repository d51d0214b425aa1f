// Small helpers for softphone tests against a test IPBX: the IPBX itself with a WSS listener on a
// port chosen beforehand (so /phone/config.json names a real port), a free port, and the URL of
// the IPBX's /phone/ page.

import { freePort } from '../../scenarios/runner/phones/free-port.ts';
import { rtpengineMedia, startHarness, type IpbxHarness } from './ipbx-harness.ts';

/** A port free on 127.0.0.1 right now (the kernel picks it; a race with other tests is unlikely). */
export const freeTcpPort = freePort;

export interface SoftphoneAccount {
  user: string;
  password: string;
  displayName: string;
}

export interface SoftphoneIpbxOptions {
  /** rtpengine (default: browsers' WebRTC media bridged) or passthrough. */
  media?: 'rtpengine' | 'passthrough';
  /** Also a SIP UDP listener, for desk phones. */
  udp?: boolean;
}

/** A test IPBX with these accounts, listening for browsers on WSS (and, if asked, UDP). */
export async function startSoftphoneIpbx(accounts: readonly SoftphoneAccount[], options: SoftphoneIpbxOptions = {}): Promise<IpbxHarness & { wssPort: number }> {
  const wssPort = await freeTcpPort();
  const listeners = [
    ...(options.udp === true ? [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] : []),
    { protocol: 'wss', address: '127.0.0.1', port: wssPort },
  ];
  const harness = await startHarness({
    accounts: accounts.map(({ user, password, displayName }) => ({ extension: user, password, displayName })),
    extra: { media: options.media === 'passthrough' ? { mode: 'passthrough' } : rtpengineMedia(), sip: { listeners } },
  });
  return Object.assign(harness, { wssPort });
}

/** `http://127.0.0.1:PORT/phone/?…` of the harness's HTTP listener. */
export function softphoneUrl(harness: IpbxHarness, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query).toString();
  return `${harness.apiBase}/phone/${search === '' ? '' : `?${search}`}`;
}
