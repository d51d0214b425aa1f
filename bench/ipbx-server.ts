// The voiplab side of the ipbx bench: what `voiplab serve --config FILE --data DIR` does
// (cli/serve-command.ts: the file-backed config, TLS material, admin token, startIpbx, config
// watch), in a process of its own so that its CPU time and memory are measured apart from the
// bench and from SIPp. bench/ipbx-bench.ts starts it with an IPC channel:
//
//   node --expose-gc --import tsx bench/ipbx-server.ts CONFIG_FILE DATA_DIR
//
// Messages (IPC, JSON):
//   child → parent  { event: 'ready', sip: [{ protocol, address, port }], http: [...], startupMs }
//   parent → child  { cmd: 'memory' }                → { reply: 'memory', rss, heapUsed, heapTotal, external, arrayBuffers }
//                                                      (after a full GC when --expose-gc is on)
//                   { cmd: 'profile-start' }         → { reply: 'profile-started' }
//                   { cmd: 'profile-stop', file }    → { reply: 'profile-stopped', file }  (a .cpuprofile, as --cpu-prof writes)
//                   { cmd: 'stop' }                  → closes the IPBX and exits 0
//
// The CPU profile is taken with the inspector's sampling profiler (the one behind --cpu-prof,
// same 1 ms default interval) between profile-start and profile-stop, so that it covers the load
// window and not the start-up (YAML parsing, schema validation and HA1 hashing of every account).

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import { ConfigFileService, ensureDataDir, loadTlsMaterial, resolveAdminToken } from '../ipbx/config/index.ts';
import { startIpbx } from '../ipbx/server.ts';

type Command =
  | { cmd: 'memory' }
  | { cmd: 'profile-start' }
  | { cmd: 'profile-stop'; file: string }
  | { cmd: 'stop' };

function send(message: unknown): void {
  process.send?.(message);
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (err, result) => (err === null ? resolve(result as T) : reject(err)));
  });
}

async function main(): Promise<void> {
  const [configFile, dataDir] = process.argv.slice(2);
  if (configFile === undefined || dataDir === undefined) throw new Error('usage: ipbx-server.ts CONFIG_FILE DATA_DIR');
  if (process.send === undefined) throw new Error('ipbx-server.ts must be started with an IPC channel (by bench/ipbx-bench.ts)');
  const started = performance.now();

  const service = await ConfigFileService.open(configFile);
  await ensureDataDir(dataDir);
  const admin = await resolveAdminToken(service, {});
  const tls = await loadTlsMaterial({ config: service.current, configFile, dataDir });
  const ipbx = await startIpbx({
    config: service, dataDir, tls: { cert: tls.cert, key: tls.key }, adminToken: admin.token,
    log: (line) => void process.stderr.write(`${line}\n`),
  });
  service.watch();

  let session: Session | undefined;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await ipbx.close();
    service.close();
    session?.disconnect();
    process.exit(0);
  };

  process.on('message', (message: Command) => {
    void (async () => {
      switch (message.cmd) {
        case 'memory': {
          const gc = (globalThis as { gc?: () => void }).gc;
          gc?.();
          const m = process.memoryUsage();
          send({ reply: 'memory', rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, gc: gc !== undefined });
          return;
        }
        case 'profile-start':
          session = new Session();
          session.connect();
          await post(session, 'Profiler.enable');
          await post(session, 'Profiler.setSamplingInterval', { interval: 1000 });
          await post(session, 'Profiler.start');
          send({ reply: 'profile-started' });
          return;
        case 'profile-stop': {
          if (session === undefined) throw new Error('profile-stop without profile-start');
          const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
          writeFileSync(message.file, JSON.stringify(profile));
          session.disconnect();
          session = undefined;
          send({ reply: 'profile-stopped', file: message.file });
          return;
        }
        case 'stop':
          await stop();
      }
    })().catch((err: unknown) => {
      process.stderr.write(`ipbx-server: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    });
  });
  // The parent going away (bench killed) must not leave an IPBX behind.
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());

  send({
    event: 'ready',
    sip: ipbx.sipEndpoints.map((e) => ({ protocol: e.protocol, address: e.address, port: e.port })),
    http: ipbx.httpEndpoints,
    startupMs: Math.round(performance.now() - started),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`ipbx-server: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
