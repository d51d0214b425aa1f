// NgClient against a fake ng server on 127.0.0.1 that the test scripts datagram by datagram:
// dropping requests (retransmission with the same cookie), answering errors, garbage, duplicates
// and out-of-order replies, or nothing at all (timeout), and the client being closed mid-command.

import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { NgClient, type NgClientOptions } from '../../ipbx/media/ng/ng-client.ts';
import { decodeBencode, encodeBencode } from '../../ipbx/media/ng/bencode.ts';
import { MediaError, type MediaErrorCode } from '../../ipbx/media/media-error.ts';
import type { NgDictionary } from '../../ipbx/media/media-control.ts';
import { within } from '../helpers/stack-pair.ts';

interface NgRequest {
  cookie: string;
  body: NgDictionary;
  from: RemoteInfo;
}

/** A UDP ng server whose behaviour is the `handle` function the test sets; it records every request. */
class FakeNgServer {
  readonly requests: NgRequest[] = [];
  handle: (request: NgRequest, server: FakeNgServer) => void = () => {};
  readonly #socket: Socket;
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (datagram, from) => {
      const space = datagram.indexOf(0x20);
      const request = { cookie: datagram.toString('latin1', 0, space), body: decodeBencode(datagram.subarray(space + 1)) as NgDictionary, from };
      this.requests.push(request);
      this.handle(request, this);
      for (const wake of this.#waiters) wake();
    });
  }

  static async start(t: TestContext): Promise<FakeNgServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const server = new FakeNgServer(socket);
    t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    return server;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  reply(request: NgRequest, body: NgDictionary): void {
    this.sendRaw(request, Buffer.concat([Buffer.from(`${request.cookie} `), encodeBencode(body)]));
  }

  sendRaw(request: NgRequest, datagram: Buffer | string): void {
    this.#socket.send(typeof datagram === 'string' ? Buffer.from(datagram, 'latin1') : datagram, request.from.port, request.from.address);
  }

  /** Resolves once `count` requests have arrived (bounded by `within`). */
  received(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return within(new Promise<void>((resolve) => {
      this.#waiters.push(() => { if (this.requests.length >= count) resolve(); });
    }), `${count} ng requests`);
  }
}

function client(t: TestContext, server: FakeNgServer, options: Partial<NgClientOptions> = {}): NgClient {
  // 1 s by default: long enough that a loaded machine never retransmits where a test counts datagrams.
  const ng = new NgClient({ address: '127.0.0.1', port: server.port, timeoutMs: 1000, retries: 2, ...options });
  t.after(() => ng.close());
  return ng;
}

