// `voiplab serve [--config FILE] [--data DIR]`: config (written on first run), admin token, TLS
// material, then the IPBX; prints every listening address and runs until SIGINT or SIGTERM.

import { ensureDataDir, loadTlsMaterial, resolveAdminToken } from '../ipbx/config/index.ts';
import { startIpbx } from '../ipbx/server.ts';
import { EXIT_OK, type CliIo } from './cli-io.ts';
import { CONFIG_OPTIONS, expectPositionals, parseCommandArgs } from './cli-options.ts';
import { openConfig } from './config-location.ts';
import { SERVE_USAGE } from './usage.ts';
import { listenLines } from './listen-lines.ts';

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, CONFIG_OPTIONS);
  if (values.help === true) {
    io.out(`usage: ${SERVE_USAGE}`);
    return EXIT_OK;
  }
  expectPositionals(positionals, 0, SERVE_USAGE);
  const { service, dataDir, file } = await openConfig(values, io);
  try {
    await ensureDataDir(dataDir); // the store and generated TLS files live there
    const admin = await resolveAdminToken(service, io.env);
    if (admin.from === 'generated') io.out(`Admin token (stored in ${file}, shown once): ${admin.token}`);
    const tls = await loadTlsMaterial({ config: service.current, configFile: file, dataDir });
    if (tls.generated) io.out(`Generated a self-signed certificate: ${tls.certFile}`);
    const ipbx = await startIpbx({ config: service, dataDir, tls: { cert: tls.cert, key: tls.key }, adminToken: admin.token, log: io.err });
    service.watch();
    io.out(`voiplab serving ${service.current.domain} (config ${file})`);
    for (const line of listenLines(ipbx)) io.out(line);
    const signal = await untilSignal();
    io.err(`${signal}: closing`);
    await ipbx.close();
    return EXIT_OK;
  } finally {
    service.close();
  }
}

/** Resolves on the first SIGINT or SIGTERM; a second one while closing exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130)).once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
}
