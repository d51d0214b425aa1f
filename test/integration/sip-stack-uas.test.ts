// What the UAS core answers before, and around, the application (RFC 3261 §8.2): the §8.2 checks
// end requests the application could not handle; a handler that throws still gets its request
// answered (500) and leaves the server working; a second final response is refused.
// One stack pair over UDP serves every test: each test uses its own requests.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUri, type SipRequest, type SipResponse, type Uri } from '../../ipbx/sip/message/index.ts';
import { ResponseError, type IncomingRequest, type NewRequestOptions } from '../../ipbx/sip/ua/index.ts';
import { startStackPair, within, type StackPair } from '../helpers/stack-pair.ts';

describe('UAS core between two stacks over UDP', () => {
  let pair: StackPair;
  /** Replaced per test; every request that passes the §8.2 checks goes here. */
  let handler: (req: IncomingRequest) => void | Promise<void>;
  const handled: SipRequest[] = [];

  before(async () => {
    pair = await startStackPair('udp');
    pair.uas.onRequest((req) => {
      handled.push(req.request);
      return handler(req);
    });
  });
  after(() => pair.close());

  function send(method: string, options: Partial<NewRequestOptions> & { uri?: Uri } = {}): Promise<SipResponse> {
    const { uri, ...rest } = options;
    const request = pair.uac.createRequest(method, uri ?? pair.uasUri('bob'), { from: '<sip:alice@127.0.0.1>', ...rest });
    return within(pair.uac.send(request, { target: pair.uasTarget }), `the response to ${method}`);
  }

  /** Sends a request the §8.2 checks must stop: the application never sees it. */
  async function rejected(method: string, options: Partial<NewRequestOptions> & { uri?: Uri } = {}): Promise<SipResponse> {
    const seen = handled.length;
    handler = (req) => { req.respond(200); };
    const response = await send(method, options);
    assert.equal(handled.length, seen, `the application saw the ${method}`);
    return response;
  }

  test('an unknown method is answered 501 with Allow (RFC 3261 §8.2.1)', async () => {
    const response = await rejected('FROBNICATE');
    assert.equal(response.status, 501);
    assert.match(response.headers.get('Allow') ?? '', /\bINVITE\b/);
  });

  test('a known method the UA does not handle is answered 405 with Allow (RFC 3261 §8.2.1)', async () => {
    const response = await rejected('PUBLISH');
    assert.equal(response.status, 405);
    const allow = response.headers.getAll('Allow');
    assert.deepEqual(allow, [...pair.uas.policy.allowedMethods]);
    assert.equal(allow.includes('PUBLISH'), false);
  });

  test('a Require of an unknown option is answered 420 listing it in Unsupported (RFC 3261 §8.2.2.3)', async () => {
    const response = await rejected('OPTIONS', { headers: [['Require', 'timer, x-frobnicate']] });
    assert.equal(response.status, 420);
    assert.deepEqual(response.headers.getAll('Unsupported'), ['x-frobnicate'], 'only the option it lacks');
  });

  test('a body of an unsupported type is answered 415 with Accept (RFC 3261 §8.2.3)', async () => {
    const response = await rejected('MESSAGE', { body: '<x/>', contentType: 'application/x-frobnicate+xml' });
    assert.equal(response.status, 415);
    assert.deepEqual(response.headers.getAll('Accept'), [...pair.uas.policy.acceptedContentTypes]);
  });

  test('a Request-URI of an unknown scheme is answered 416 (RFC 3261 §8.2.2.1)', async () => {
    const response = await rejected('OPTIONS', { uri: parseUri('im:bob@example.com') });
    assert.equal(response.status, 416);
  });

  test('an INVITE whose Accept excludes SDP is answered 406 (RFC 3261 §8.2.3)', async () => {
    const response = await rejected('INVITE', { headers: [['Accept', 'text/html']] });
    assert.equal(response.status, 406);
  });

  test('a handler that throws gets its request answered 500, the error reported, and the server keeps working (RFC 3261 §8.2.6)', async () => {
    const boom = new Error('handler bug');
    handler = () => { throw boom; };
    const thrown = await send('OPTIONS');
    assert.equal(thrown.status, 500);
    assert.ok(pair.errors.some((e) => e.side === 'uas' && e.error === boom), 'the error went to onError');

    handler = () => Promise.reject(new Error('async handler bug'));
    const rejectedAsync = await send('INFO');
    assert.equal(rejectedAsync.status, 500);

    handler = (req) => { req.respond(200); };
    const fine = await send('OPTIONS');
    assert.equal(fine.status, 200);
    pair.errors.length = 0;
  });

  test('a handler that fails after answering does not send a second response', async () => {
    handler = (req) => {
      req.respond(202);
      throw new Error('late bug');
    };
    const response = await send('MESSAGE', { body: 'hi', contentType: 'text/plain' });
    assert.equal(response.status, 202);
    assert.equal(pair.uasTap.sentResponses(500, 'MESSAGE').length, 0);
    pair.errors.length = 0;
  });

  test('a second final response from the application throws ResponseError (SIP_FINAL_RESPONSE_SENT)', async () => {
    let second: unknown;
    let callId = '';
    handler = (req) => {
      callId = req.request.callId;
      req.respond(200);
      try {
        req.respond(486);
      } catch (err) {
        second = err;
      }
    };
    const response = await send('OPTIONS');
    assert.equal(response.status, 200);
    assert.ok(second instanceof ResponseError);
    assert.equal(second.code, 'SIP_FINAL_RESPONSE_SENT');
    const finals = pair.uasTap.sentResponses().filter((r) => r.callId === callId && r.status >= 200);
    assert.deepEqual(finals.map((r) => r.status), [200], 'only the first final response left the UAS');
  });

  test('provisional responses may precede the final one, which then closes the request', async () => {
    let late: unknown;
    handler = (req) => {
      req.respond(180);
      req.respond(183);
      req.respond(486);
      try {
        req.respond(180);
      } catch (err) {
        late = err;
      }
    };
    const provisional: number[] = [];
    const request = pair.uac.createRequest('INVITE', pair.uasUri('bob'), { from: '<sip:alice@127.0.0.1>' });
    const response = await within(pair.uac.send(request, { target: pair.uasTarget, onProvisional: (r) => provisional.push(r.status) }), 'the 486');
    assert.equal(response.status, 486);
    assert.deepEqual(provisional.filter((s) => s !== 100), [180, 183]);
    assert.ok(late instanceof ResponseError, 'nothing may follow a final response');
  });
});
