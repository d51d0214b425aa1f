// RFC 4475 torture messages sent over real UDP and TCP sockets to a server built on the stack.
// Each message is rewritten as the manifest says (our address in the top Via, the server in
// the Request-URI), the server's behaviour is compared with the manifest's allow tokens, and
// the server must still answer OPTIONS afterwards (the manifest's pass rule).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, type Socket as TcpSocket } from 'node:net';
import { RFC4475_DIR } from '../helpers/rfc4475-kit.ts';
import { TestServer } from '../helpers/test-server.ts';

const TORTURE_DIR = RFC4475_DIR;

interface Expectation { allow: string[]; ideal?: string[] }
interface ManifestEntry {
  name: string;
  file: string;
  sha256: string;
  category: string;
  expect: { udp: Expectation; tcp: Expectation };
  rewrite: { ruri_host: string | null; replace: Array<[string, string]>; top_via: boolean };
  checks?: string[];
  tcp_fixup?: string;
}

const manifest = JSON.parse(readFileSync(`${TORTURE_DIR}/manifest.json`, 'utf8')) as { messages: ManifestEntry[] };

/** Applies the manifest's rewrite rules on the raw bytes (latin1 keeps every octet). */
function rewrite(entry: ManifestEntry, raw: Buffer, server: string, local: string, transport: 'UDP' | 'TCP'): Buffer {
  let text = raw.toString('latin1');
  const fill = (t: string) => t.replace('{SERVER}', server).replace('{LADDR}', local).replace('{TRANSPORT}', transport);
  const lineEnd = text.indexOf('\r\n');
  if (entry.rewrite.ruri_host !== null) {
    const startLine = text.slice(0, lineEnd).replace(entry.rewrite.ruri_host, server);
    text = startLine + text.slice(lineEnd);
  }
  for (const [needle, template] of entry.rewrite.replace) text = text.replace(needle, fill(template));
  if (entry.rewrite.top_via) {
    // First Via (long or compact name, folded lines allowed): transport token and sent-by host[:port].
    text = text.replace(
      /(\r\n(?:via|v)[ \t]*:[ \t]*SIP[ \t\r\n]*\/[ \t\r\n]*2\.0[ \t\r\n]*\/[ \t\r\n]*)([A-Za-z]+)([ \t\r\n]+)([^;, \t\r\n]+)/i,
      (_m, head: string, _t: string, ws: string) => `${head}${transport}${ws}${local}`,
    );
  }
  return Buffer.from(text, 'latin1');
}

/** What a reply says, read leniently: a 400 echoes the very headers that made the request invalid. */
interface SeenResponse { status: number; reason: string; method: string | undefined; callId: string | undefined }
interface Outcome { responses: SeenResponse[]; closed: boolean }

function readResponse(bytes: Buffer): SeenResponse | undefined {
  const text = bytes.toString('utf8');
  const m = /^SIP\/2\.0 (\d{3}) ?([^\r\n]*)/.exec(text);
  if (m === null) return undefined;
  return {
    status: Number(m[1]),
    reason: m[2] ?? '',
    method: /\r\nCSeq[ \t]*:[ \t]*\d+[ \t]+([^\s]+)/i.exec(text)?.[1],
    callId: /\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]+)/i.exec(text)?.[1]?.trim(),
  };
}

const FINAL_WAIT_MS = 600;

function classify(outcome: Outcome, token: string): boolean {
  const finals = outcome.responses.filter((r) => r.status >= 200);
  switch (token) {
    case 'resp': return outcome.responses.length > 0 && !finals.some((r) => r.status === 400 || r.status === 500);
    case 'answered': return outcome.responses.length > 0;
    case 'any': return true;
    case 'drop': return outcome.responses.length === 0;
    case 'err': return finals.some((r) => r.status >= 400 && r.status !== 401 && r.status !== 407);
    default: return finals.some((r) => r.status === Number(token));
  }
}

function describeOutcome(o: Outcome): string {
  return o.responses.length === 0 ? `no response${o.closed ? ', connection closed' : ''}` : o.responses.map((r) => `${r.status} ${r.method ?? '?'} ${r.reason}`).join(' | ');
}

/** The Call-ID of what we sent, so that late responses to earlier messages are not counted. */
function callIdOf(bytes: Buffer): string | undefined {
  return /\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]+)/i.exec(bytes.toString('latin1'))?.[1]?.trim();
}

function ours(response: SeenResponse, callId: string | undefined): boolean {
  return callId === undefined || response.callId === callId;
}

async function overUdp(socket: UdpSocket, port: number, bytes: Buffer, waitFull: boolean): Promise<Outcome> {
  const responses: SeenResponse[] = [];
  const callId = callIdOf(bytes);
  const onMessage = (msg: Buffer) => {
    const response = readResponse(msg);
    if (response !== undefined && ours(response, callId)) responses.push(response);
  };
  socket.on('message', onMessage);
  socket.send(bytes, port, '127.0.0.1');
  await waitFor(() => !waitFull && responses.some((r) => r.status >= 200), FINAL_WAIT_MS);
  socket.off('message', onMessage);
  return { responses, closed: false };
}

