// Digest authentication between two SipStacks over real sockets (RFC 3261 §22, RFC 7616): the UAC
// answers a 401 or 407 once, gives up on a second plain challenge (wrong password), retries once
// more when the server says its nonce went stale, and repeats the INVITE's credentials in the ACK.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import { Dialog } from '../../ipbx/sip/dialog/index.ts';
import { DigestServer, ha1For, parseAuthValue } from '../../ipbx/sip/digest/index.ts';
import type { SipRequest } from '../../ipbx/sip/message/index.ts';
import type { IncomingRequest } from '../../ipbx/sip/ua/index.ts';
import { startStackPair, within, type StackPair } from '../helpers/stack-pair.ts';

const REALM = 'voiplab.test';
const PASSWORD = 'wonderland';
const NONCE_LIFETIME_MS = 1_000;

interface Guard {
  digest: DigestServer;
  /** Requests the application saw, ACKs excluded. */
  requests: SipRequest[];
  acks: SipRequest[];
  /** Called before each check of credentials: lets a test age the nonce. */
  beforeVerify: (request: SipRequest) => void;
}

/**
 * The UAS as a registrar (401, WWW-Authenticate) or as a proxy-like B2BUA (407, Proxy-Authenticate):
 * every request needs credentials for alice/wonderland; INVITEs are answered 200 with a Contact.
 */
function guard(pair: StackPair, kind: 'www' | 'proxy', clock = new FakeClock()): Guard {
  const digest = new DigestServer({ realm: REALM, secret: randomBytes(32), clock, nonceLifetimeMs: NONCE_LIFETIME_MS });
  const g: Guard = { digest, requests: [], acks: [], beforeVerify: () => undefined };
  pair.uas.onRequest((req: IncomingRequest) => {
    const request = req.request;
    if (request.method === 'ACK') {
      g.acks.push(request);
      return;
    }
    g.requests.push(request);
    g.beforeVerify(request);
    const result = digest.verify({
      authorizationValue: kind === 'www' ? request.authorization : request.proxyAuthorization,
      method: request.method,
      lookupHa1: (username, realm, algorithm) => (username === 'alice' ? ha1For(username, realm, PASSWORD, algorithm) : undefined),
    });
    if (!result.ok) {
      const header = kind === 'www' ? 'WWW-Authenticate' : 'Proxy-Authenticate';
      req.respond(kind === 'www' ? 401 : 407, { headers: digest.challenge({ stale: result.stale }).map((v): [string, string] => [header, v]) });
      return;
    }
    const contact = pair.uas.contactFor(req.source.protocol, 'bob');
    req.respond(200, request.method === 'INVITE' ? { headers: [['Contact', contact.toString()]] } : {});
  });
  return g;
}

function register(pair: StackPair, password = PASSWORD, onSent?: (r: SipRequest) => void) {
  const aor = '<sip:alice@127.0.0.1>';
  const request = pair.uac.createRequest('REGISTER', pair.uasUri(), {
    from: aor, to: aor, contact: pair.uac.contactFor(pair.protocol, 'alice'), headers: [['Expires', '600']],
  });
  return within(pair.uac.send(request, { credentials: { username: 'alice', password }, onSent }), 'the final response to the REGISTER');
}

function nonceOf(value: string | undefined): string | undefined {
  return value === undefined ? undefined : parseAuthValue(value).params.get('nonce');
}

for (const protocol of ['udp', 'tcp'] as const) {
  test(`a 401 is answered once with credentials, same Call-ID and From tag, CSeq + 1 (RFC 3261 §22.2, §8.1.3.5) over ${protocol.toUpperCase()}`, async (t) => {
    const pair = await startStackPair(protocol);
    t.after(() => pair.close());
    const g = guard(pair, 'www');
    const response = await register(pair);
    assert.equal(response.status, 200);
    assert.equal(g.requests.length, 2);
    const [first, second] = g.requests;
    assert.ok(first !== undefined && second !== undefined);
    assert.deepEqual(first.authorization, []);
    assert.equal(second.authorization.length, 1);
    assert.equal(second.callId, first.callId);
    assert.equal(second.from.tag, first.from.tag);
    assert.equal(second.cseq.seq, first.cseq.seq + 1);
    assert.notEqual(second.topVia?.branch, first.topVia?.branch, 'a new request, a new transaction');
    assert.deepEqual(pair.errors, []);
  });
}

