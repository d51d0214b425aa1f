// The `embedded` target: a voiplab IPBX started in this process for one scenario, as
// `voiplab serve` would run it, from a voiplab.yaml written to a temporary data folder with the
// scenario's accounts, one dialplan rule per account, and media through an embedded rtpengine on a
// random port window (so scenarios run with --parallel rarely meet). Listens on 127.0.0.1 only.
// The scenario's ring groups become config groups with a dialplan rule for each number; it can be
// restarted (the `restart-target` step) on the same ports and store.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes, randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigFileService, loadTlsMaterial } from '../../../ipbx/config/index.ts';
import { startIpbx, type RunningIpbx } from '../../../ipbx/server.ts';
import { ScenarioError } from '../scenario-errors.ts';
import type { Scenario } from '../scenario-schema.ts';
import { embeddedGroups, wholeSeconds } from './embedded-groups.ts';
import type { ScenarioTarget } from './scenario-target.ts';

/** rtpengine's port windows: 200 ports each (a scenario's few calls need a handful), 20000–31999, under the kernel's ephemeral range (32768+). */
const RTP_WINDOW = 200;
const RTP_BASE = 20_000;
const RTP_WINDOWS = 60;
const RESTART_SETTLE_MS = 300;
/**
 * Windows in use by this process's scenarios. Scenarios run in parallel on overlapping windows
 * heard each other's media (a phone got another scenario's tone, or nothing), so they never share
 * one; a random free one also makes meeting another process's rtpengine less likely.
 */
const windowsInUse = new Set<number>();

function takeRtpWindow(): number {
  const free = Array.from({ length: RTP_WINDOWS }, (_, i) => i).filter((i) => !windowsInUse.has(i));
  const index = free[randomInt(0, free.length)];
  if (index === undefined) throw new ScenarioError('SCENARIO_TARGET_FAILED', `all ${RTP_WINDOWS} RTP port windows are in use: run fewer scenarios in parallel`);
  windowsInUse.add(index);
  return index;
}

export async function startEmbeddedTarget(scenario: Scenario): Promise<ScenarioTarget> {
  const dataDir = await mkdtemp(join(tmpdir(), 'voiplab-scenario-'));
  const configFile = join(dataDir, 'voiplab.yaml');
  const adminToken = randomBytes(24).toString('hex');
  const rtpWindow = takeRtpWindow();
  const portMin = RTP_BASE + RTP_WINDOW * rtpWindow;
  const document = {
    domain: scenario.target.domain,
    // ws: browser phones (the softphone at /phone/ on the HTTP listener) sign in over it.
    sip: { listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }, { protocol: 'tcp', address: '127.0.0.1', port: 0 }, { protocol: 'ws', address: '127.0.0.1', port: 0 }] },
    http: { listeners: [{ protocol: 'http', address: '127.0.0.1', port: 0 }] },
    accounts: scenario.accounts.map((a) => ({ extension: a.extension, password: a.password, displayName: a.displayName ?? '' })),
    ...embeddedGroups(scenario),
    // minExpires 1: scenarios may register for a few seconds to see a registration expire.
    security: { adminToken, registration: { minExpires: 1 } },
    media: { mode: 'rtpengine', rtpengine: { address: '127.0.0.1', portMin, portMax: portMin + RTP_WINDOW - 1 } },
    ...(scenario.target.noAnswerTimeout === undefined ? {} : { calls: { noAnswerTimeout: wholeSeconds(scenario.target.noAnswerTimeout) } }),
  };
  const logLines: string[] = [];
  let config: ConfigFileService | undefined;
  let ipbx: RunningIpbx | undefined;
  const cleanUp = async (): Promise<void> => {
    await ipbx?.close();
    config?.close();
    await rm(dataDir, { recursive: true, force: true });
    windowsInUse.delete(rtpWindow);
  };
  const start = async (): Promise<RunningIpbx> => {
    await writeFile(configFile, stringify(document), { mode: 0o600 });
    config = await ConfigFileService.open(configFile);
    const tls = await loadTlsMaterial({ config: config.current, configFile, dataDir });
    return await startIpbx({ config, dataDir, tls: { cert: tls.cert, key: tls.key }, adminToken, log: (line) => { logLines.push(line); } });
  };
  try {
    ipbx = await start();
  } catch (err) {
    await cleanUp().catch(() => undefined);
    throw new ScenarioError('SCENARIO_TARGET_FAILED', `the embedded IPBX did not start: ${(err as Error).message}`, { cause: err });
  }
  let running = ipbx;
  const http = running.httpEndpoints[0];
  const apiBase = `http://127.0.0.1:${http?.port ?? 0}`;
  const webSocket = running.sipEndpoints.find((e) => e.protocol === 'ws');
  return {
    domain: scenario.target.domain,
    logLines,
    proxy: (protocol) => {
      const endpoint = running.sipEndpoints.find((e) => e.protocol === protocol);
      if (endpoint === undefined) throw new ScenarioError('SCENARIO_TARGET_FAILED', `the embedded IPBX has no ${protocol} listener`);
      return { protocol, address: '127.0.0.1', port: endpoint.port };
    },
    api: async (path) => {
      const response = await fetch(apiBase + path, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
      return await response.json();
    },
    ...(webSocket === undefined ? {} : { wssUrl: `ws://127.0.0.1:${webSocket.port}` }),
    softphoneUrl: `${apiBase}/phone/`,
    restart: async (downMs) => {
      // The same ports on the way back: phones keep the address they were given.
      document.sip.listeners = running.sipEndpoints.map((e) => ({ protocol: e.protocol, address: '127.0.0.1', port: e.port }));
      document.http.listeners = running.httpEndpoints.map((e) => ({ protocol: 'http', address: '127.0.0.1', port: e.port }));
      // A call ended just before still has its media teardown (rtpengine's delete) under way.
      await new Promise((resolve) => setTimeout(resolve, RESTART_SETTLE_MS));
      await running.close();
      config?.close();
      ipbx = undefined;
      await new Promise((resolve) => setTimeout(resolve, downMs));
      try {
        ipbx = await start();
      } catch (err) {
        throw new ScenarioError('SCENARIO_TARGET_FAILED', `the embedded IPBX did not start again: ${(err as Error).message}`, { cause: err });
      }
      running = ipbx;
    },
    close: cleanUp,
  };
}
