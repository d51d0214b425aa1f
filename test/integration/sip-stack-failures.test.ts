// How the UAC core reports a peer that never answers and one that cannot be reached (RFC 3261
// §8.1.3.1): `send()` resolves with a 408 or a 503 made up locally, so callers handle one shape.
// The silent peer is a bound UDP socket that drops everything; time runs on a FakeClock so
// Timer B/F expire at once while the packets still cross real sockets.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { SipUri } from '../../ipbx/sip/message/index.ts';
import { TransportLayer, type TransportProtocol } from '../../ipbx/sip/transport/index.ts';
import { SipStack } from '../../ipbx/sip/ua/index.ts';
import { TapTransport, within } from '../helpers/stack-pair.ts';

const T1 = 500;

async function startStack(t: TestContext, protocol: TransportProtocol, clock?: FakeClock): Promise<{ stack: SipStack; tap: TapTransport; errors: unknown[] }> {
  const layer = new TransportLayer({ listeners: [{ protocol, address: '127.0.0.1', port: 0 }] });
  await layer.start();
  const tap = new TapTransport(layer);
  const errors: unknown[] = [];
  const stack = new SipStack({ transport: tap, clock, onError: (err) => errors.push(err) });
  t.after(() => stack.close());
  return { stack, tap, errors };
}

/** A UDP socket that receives and never answers; `received(n)` waits for n datagrams in all. */
async function silentPeer(t: TestContext): Promise<{ port: number; received: (n: number) => Promise<void> }> {
  const socket = createSocket('udp4');
  let count = 0;
  socket.on('message', () => count++);
  socket.bind(0, '127.0.0.1');
  await within(once(socket, 'listening'), 'the silent peer to bind');
  t.after(() => socket.close());
  const received = (n: number) => within(new Promise<void>((resolve) => {
    const check = () => {
      if (count < n) return;
      socket.off('message', check);
      resolve();
    };
    socket.on('message', check);
    check();
  }), `${n} datagrams at the silent peer`);
  return { port: socket.address().port, received };
}

for (const method of ['INVITE', 'OPTIONS'] as const) {
  test(`an ${method} nobody answers resolves as 408 after 64·T1 (RFC 3261 §8.1.3.1, §17.1.${method === 'INVITE' ? '1.2 Timer B' : '2.2 Timer F'})`, async (t) => {
    const clock = new FakeClock(0);
    const { stack, tap } = await startStack(t, 'udp', clock);
    const peer = await silentPeer(t);
    const request = stack.createRequest(method, new SipUri({ user: 'nobody', host: '127.0.0.1', port: peer.port }), { from: '<sip:alice@127.0.0.1>' });
    let settled = false;
    const final = stack.send(request, { target: { protocol: 'udp', address: '127.0.0.1', port: peer.port } }).finally(() => { settled = true; });
    clock.advance(64 * T1 - 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'still waiting just before 64·T1');
    clock.advance(1);
    const response = await within(final, 'the local 408');
    assert.equal(response.status, 408);
    assert.equal(response.callId, request.callId);
    assert.deepEqual(response.cseq, request.cseq);
    assert.equal(response.to.tag, undefined, 'a made-up response carries the request\'s To');
    // Timer A doubles without bound (0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s); Timer E is capped at T2 (4 s).
    const copies = tap.sentRequests(method).length;
    assert.equal(copies, method === 'INVITE' ? 7 : 11);
    await peer.received(copies);
  });
}

test('a TCP connection refused resolves as 503 (RFC 3261 §8.1.3.1, §17.1.4)', async (t) => {
  const { stack } = await startStack(t, 'tcp');
  // A port that was just free and is now closed: nothing listens there.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 'a throwaway TCP listener');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));

  const uri = new SipUri({ user: 'nobody', host: '127.0.0.1', port, params: new Map([['transport', 'tcp']]) });
  for (const method of ['INVITE', 'OPTIONS']) {
    const request = stack.createRequest(method, uri, { from: '<sip:alice@127.0.0.1>' });
    const response = await within(stack.send(request), `the local 503 to ${method}`);
    assert.equal(response.status, 503);
    assert.equal(response.callId, request.callId);
  }
});