test('a wrong password ends with the second 401, not a loop (RFC 3261 §22.2)', async (t) => {
  const pair = await startStackPair('udp');
  t.after(() => pair.close());
  const g = guard(pair, 'www');
  const response = await register(pair, 'not-the-password');
  assert.equal(response.status, 401);
  assert.equal(g.requests.length, 2, 'one answer to the challenge, no more');
  assert.doesNotMatch(response.wwwAuthenticate.join(' '), /stale/i);
});

test('a stale nonce is retried once with the new nonce (RFC 7616 §3.3, RFC 3261 §22.4)', async (t) => {
  const pair = await startStackPair('udp');
  t.after(() => pair.close());
  const clock = new FakeClock();
  const g = guard(pair, 'www', clock);
  // The first authorized request arrives after its nonce expired: the server says stale=true.
  let aged = false;
  g.beforeVerify = (request) => {
    if (request.authorization.length > 0 && !aged) {
      aged = true;
      clock.advance(NONCE_LIFETIME_MS + 1);
    }
  };
  const response = await register(pair);
  assert.equal(response.status, 200);
  assert.equal(g.requests.length, 3);
  const [, stale, fresh] = g.requests;
  const staleNonce = nonceOf(stale?.authorization[0]);
  const freshNonce = nonceOf(fresh?.authorization[0]);
  assert.ok(staleNonce !== undefined && freshNonce !== undefined);
  assert.notEqual(freshNonce, staleNonce, 'the retry uses the nonce of the stale=true challenge');
  assert.equal(fresh?.cseq.seq, (stale?.cseq.seq ?? 0) + 1);
});

test('a nonce that is stale again is not retried a third time (RFC 3261 §22.2)', async (t) => {
  const pair = await startStackPair('udp');
  t.after(() => pair.close());
  const clock = new FakeClock();
  const g = guard(pair, 'www', clock);
  g.beforeVerify = (request) => {
    if (request.authorization.length > 0) clock.advance(NONCE_LIFETIME_MS + 1);
  };
  const response = await register(pair);
  assert.equal(response.status, 401);
  assert.match(response.wwwAuthenticate.join(' '), /stale=true/i);
  assert.equal(g.requests.length, 3, 'the challenge, one answer, one stale retry');
});

test('a 407 is answered with Proxy-Authorization; the ACK for the 2xx carries the same credentials (RFC 3261 §22.3, §13.2.2.4)', async (t) => {
  const pair = await startStackPair('udp');
  t.after(() => pair.close());
  const g = guard(pair, 'proxy');
  const contact = pair.uac.contactFor('udp', 'alice');
  const invite = pair.uac.createRequest('INVITE', pair.uasUri('bob'), { from: '<sip:alice@127.0.0.1>', contact });
  let last: SipRequest = invite;
  const response = await within(pair.uac.send(invite, { credentials: { username: 'alice', password: PASSWORD }, onSent: (r) => { last = r; } }), 'the final response to the INVITE');
  assert.equal(response.status, 200);
  assert.equal(g.requests.length, 2);
  assert.deepEqual(g.requests[0]?.proxyAuthorization, []);
  assert.equal(g.requests[1]?.proxyAuthorization.length, 1);
  assert.deepEqual(g.requests[1]?.authorization, [], 'a 407 is answered in Proxy-Authorization only');
  // §17.1.1.3: the 407 was acknowledged by the client transaction, on the first INVITE's branch.
  await pair.uasTap.until(() => pair.uasTap.receivedRequests('ACK').length === 1, 'the ACK for the 407');
  assert.equal(pair.uasTap.receivedRequests('ACK')[0]?.topVia?.branch, invite.topVia?.branch);

  const dialog = Dialog.fromUacResponse(last, response, contact);
  await within(pair.uac.ack(dialog, last.cseq.seq), 'sending the ACK');
  await pair.uasTap.until(() => g.acks.length === 1, 'the ACK for the 200');
  const ack = g.acks[0];
  assert.deepEqual(ack?.cseq, { seq: last.cseq.seq, method: 'ACK' });
  assert.deepEqual(ack.proxyAuthorization, last.proxyAuthorization);
  assert.deepEqual(pair.errors, []);
});