/** Connects first, so the message can carry the connection's own address in its Via. */
async function overTcp(port: number, build: (local: string) => Buffer, waitFull: boolean): Promise<Outcome> {
  const socket: TcpSocket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const bytes = build(`127.0.0.1:${socket.localPort}`);
  const responses: SeenResponse[] = [];
  const callId = callIdOf(bytes);
  let buffer = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(head)?.[1] ?? '0');
      if (buffer.length < end + 4 + length) return;
      const response = readResponse(buffer.subarray(0, end + 4 + length));
      buffer = buffer.subarray(end + 4 + length);
      if (response !== undefined && ours(response, callId)) responses.push(response);
    }
  });
  socket.on('close', () => { closed = true; });
  socket.on('error', () => { closed = true; });
  socket.write(bytes);
  await waitFor(() => closed || (!waitFull && responses.some((r) => r.status >= 200)), FINAL_WAIT_MS);
  socket.destroy();
  return { responses, closed };
}

function waitFor(done: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = Date.now() + ms;
    const tick = () => (done() || Date.now() >= deadline ? resolve() : setTimeout(tick, 10));
    tick();
  });
}

function options(server: string, local: string, transport: string, n: number): Buffer {
  return Buffer.from([
    `OPTIONS sip:${server} SIP/2.0`, `Via: SIP/2.0/${transport} ${local};branch=z9hG4bK-alive-${n}-${transport}`,
    'Max-Forwards: 70', `From: <sip:torture@${local}>;tag=alive${n}`, `To: <sip:${server}>`,
    `Call-ID: alive-${n}-${transport}@torture`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n'));
}

describe('RFC 4475 torture messages against a stack-built server', () => {
  let server: TestServer;

  before(async () => { server = await TestServer.start({ protocols: ['udp', 'tcp'] }); });
  after(() => server.close());

  test('every file is the byte-exact RFC 4475 archive member', () => {
    for (const entry of manifest.messages) {
      const digest = createHash('sha256').update(readFileSync(`${TORTURE_DIR}/${entry.file}`)).digest('hex');
      assert.equal(digest, entry.sha256, entry.file);
    }
  });

  let n = 0;
  for (const entry of manifest.messages) {
    for (const transport of ['UDP', 'TCP'] as const) {
      const expectation = transport === 'UDP' ? entry.expect.udp : entry.expect.tcp;
      test(`${entry.name} over ${transport}: ${expectation.allow.join('|')} (RFC 4475, ${entry.category})`, async (t) => {
        const serverAddr = `127.0.0.1:${server.port(transport === 'UDP' ? 'udp' : 'tcp')}`;
        const raw = readFileSync(`${TORTURE_DIR}/${entry.file}`);
        // TCP needs the local port of a connection that does not exist yet: any placeholder port works, since
        // responses to a TCP request go back over its connection (RFC 3261 §18.2.2).
        const waitFull = (entry.checks ?? []).includes('collect_full_timeout') || expectation.allow.includes('drop');
        const build = (local: string): Buffer => {
          const bytes = rewrite(entry, raw, serverAddr, local, transport);
          return transport === 'TCP' && entry.tcp_fixup === 'append_crlf' ? Buffer.concat([bytes, Buffer.from('\r\n')]) : bytes;
        };
        // A fresh local address per message (the manifest's {LADDR}): RFC 4475 messages reuse branch values, and
        // the same branch from the same sent-by is, rightly, the same transaction to the server.
        let outcome: Outcome;
        let alive: Outcome;
        if (transport === 'UDP') {
          const udp = createSocket('udp4');
          await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
          const local = `127.0.0.1:${udp.address().port}`;
          outcome = await overUdp(udp, server.port('udp'), build(local), waitFull);
          alive = await overUdp(udp, server.port('udp'), options(serverAddr, local, transport, ++n), false);
          udp.close();
        } else {
          outcome = await overTcp(server.port('tcp'), build, waitFull);
          alive = await overTcp(server.port('tcp'), (local) => options(serverAddr, local, transport, ++n), false);
        }
        const ok = expectation.allow.some((token) => classify(outcome, token));
        assert.ok(ok, `${entry.name}/${transport}: got ${describeOutcome(outcome)}, allowed ${expectation.allow.join('|')}`);
        for (const check of entry.checks ?? []) {
          const m = /^udp:no_response_with_cseq_method:(\w+)$/.exec(check);
          if (m !== null && transport === 'UDP') {
            assert.ok(!outcome.responses.some((r) => r.method === m[1]), `no response to the ${m[1]} that trails the datagram`);
          }
        }
        // The pass rule: the element still answers OPTIONS afterwards.
        assert.ok(alive.responses.some((r) => r.status === 200), `server still answers OPTIONS after ${entry.name}: ${describeOutcome(alive)}`);
        const ideal = expectation.ideal;
        if (ideal !== undefined && !ideal.some((token) => classify(outcome, token))) {
          t.diagnostic(`${entry.name}/${transport}: allowed but not ideal (${describeOutcome(outcome)}; ideal ${ideal.join('|')})`);
        }
      });
    }
  }
});
