// Ports free on 127.0.0.1 for both UDP and TCP (a SIP phone listens on both), picked by the kernel
// and checked by binding them, for phones and servers the runner and the tests start.

import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** Whether `port` (0 = any) can be bound on 127.0.0.1 over TCP, then over UDP; resolves the port bound or undefined. */
export async function bindable(port: number): Promise<number | undefined> {
  const tcpPort = await new Promise<number | undefined>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address !== null ? address.port : undefined));
    });
  });
  if (tcpPort === undefined) return undefined;
  return new Promise<number | undefined>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(undefined));
    s.bind(tcpPort, '127.0.0.1', () => s.close(() => resolve(tcpPort)));
  });
}

/** A port that is free on 127.0.0.1 for both UDP and TCP at the moment of asking. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await bindable(0);
    if (port !== undefined) return port;
  }
  throw new Error('no free port found');
}
