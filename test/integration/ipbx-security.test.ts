// The IPBX's protections seen from the network, against a real IPBX on 127.0.0.1 with its default
// security settings (only the message size limit is lowered, to be testable over UDP): no user
// enumeration, bans after repeated authentication failures, challenged INVITEs, per-source rate
// limiting and oversized messages.
//
// Sources. The guards key everything by source IP address, never by port (a NAT or an attacker
// changes ports at will). On one loopback address every test client would be the same source, so
// "another source" here means another address: Linux answers for the whole of 127.0.0.0/8 on lo,
// and a client socket bound to 127.0.0.2 reaches the IPBX on 127.0.0.1 as a different source.
// A second socket on 127.0.0.1 (another port) is, rightly, the same source as the first.
//
// "No answer at all" cannot be observed directly; it is checked against a barrier: after the
// request that must be ignored, a request from a source in good standing goes to the same UDP
// socket and is answered. The IPBX reads that socket in order, so by then it has dealt with the
// first one; a short grace then lets any straggling answer arrive before the test says "none".

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { DigestClient } from '../../ipbx/sip/index.ts';
import { startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';

const DOMAIN = 'voiplab.test';
const ACCOUNTS = [
  { extension: '1001', password: 'alice-secret-1001', displayName: 'Alice' },
  { extension: '1002', password: 'bob-secret-1002', displayName: 'Bob' },
];
const ANSWER_MS = 3000;
const GRACE_MS = 300;
const MAX_MESSAGE_BYTES = 4096;

interface RawResponse {
  status: number;
  reason: string;
  /** Header lines in order, as sent: [name, value]. */
  headers: Array<[string, string]>;
  text: string;
}

function parseResponse(data: Buffer): RawResponse | undefined {
  const text = data.toString('utf8');
  const head = text.split('\r\n\r\n')[0] ?? '';
  const [start = '', ...lines] = head.split('\r\n');
  const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(start);
  if (m === null) return undefined;
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });
  return { status: Number(m[1]), reason: m[2] ?? '', headers, text };
}

const header = (r: RawResponse, name: string) => r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
const headerAll = (r: RawResponse, name: string) => r.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
const token = () => randomBytes(6).toString('hex');

/** A UDP SIP client on its own socket and address, writing requests by hand. */
class RawClient {
  readonly socket: UdpSocket;
  readonly address: string;
  readonly port: number;
  readonly received: RawResponse[] = [];
  readonly #target: number;
  readonly #waiters = new Set<() => void>();