async function rejectsWith(promise: Promise<unknown>, code: MediaErrorCode, message?: RegExp): Promise<MediaError> {
  let caught: unknown;
  await within(promise.then(() => assert.fail(`expected ${code}`), (err: unknown) => { caught = err; }), `the ${code} rejection`);
  assert.ok(caught instanceof MediaError, `not a MediaError: ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message !== undefined) assert.match(caught.message, message);
  return caught;
}

describe('NgClient', () => {
  test('sends COOKIE SPACE bencode with the command name and resolves the ok reply', async (t) => {
    const server = await FakeNgServer.start(t);
    server.handle = (request, s) => s.reply(request, { result: 'ok', sdp: `answer to ${request.body['sdp'] as string}` });
    const ng = client(t, server);
    const reply = await ng.command('offer', { 'call-id': 'c1', 'from-tag': 'f1', sdp: 'v=0', flags: ['trust-address'] });
    assert.deepEqual(reply, { result: 'ok', sdp: 'answer to v=0' });
    const [request] = server.requests;
    assert.deepEqual(request?.body, { command: 'offer', 'call-id': 'c1', 'from-tag': 'f1', sdp: 'v=0', flags: ['trust-address'] });
    assert.match(request.cookie, /^[0-9a-f]{12}_\d+$/, 'a random prefix and a counter');
    assert.equal(ng.pendingCount, 0);
  });

  test('ping resolves on pong', async (t) => {
    const server = await FakeNgServer.start(t);
    server.handle = (request, s) => s.reply(request, { result: 'pong' });
    await client(t, server).ping();
    assert.equal(server.requests[0]?.body['command'], 'ping');
  });

  test('retransmits the same datagram until a reply comes (server drops the first two)', async (t) => {
    const server = await FakeNgServer.start(t);
    server.handle = (request, s) => { if (s.requests.length === 3) s.reply(request, { result: 'ok' }); };
    const reply = await client(t, server, { timeoutMs: 40, retries: 3 }).command('query', { 'call-id': 'c1' });
    assert.equal(reply['result'], 'ok');
    assert.equal(server.requests.length, 3);
    assert.equal(new Set(server.requests.map((r) => r.cookie)).size, 1, 'every retransmission keeps the cookie (rtpengine answers it from its reply cache)');
  });

  test('rejects MEDIA_NG_TIMEOUT after 1 + retries unanswered datagrams', async (t) => {
    const server = await FakeNgServer.start(t);
    const error = await rejectsWith(client(t, server, { timeoutMs: 40, retries: 2 }).command('offer', { 'call-id': 'c1' }), 'MEDIA_NG_TIMEOUT', /"offer" after 3 attempts/);
    assert.equal(error.sipStatus, 503);
    assert.equal(server.requests.length, 3);
  });

  test('a per-command override sends a single attempt (health checks)', async (t) => {
    const server = await FakeNgServer.start(t);
    await rejectsWith(client(t, server, { timeoutMs: 40, retries: 5 }).ping({ retries: 0 }), 'MEDIA_NG_TIMEOUT', /after 1 attempts/);
    assert.equal(server.requests.length, 1);
  });

  test('result "error" rejects MEDIA_NG_ERROR with the error-reason (488); "load limit" too (503)', async (t) => {
    const server = await FakeNgServer.start(t);
    server.handle = (request, s) => s.reply(request, request.body['command'] === 'offer'
      ? { result: 'error', 'error-reason': 'Failed to parse SDP' }
      : { result: 'load limit', message: 'Parallel session limit reached' });
    const ng = client(t, server);
    const parseError = await rejectsWith(ng.command('offer', { 'call-id': 'c1' }), 'MEDIA_NG_ERROR', /"offer" failed: error: Failed to parse SDP/);
    assert.equal(parseError.sipStatus, 488);
    const loadError = await rejectsWith(ng.command('answer', { 'call-id': 'c1' }), 'MEDIA_NG_ERROR', /load limit/);
    assert.equal(loadError.sipStatus, 503);
  });

  test('ignores garbage and foreign cookies (logged as MEDIA_NG_BAD_REPLY) and keeps waiting for the good reply', async (t) => {
    const server = await FakeNgServer.start(t);
    server.handle = (request, s) => {
      s.sendRaw(request, `${request.cookie} d6:result`); // truncated bencode
      s.sendRaw(request, `${request.cookie} li1ee`); // not a dictionary
      s.sendRaw(request, `${request.cookie} d3:sdp3:v=0e`); // no result
      s.sendRaw(request, 'nocookie');
      s.sendRaw(request, `someone-else d6:result2:oke`);
      s.reply(request, { result: 'ok', good: 1 });
    };
    const lines: string[] = [];
    const reply = await client(t, server, { log: (line) => lines.push(line) }).command('query', { 'call-id': 'c1' });
    assert.deepEqual(reply, { result: 'ok', good: 1 });
    assert.equal(server.requests.length, 1, 'answered by the first datagram: no retransmission was needed');
    assert.equal(lines.filter((line) => line.includes('MEDIA_NG_BAD_REPLY')).length, 5, lines.join('\n'));
  });

  test('matches out-of-order replies to their commands by cookie', async (t) => {
    const server = await FakeNgServer.start(t);
    const ng = client(t, server);
    const replies = Promise.all(['a', 'b', 'c'].map((id) => ng.command('query', { 'call-id': id })));
    await server.received(3);
    for (const request of [...server.requests].reverse()) server.reply(request, { result: 'ok', echo: request.body['call-id'] ?? '' });
    assert.deepEqual((await replies).map((reply) => reply['echo']), ['a', 'b', 'c']);
    assert.equal(new Set(server.requests.map((r) => r.cookie)).size, 3, 'each command has its own cookie');
  });

  test('a duplicate reply (rtpengine\'s cache answering a retransmission) is dropped quietly', async (t) => {
    const server = await FakeNgServer.start(t);
    server.handle = (request, s) => { s.reply(request, { result: 'ok', n: s.requests.length }); s.reply(request, { result: 'ok', n: -1 }); };
    const lines: string[] = [];
    const ng = client(t, server, { log: (line) => lines.push(line) });
    assert.equal((await ng.command('query', { 'call-id': 'c1' }))['n'], 1);
    assert.equal((await ng.command('query', { 'call-id': 'c2' }))['n'], 2, 'the next command gets its own reply, not the duplicate');
    assert.deepEqual(lines, []);
  });

  test('two clients never share a cookie', async (t) => {
    const server = await FakeNgServer.start(t);
    server.handle = (request, s) => s.reply(request, { result: 'pong' });
    await Promise.all([client(t, server).ping(), client(t, server).ping()]);
    assert.equal(new Set(server.requests.map((r) => r.cookie)).size, 2);
  });

  test('close() rejects pending commands with MEDIA_NG_CLOSED, and later commands too', async (t) => {
    const server = await FakeNgServer.start(t);
    const ng = client(t, server, { timeoutMs: 5000 });
    const pending = ng.command('offer', { 'call-id': 'c1' });
    await server.received(1);
    await ng.close();
    await rejectsWith(pending, 'MEDIA_NG_CLOSED', /while "offer" was outstanding/);
    await rejectsWith(ng.command('ping', {}), 'MEDIA_NG_CLOSED');
    assert.equal(ng.pendingCount, 0);
  });

  test('parameters bencode cannot carry reject MEDIA_BENCODE_INVALID before anything is sent', async (t) => {
    const server = await FakeNgServer.start(t);
    const ng = client(t, server);
    await rejectsWith(ng.command('offer', { 'call-id': 'c1', duration: 1.5 }), 'MEDIA_BENCODE_INVALID');
    assert.equal(ng.pendingCount, 0);
    server.handle = (request, s) => s.reply(request, { result: 'pong' });
    await ng.ping();
    assert.deepEqual(server.requests.map((r) => r.body['command']), ['ping']);
  });
});