  private constructor(socket: UdpSocket, address: string, port: number, target: number) {
    this.socket = socket;
    this.address = address;
    this.port = port;
    this.#target = target;
    socket.on('message', (data) => {
      const response = parseResponse(data);
      if (response !== undefined) this.received.push(response);
      for (const wake of [...this.#waiters]) wake();
    });
  }

  static async open(address: string, target: number): Promise<RawClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => { socket.off('error', reject); resolve(); });
    });
    return new RawClient(socket, address, socket.address().port, target);
  }

  send(text: string): void {
    this.socket.send(Buffer.from(text), this.#target, '127.0.0.1');
  }

  /** The first final response with this Call-ID and CSeq (`2 REGISTER`), or undefined after `ms`. */
  response(callId: string, cseq: string, ms = ANSWER_MS): Promise<RawResponse | undefined> {
    const find = () => this.received.find((r) => header(r, 'Call-ID') === callId && header(r, 'CSeq')?.replace(/\s+/g, ' ') === cseq && r.status >= 200);
    return new Promise((resolve) => {
      const done = (value: RawResponse | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(value);
      };
      const check = () => {
        const found = find();
        if (found !== undefined) done(found);
      };
      const timer = setTimeout(() => done(undefined), ms);
      this.#waiters.add(check);
      check();
    });
  }

  /** Every response received with this Call-ID. */
  responsesTo(callId: string): RawResponse[] {
    return this.received.filter((r) => header(r, 'Call-ID') === callId);
  }

  /** Sends a request and waits for its final response (undefined if none came). */
  async request(method: string, build: RequestParts, ms = ANSWER_MS): Promise<RawResponse | undefined> {
    const text = this.build(method, build);
    this.send(text);
    return this.response(build.callId, `${build.cseq ?? 1} ${method}`, ms);
  }

  build(method: string, p: RequestParts): string {
    const body = p.body ?? '';
    const lines = [
      `${method} ${p.uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.address}:${this.port};branch=z9hG4bK${p.branch ?? token()};rport`,
      'Max-Forwards: 70',
      `From: <sip:${p.from}@${DOMAIN}>;tag=${p.fromTag ?? token()}`,
      `To: <${p.to}>${p.toTag === undefined ? '' : `;tag=${p.toTag}`}`,
      `Call-ID: ${p.callId}`,
      `CSeq: ${p.cseq ?? 1} ${method}`,
      `Contact: <sip:${p.from}@${this.address}:${this.port}>`,
      ...(p.headers ?? []),
      ...(body === '' ? [] : ['Content-Type: application/sdp']),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '', body,
    ];
    return lines.join('\r\n');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

interface RequestParts {
  uri: string;
  from: string;
  to: string;
  callId: string;
  cseq?: number;
  branch?: string;
  fromTag?: string;
  toTag?: string;
  headers?: string[];
  body?: string;
}

const OFFER = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40100 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

/**
 * REGISTER as `user`, answering the 401 with `password` (a challenge, then credentials: two
 * requests, one Call-ID, CSeq 1 then 2). Returns both responses; the second is undefined when
 * the first never came or was not a 401.
 */
async function register(client: RawClient, user: string, password: string, ms = ANSWER_MS): Promise<{ challenge: RawResponse | undefined; final: RawResponse | undefined }> {
  const parts = { uri: `sip:${DOMAIN}`, from: user, to: `sip:${user}@${DOMAIN}`, callId: token(), fromTag: token(), headers: ['Expires: 120'] };
  const challenge = await client.request('REGISTER', parts, ms);
  if (challenge?.status !== 401) return { challenge, final: undefined };
  const authorization = new DigestClient({ username: user, password }).authorize({
    method: 'REGISTER', uri: parts.uri, challengeValues: headerAll(challenge, 'WWW-Authenticate'),
  });
  const final = await client.request('REGISTER', { ...parts, cseq: 2, headers: [...parts.headers, `Authorization: ${authorization}`] }, ms);
  return { challenge, final };
}

/** INVITE `number` as `user`: unauthenticated, then (with `password`) answering the 407. Each final is ACKed. */
async function invite(client: RawClient, user: string, number: string, password?: string): Promise<{ challenge: RawResponse | undefined; final: RawResponse | undefined }> {
  const parts = { uri: `sip:${number}@${DOMAIN}`, from: user, to: `sip:${number}@${DOMAIN}`, callId: token(), fromTag: token(), body: OFFER };
  const ack = (r: RawResponse, cseq: number, branch: string) => {
    const toTag = /;tag=([^;>\s]+)/.exec(header(r, 'To') ?? '')?.[1];
    client.send(client.build('ACK', { ...parts, body: '', cseq, branch, ...(toTag === undefined ? {} : { toTag }) }));
  };
  const firstBranch = token();
  const challenge = await client.request('INVITE', { ...parts, branch: firstBranch });
  if (challenge !== undefined) ack(challenge, 1, firstBranch);
  if (challenge?.status !== 407 || password === undefined) return { challenge, final: undefined };
  const authorization = new DigestClient({ username: user, password }).authorize({
    method: 'INVITE', uri: parts.uri, challengeValues: headerAll(challenge, 'Proxy-Authenticate'),
  });
  const secondBranch = token();
  const final = await client.request('INVITE', { ...parts, cseq: 2, branch: secondBranch, headers: [`Proxy-Authorization: ${authorization}`] });
  if (final !== undefined && final.status >= 300) ack(final, 2, secondBranch);
  return { challenge, final };
}

/** OPTIONS from `client`; its response or undefined. */
function options(client: RawClient, ms = ANSWER_MS): Promise<RawResponse | undefined> {
  return client.request('OPTIONS', { uri: `sip:${DOMAIN}`, from: 'probe', to: `sip:${DOMAIN}`, callId: token() }, ms);
}

/**
 * What must not differ between an unknown account and a known one: the status line, the header
 * names in order, and every header value, except the echoes of the request (Via, From, To,
 * Call-ID, CSeq, which name the account the client chose) and the nonces (random by design).
 */
function comparable(r: RawResponse | undefined): unknown {
  if (r === undefined) return 'no response';
  const echoes = new Set(['via', 'from', 'to', 'call-id', 'cseq']);
  return {
    status: r.status,
    reason: r.reason,
    names: r.headers.map(([n]) => n),
    values: r.headers.filter(([n]) => !echoes.has(n.toLowerCase())).map(([n, v]) => `${n}: ${v.replace(/nonce="[^"]*"/g, 'nonce="…"')}`),
  };
}

async function metric(ipbx: IpbxHarness, name: string): Promise<number> {
  const text = await (await ipbx.api('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  assert.ok(line !== undefined, `/metrics has ${name}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Checks that `client` got no answer at all to these Call-IDs, by the barrier: `witness`, a source in good standing, is answered first. */
async function ignored(client: RawClient, callIds: string[], witness: RawClient): Promise<void> {
  const probe = await options(witness);
  assert.equal(probe?.status, 200, 'the barrier request from a source in good standing is answered');
  await delay(GRACE_MS);
  for (const callId of callIds) assert.deepEqual(client.responsesTo(callId), [], `no answer at all to ${callId}`);
}

describe('IPBX security: answers that give nothing away', () => {
  let ipbx: IpbxHarness;
  let client: RawClient;

  before(async () => {
    ipbx = await startHarness({
      accounts: ACCOUNTS,
      extra: { security: { limits: { maxMessageBytes: MAX_MESSAGE_BYTES } } },
    });
    client = await RawClient.open('127.0.0.1', ipbx.port('udp'));
  });
  after(async () => {
    await client.close();
    await ipbx.close();
  });

  test('REGISTER: an unknown account and a known one with a wrong password get the same answers (no enumeration)', async () => {
    const unknown = await register(client, '4242', 'some-guess-123');
    const wrong = await register(client, '1002', 'some-guess-123');
    for (const [what, a, b] of [['challenge', unknown.challenge, wrong.challenge], ['answer to credentials', unknown.final, wrong.final]] as const) {
      assert.equal(a?.status, 401, `${what}: 401 for the unknown account`);
      assert.deepEqual(comparable(a), comparable(b), `${what}: identical for 4242 (unknown) and 1002 (wrong password)`);
    }
    // The nonces differ (fresh per challenge); nothing else does.
    assert.notEqual(header(unknown.final ?? assert.fail(), 'WWW-Authenticate'), header(wrong.final ?? assert.fail(), 'WWW-Authenticate'));
  });

  test('INVITE: an unknown caller and a known one with a wrong password get the same answers (no enumeration)', async () => {
    const unknown = await invite(client, '4242', '1001', 'some-guess-123');
    const wrong = await invite(client, '1002', '1001', 'some-guess-123');
    for (const [what, a, b] of [['challenge', unknown.challenge, wrong.challenge], ['answer to credentials', unknown.final, wrong.final]] as const) {
      assert.equal(a?.status, 407, `${what}: 407 for the unknown caller`);
      assert.deepEqual(comparable(a), comparable(b), `${what}: identical for 4242 (unknown) and 1002 (wrong password)`);
    }
  });

  test('an unauthenticated INVITE is challenged (407) whether the number exists or not: nothing routes before authentication', async () => {
    const internal = await invite(client, '1001', '1002');
    const nowhere = await invite(client, '1001', '5555');
    assert.equal(internal.challenge?.status, 407);
    assert.match(header(internal.challenge ?? assert.fail(), 'Proxy-Authenticate') ?? '', /^Digest realm="voiplab\.test".*nonce="/);
    assert.deepEqual(comparable(internal.challenge), comparable(nowhere.challenge), 'an unknown number is not told apart before authentication');
    // With the right password the same INVITE is routed: 1002 is not registered, so 480.
    const routed = await invite(client, '1001', '1002', ACCOUNTS[0]?.password);
    assert.equal(routed.final?.status, 480);
  });

  test(`a UDP message over security.limits.maxMessageBytes (${MAX_MESSAGE_BYTES}) is refused with 513 or dropped, and the source still served`, async (t) => {
    const callId = token();
    const text = client.build('OPTIONS', {
      uri: `sip:${DOMAIN}`, from: '1001', to: `sip:${DOMAIN}`, callId, headers: [`X-Padding: ${'a'.repeat(MAX_MESSAGE_BYTES * 2)}`],
    });
    assert.ok(Buffer.byteLength(text) > MAX_MESSAGE_BYTES * 2);
    client.send(text);
    const answer = await client.response(callId, '1 OPTIONS', 1000);
    assert.ok(answer === undefined || answer.status === 513, `got ${answer?.status} ${answer?.reason}`);
    t.diagnostic(`oversized UDP message: ${answer === undefined ? 'dropped' : `${answer.status} ${answer.reason}`}`);
    assert.equal((await options(client))?.status, 200, 'a normal request right after is answered');
  });

  test(`a TCP message over security.limits.maxMessageBytes is refused (513 or the connection closed), never read into memory`, async (t) => {
    const socket = connect(ipbx.port('tcp'), '127.0.0.1');
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    let received = '';
    socket.on('data', (d: Buffer) => { received += d.toString(); });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    const body = 'x'.repeat(MAX_MESSAGE_BYTES * 4);
    socket.write([
      `OPTIONS sip:${DOMAIN} SIP/2.0`, `Via: SIP/2.0/TCP 127.0.0.1:${socket.localPort ?? 0};branch=z9hG4bK${token()}`, 'Max-Forwards: 70',
      `From: <sip:1001@${DOMAIN}>;tag=${token()}`, `To: <sip:${DOMAIN}>`, `Call-ID: ${token()}`, 'CSeq: 1 OPTIONS',
      'Content-Type: text/plain', `Content-Length: ${body.length}`, '', '',
    ].join('\r\n'));
    socket.write(body);
    const outcome = await Promise.race([closed.then(() => 'closed'), delay(ANSWER_MS).then(() => 'open')]);
    socket.destroy();
    assert.match(received, /^$|^SIP\/2\.0 513 /, `answer: ${received.slice(0, 200)}`);
    assert.equal(outcome, 'closed', 'the IPBX closes a connection that announced an oversized message');
    t.diagnostic(`oversized TCP message: ${received === '' ? 'no answer' : received.split('\r\n')[0]}, connection closed`);
  });
});

describe('IPBX security: bans after repeated authentication failures', () => {
  let ipbx: IpbxHarness;
  const clients: RawClient[] = [];
  const open = async (address: string) => {
    const c = await RawClient.open(address, ipbx.port('udp'));
    clients.push(c);
    return c;
  };

  before(async () => {
    ipbx = await startHarness({ accounts: ACCOUNTS });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await ipbx.close();
  });

  test('10 failed REGISTERs from one address ban it: its next requests, from any port, get no answer; another address still registers', async () => {
    const attacker = await open('127.0.0.1');
    const legitimate = await open('127.0.0.2');
    assert.equal(await metric(ipbx, 'voiplab_bans_active'), 0);
    // The default security.ban.maxFailures is 10: each wrong password is answered until the 10th.
    for (let attempt = 1; attempt <= 10; attempt++) {
      const { final } = await register(attacker, '1002', `guess-number-${attempt}`);
      assert.equal(final?.status, 401, `attempt ${attempt} is answered like any wrong password`);
    }
    assert.equal(await metric(ipbx, 'voiplab_bans_active'), 1, 'the ban shows in /metrics');

    // Banned: nothing is answered, not even OPTIONS, nor the right password.
    const sameSocket = [
      attacker.build('OPTIONS', { uri: `sip:${DOMAIN}`, from: 'probe', to: `sip:${DOMAIN}`, callId: token() }),
      attacker.build('REGISTER', { uri: `sip:${DOMAIN}`, from: '1002', to: `sip:1002@${DOMAIN}`, callId: token() }),
    ];
    // Another socket on the same address is the same source (the ban is by IP address, not port).
    const samePlace = await open('127.0.0.1');
    const otherPort = samePlace.build('REGISTER', { uri: `sip:${DOMAIN}`, from: '1002', to: `sip:1002@${DOMAIN}`, callId: token() });
    for (const text of sameSocket) attacker.send(text);
    samePlace.send(otherPort);
    const callIds = (texts: string[]) => texts.map((t) => /Call-ID: (\S+)/.exec(t)?.[1] ?? '');
    await ignored(attacker, callIds(sameSocket), legitimate);
    await ignored(samePlace, callIds([otherPort]), legitimate);

    // The account's owner at another address is not locked out.
    const { final } = await register(legitimate, '1002', 'bob-secret-1002');
    assert.equal(final?.status, 200, 'the real user registers from 127.0.0.2 during the ban');
    const registrations = await (await ipbx.api('/api/v1/registrations?extension=1002')).json() as { items: Array<{ source: { address: string } }> };
    assert.deepEqual(registrations.items.map((b) => b.source.address), ['127.0.0.2']);
  });

  test('a banned address gets no answer to malformed requests either (the gate runs before parsing)', async () => {
    const attacker = clients[0] ?? assert.fail('the ban test ran first');
    const witness = await open('127.0.0.2');
    const callId = token();
    // Two CSeq headers: a parse error, answered 400 by the transport when nothing stops it.
    attacker.send(attacker.build('OPTIONS', { uri: `sip:${DOMAIN}`, from: 'probe', to: `sip:${DOMAIN}`, callId, headers: ['CSeq: 7 OPTIONS'] }));
    await ignored(attacker, [callId], witness);
  });

  test('guessing spread over two addresses protects the account: a new address is refused, the owner\'s usual address still works', async () => {
    const owner = await open('127.0.0.3');
    assert.equal((await register(owner, '1001', 'alice-secret-1001')).final?.status, 200, 'the owner registers before the attack');
    const attackers = [await open('127.0.0.4'), await open('127.0.0.5')];
    // 5 failures from each: 10 on the account, but neither address reaches 10 (no ban).
    for (let attempt = 1; attempt <= 5; attempt++) {
      for (const attacker of attackers) assert.equal((await register(attacker, '1001', `spread-guess-${attempt}`)).final?.status, 401);
    }
    assert.equal(await metric(ipbx, 'voiplab_bans_active'), 1, 'no new ban: only the one from the test before');
    // A new address with the right password is answered as for a wrong one while the account is protected.
    const newcomer = await open('127.0.0.6');
    assert.equal((await register(newcomer, '1001', 'alice-secret-1001')).final?.status, 401);
    // The owner's address, trusted by its earlier success, keeps working.
    assert.equal((await register(owner, '1001', 'alice-secret-1001')).final?.status, 200);
  });
});

describe('IPBX security: per-source rate limiting', () => {
  let ipbx: IpbxHarness;
  const clients: RawClient[] = [];

  before(async () => {
    ipbx = await startHarness({ accounts: ACCOUNTS });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await ipbx.close();
  });

  test('a flood of 2,000 OPTIONS from one address is mostly dropped, while another address still registers with digest', async (t) => {
    const flooder = await RawClient.open('127.0.0.1', ipbx.port('udp'));
    const other = await RawClient.open('127.0.0.2', ipbx.port('udp'));
    clients.push(flooder, other);
    const receivedBefore = await metric(ipbx, 'voiplab_sip_messages_received_total{transport="udp"}');
    const FLOOD = 2000;
    const callIds = new Set<string>();
    // Sent in slices of 20 with a timer tick between them (the IPBX runs in this process and reads
    // its socket between slices), so no socket buffer overflows: the IPBX must receive the flood,
    // and its limiter must be what drops it.
    for (let i = 0; i < FLOOD; i++) {
      const callId = `flood-${i}-${token()}`;
      callIds.add(callId);
      flooder.send(flooder.build('OPTIONS', { uri: `sip:${DOMAIN}`, from: 'flood', to: `sip:${DOMAIN}`, callId }));
      if (i % 20 === 19) await delay(1);
    }
    // Right after the flood, from another address: challenged, then registered.
    const { challenge, final } = await register(other, '1002', 'bob-secret-1002');
    assert.equal(challenge?.status, 401);
    assert.equal(final?.status, 200, 'registration from 127.0.0.2 succeeds during the flood');
    await delay(GRACE_MS);

    const answered = flooder.received.filter((r) => callIds.has(header(r, 'Call-ID') ?? '')).length;
    const received = await metric(ipbx, 'voiplab_sip_messages_received_total{transport="udp"}') - receivedBefore;
    assert.ok(received >= FLOOD * 0.9, `the IPBX received the flood (${received} of ${FLOOD}): it was not lost before reaching it`);
    assert.ok(answered > 0, 'the first requests (the burst allowance) are answered');
    assert.ok(answered < FLOOD / 2, `most of the flood is dropped: ${answered} of ${FLOOD} answered`);
    t.diagnostic(`flood: ${received} received by the IPBX, ${answered} answered`);
  });
});
