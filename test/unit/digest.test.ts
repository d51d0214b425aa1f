import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FakeClock } from '../../ipbx/sip/clock.ts';
import {
  computeHa1,
  computeResponse,
  DigestClient,
  DigestError,
  DigestServer,
  ha1For,
  hashHex,
  NonceManager,
  parseAlgorithm,
  parseAuthValue,
  serializeAuthValue,
  type DigestAlgorithm,
  type DigestErrorCode,
  type DigestHashName,
  type DigestServerOptions,
} from '../../ipbx/sip/digest/index.ts';

const isDigestError = (code: DigestErrorCode) => (err: unknown): boolean => {
  assert.ok(err instanceof DigestError, `expected a DigestError, got ${String(err)}`);
  assert.equal(err.code, code);
  return true;
};

// RFC 7616 §3.9.1
const RFC7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  uri: '/dir/index.html',
  method: 'GET',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  qop: 'auth',
} as const;

void describe('digest response computation', () => {
  for (const [algorithm, expected] of [
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const) {
    void it(`${algorithm} qop=auth matches the RFC 7616 §3.9.1 example`, () => {
      const v = RFC7616;
      const ha1 = computeHa1(algorithm, v.username, v.realm, v.password);
      const response = computeResponse({ algorithm, ha1, nonce: v.nonce, nc: v.nc, cnonce: v.cnonce, qop: v.qop, method: v.method, uri: v.uri });
      assert.equal(response, expected);
    });
  }

  void it('MD5 qop=auth matches the RFC 2617 §3.5 example', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const response = computeResponse({
      algorithm: 'MD5',
      ha1,
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      nc: '00000001',
      cnonce: '0a4f113b',
      qop: 'auth',
      method: 'GET',
      uri: '/dir/index.html',
    });
    assert.equal(response, '6629fae49393a05397450978507c4ef1');
  });

  void it('SHA-512-256 is the FIPS 180-4 SHA-512/256 function, not truncated SHA-512 (RFC 7616 §3.2)', () => {
    assert.equal(hashHex('SHA-512-256', 'abc'), '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23');
  });

  void it('without qop uses the RFC 2069 form H(HA1:nonce:H(method:uri)) (RFC 7616 §3.4.1)', () => {
    const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
    const ha1 = md5('Mufasa:testrealm@host.com:CircleOfLife');
    const expected = md5(`${ha1}:abc:${md5('REGISTER:sip:example.org')}`);
    assert.equal(computeResponse({ algorithm: 'MD5', ha1, nonce: 'abc', method: 'REGISTER', uri: 'sip:example.org' }), expected);
  });

  void it('-sess derives HA1 from the nonce and cnonce (RFC 7616 §3.4.2)', () => {
    const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
    const ha1 = computeHa1('SHA-256-sess', 'bob', 'r', 'pw');
    assert.equal(ha1, sha('bob:r:pw'), 'the stored HA1 is the same for SHA-256 and SHA-256-sess');
    const sessionHa1 = sha(`${ha1}:n1:c1`);
    const expected = sha(`${sessionHa1}:n1:00000001:c1:auth:${sha('INVITE:sip:x@y')}`);
    const input = { ha1, nonce: 'n1', nc: '00000001', cnonce: 'c1', qop: 'auth', method: 'INVITE', uri: 'sip:x@y' } as const;
    assert.equal(computeResponse({ ...input, algorithm: 'SHA-256-sess' }), expected);
    assert.notEqual(computeResponse({ ...input, algorithm: 'SHA-256' }), expected);
  });

  void it('qop=auth-int covers the body, an absent body hashing as empty (RFC 3261 §22.4)', () => {
    const base = { algorithm: 'MD5', ha1: computeHa1('MD5', 'a', 'r', 'p'), nonce: 'n', nc: '00000001', cnonce: 'c', qop: 'auth-int', method: 'INVITE', uri: 'sip:b@r' } as const;
    const withSdp = computeResponse({ ...base, body: 'v=0\r\n' });
    assert.notEqual(withSdp, computeResponse({ ...base, body: 'v=1\r\n' }));
    assert.equal(withSdp, computeResponse({ ...base, body: Buffer.from('v=0\r\n') }));
    assert.equal(computeResponse(base), computeResponse({ ...base, body: '' }));
    assert.notEqual(computeResponse(base), computeResponse({ ...base, qop: 'auth' }));
  });

  void it('refuses -sess without qop, nc that is not 8 hex digits, and an HA1 of the wrong length', () => {
    const ha1 = computeHa1('MD5', 'a', 'r', 'p');
    assert.throws(() => computeResponse({ algorithm: 'MD5-sess', ha1, nonce: 'n', method: 'GET', uri: '/' }), isDigestError('DIGEST_MALFORMED'));
    assert.throws(() => computeResponse({ algorithm: 'MD5', ha1, nonce: 'n', nc: '1', cnonce: 'c', qop: 'auth', method: 'GET', uri: '/' }), isDigestError('DIGEST_MALFORMED'));
    assert.throws(() => computeResponse({ algorithm: 'SHA-256', ha1, nonce: 'n', method: 'GET', uri: '/' }), isDigestError('DIGEST_INVALID_HA1'));
  });

  void it('algorithm names are case-insensitive and unknown ones are refused (RFC 7616 §3.3)', () => {
    assert.equal(parseAlgorithm('sha-512-256-SESS'), 'SHA-512-256-sess');
    assert.equal(parseAlgorithm('md5'), 'MD5');
    assert.throws(() => parseAlgorithm('SHA-1'), isDigestError('DIGEST_UNSUPPORTED_ALGORITHM'));
  });
});

void describe('auth header values (RFC 3261 §25.1, RFC 7235 §2.1)', () => {
  void it('parses the RFC 7616 §3.9.1 Authorization example', () => {
    const v = parseAuthValue(
      'Digest username="Mufasa",\r\n realm="http-auth@example.org",\r\n uri="/dir/index.html",\r\n algorithm=MD5,\r\n nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n nc=00000001,\r\n cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",\r\n qop=auth,\r\n response="8ca523f5e9506fed4657c9700eebdbec",\r\n opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    );
    assert.equal(v.scheme, 'Digest');
    assert.deepEqual(Object.fromEntries(v.params), {
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      uri: '/dir/index.html',
      algorithm: 'MD5',
      nonce: RFC7616.nonce,
      nc: '00000001',
      cnonce: RFC7616.cnonce,
      qop: 'auth',
      response: '8ca523f5e9506fed4657c9700eebdbec',
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    });
  });

  void it('unescapes quoted-pairs and keeps commas and "=" inside quoted values', () => {
    const v = parseAuthValue('Digest realm="say \\"hi\\", a\\\\b", opaque="x=1, y=2", nonce=""');
    assert.equal(v.params.get('realm'), 'say "hi", a\\b');
    assert.equal(v.params.get('opaque'), 'x=1, y=2');
    assert.equal(v.params.get('nonce'), '');
    assert.equal(v.params.size, 3);
  });

  void it('accepts LWS around "=" and ",", tabs, folded lines and empty list elements; names and scheme are case-insensitive', () => {
    const v = parseAuthValue('  dIgEsT\tRealm = "a" ,\r\n\tNONCE\t=\t"b"\r\n , , algorithm = MD5 ,');
    assert.equal(v.scheme, 'Digest');
    assert.deepEqual([...v.params], [['realm', 'a'], ['nonce', 'b'], ['algorithm', 'MD5']]);
  });

  void it('keeps an unknown scheme as written, with its params or its token68', () => {
    const custom = parseAuthValue('Custom-Auth Foo=bar, baz="q"');
    assert.equal(custom.scheme, 'Custom-Auth');
    assert.deepEqual([...custom.params], [['foo', 'bar'], ['baz', 'q']]);
    const basic = parseAuthValue('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    assert.equal(basic.scheme, 'Basic');
    assert.equal(basic.token68, 'QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    assert.equal(basic.params.size, 0);
    assert.equal(parseAuthValue('Digest').params.size, 0);
  });

  const malformed: [string, string, RegExp][] = [
    ['empty', '', /auth-scheme/],
    ['a quoted scheme', '"Digest" realm="a"', /auth-scheme/],
    ['a param without "="', 'Digest realm', /"realm" has no "=value"/],
    ['a param without a value', 'Digest realm=, nonce="n"', /"realm" has an empty/],
    ['an unterminated quoted string', 'Digest nonce=b, realm="a, b', /unterminated/],
    ['a missing comma', 'Digest realm="a" nonce="b"', /expected "," after parameter "realm"/],
    ['a duplicated param, case-insensitively', 'Digest realm="a", REALM="b"', /"realm" appears more than once/],
    ['a control character', 'Digest realm="a\u0001"', /control character/],
    ['a bare CR inside quotes', 'Digest realm="a\rb"', /control character/],
    ['a non-token value', 'Digest algorithm=MD5/x', /expected ","/],
    ['no space after the scheme', 'Digest,realm="a"', /whitespace after the auth-scheme/],
    ['a dangling escape', 'Digest realm="a\\', /invalid escape/],
  ];
  for (const [what, input, message] of malformed) {
    void it(`refuses ${what} with DIGEST_MALFORMED`, () => {
      assert.throws(() => parseAuthValue(input), (err: unknown) => {
        isDigestError('DIGEST_MALFORMED')(err);
        assert.match((err as Error).message, message);
        return true;
      });
    });
  }

  void it('never echoes a value in an error message, since it may be a credential', () => {
    assert.throws(() => parseAuthValue('Digest response="s3cr3t-response'), (err: unknown) => {
      assert.ok(err instanceof DigestError);
      assert.doesNotMatch(err.message, /s3cr3t/);
      return true;
    });
  });

  void it('quotes qop in a challenge but not in credentials, and never quotes algorithm, nc or stale (RFC 7616 §3.3, §3.4)', () => {
    const params = new Map([['realm', 'r'], ['qop', 'auth'], ['algorithm', 'SHA-256'], ['nc', '00000001'], ['stale', 'true'], ['nonce', 'abc']]);
    assert.equal(serializeAuthValue({ scheme: 'Digest', params }, 'challenge'), 'Digest realm="r", qop="auth", algorithm=SHA-256, nc=00000001, stale=true, nonce="abc"');
    assert.equal(serializeAuthValue({ scheme: 'Digest', params }, 'credentials'), 'Digest realm="r", qop=auth, algorithm=SHA-256, nc=00000001, stale=true, nonce="abc"');
  });

  void it('escapes quotes and backslashes so parse(serialize(x)) gives x back', () => {
    const params = new Map([['username', 'a"b\\c'], ['uri', 'sip:bob@example.org;transport=tcp'], ['custom', 'needs quoting'], ['plain', 'tok']]);
    const text = serializeAuthValue({ scheme: 'Digest', params }, 'credentials');
    assert.match(text, /custom="needs quoting", plain=tok$/);
    assert.deepEqual([...parseAuthValue(text).params], [...params]);
  });

  void it('refuses to write CR/LF into a header or a non-token where a token is due', () => {
    assert.throws(() => serializeAuthValue({ scheme: 'Digest', params: new Map([['realm', 'a\r\nVia: x']]) }, 'challenge'), isDigestError('DIGEST_MALFORMED'));
    assert.throws(() => serializeAuthValue({ scheme: 'Digest', params: new Map([['algorithm', 'MD5 x']]) }, 'challenge'), isDigestError('DIGEST_MALFORMED'));
  });
});

const SECRET = Buffer.alloc(32, 7);

void describe('stateless nonces (RFC 7616 §3.3)', () => {
  void it('a nonce is valid until its lifetime has passed, then stale', () => {
    const clock = new FakeClock();
    const nonces = new NonceManager({ secret: SECRET, clock, lifetimeMs: 1000 });
    const nonce = nonces.issueNonce();
    assert.equal(nonces.checkNonce(nonce), 'valid');
    clock.advance(1000);
    assert.equal(nonces.checkNonce(nonce), 'valid');
    clock.advance(1);
    assert.equal(nonces.checkNonce(nonce), 'stale');
    assert.equal(new NonceManager({ secret: SECRET, clock, lifetimeMs: 1000 }).checkNonce(nonce), 'stale', 'no server-side state is needed');
  });

  void it('nonces are distinct and base64url', () => {
    const nonces = new NonceManager({ secret: SECRET, clock: new FakeClock() });
    const a = nonces.issueNonce();
    assert.notEqual(a, nonces.issueNonce());
    assert.match(a, /^[A-Za-z0-9_-]+$/);
  });

  void it('a nonce signed with another secret or realm, altered, or garbage is invalid', () => {
    const clock = new FakeClock();
    const nonces = new NonceManager({ secret: SECRET, clock, context: 'a.example' });
    const nonce = nonces.issueNonce();
    assert.equal(new NonceManager({ secret: Buffer.alloc(32, 8), clock, context: 'a.example' }).checkNonce(nonce), 'invalid');
    assert.equal(new NonceManager({ secret: SECRET, clock, context: 'b.example' }).checkNonce(nonce), 'invalid');
    const flipped = (nonce[40] === 'A' ? 'B' : 'A');
    assert.equal(nonces.checkNonce(nonce.slice(0, 40) + flipped + nonce.slice(41)), 'invalid');
    assert.equal(nonces.checkNonce(nonce.slice(0, -1)), 'invalid');
    assert.equal(nonces.checkNonce(`${nonce}A`), 'invalid');
    assert.equal(nonces.checkNonce('not a nonce'), 'invalid');
    assert.equal(nonces.checkNonce(''), 'invalid');
  });

  void it('refreshing the timestamp of a stale nonce breaks its signature', () => {
    const clock = new FakeClock();
    const nonces = new NonceManager({ secret: SECRET, clock, lifetimeMs: 1000 });
    const raw = Buffer.from(nonces.issueNonce(), 'base64url');
    clock.advance(5000);
    raw.writeUIntBE(clock.now(), 0, 6);
    assert.equal(nonces.checkNonce(raw.toString('base64url')), 'invalid');
  });

  void it('refuses a short secret and a non-positive lifetime, naming the option', () => {
    assert.throws(() => new NonceManager({ secret: Buffer.alloc(8) }), /secret must be a Buffer of at least 16 bytes/);
    assert.throws(() => new NonceManager({ secret: SECRET, lifetimeMs: 0 }), isDigestError('DIGEST_INVALID_OPTION'));
  });
});

const REALM = 'voiplab.example';
const ACCOUNTS = new Map([['alice', 'wonderland'], ['bob', 'builder']]);

function setup(options: Partial<DigestServerOptions> = {}) {
  const clock = new FakeClock();
  const server = new DigestServer({ realm: REALM, secret: SECRET, clock, ...options });
  const lookups: [string, string, DigestHashName][] = [];
  const lookupHa1 = (username: string, realm: string, algorithm: DigestHashName): string | undefined => {
    lookups.push([username, realm, algorithm]);
    const password = ACCOUNTS.get(username);
    return password === undefined ? undefined : ha1For(username, realm, password, algorithm);
  };
  const verify = (authorizationValue: string | readonly string[] | undefined, method = 'REGISTER', body?: string) =>
    server.verify({ authorizationValue, method, lookupHa1, body });
  return { clock, server, lookups, verify };
}

const REQUEST = { method: 'REGISTER', uri: 'sip:voiplab.example' } as const;
const alice = (): DigestClient => new DigestClient({ username: 'alice', password: 'wonderland' });

void describe('DigestServer challenges (RFC 8760 §2.4, RFC 7616 §3.3)', () => {
  void it('offers SHA-256 before MD5 by default, with one nonce, realm and quoted qop', () => {
    const { server } = setup();
    const values = server.challenge();
    assert.equal(values.length, 2);
    const [sha, md5] = values.map(parseAuthValue);
    assert.equal(sha?.params.get('algorithm'), 'SHA-256');
    assert.equal(md5?.params.get('algorithm'), 'MD5');
    assert.equal(sha?.params.get('realm'), REALM);
    assert.equal(sha?.params.get('nonce'), md5?.params.get('nonce'));
    assert.match(values[0] ?? '', /qop="auth"/);
    assert.doesNotMatch(values[0] ?? '', /stale/);
    assert.doesNotMatch(values[0] ?? '', /opaque/);
  });

  void it('adds stale=true when asked and opaque when configured', () => {
    const { server } = setup({ opaque: 'op1', algorithms: ['SHA-512-256'], qop: ['auth', 'auth-int'] });
    const values = server.challenge({ stale: true });
    assert.equal(values.length, 1);
    const v = parseAuthValue(values[0] ?? '');
    assert.equal(v.params.get('stale'), 'true');
    assert.equal(v.params.get('opaque'), 'op1');
    assert.equal(v.params.get('qop'), 'auth,auth-int');
    assert.equal(v.params.get('algorithm'), 'SHA-512-256');
  });

  void it('refuses bad options, naming them', () => {
    assert.throws(() => new DigestServer({ realm: '', secret: SECRET }), /realm/);
    assert.throws(() => new DigestServer({ realm: REALM, secret: SECRET, algorithms: [] }), /algorithms/);
    assert.throws(() => new DigestServer({ realm: REALM, secret: SECRET, algorithms: ['SHA-1' as DigestAlgorithm] }), /algorithms/);
    assert.throws(() => new DigestServer({ realm: REALM, secret: SECRET, maxTrackedNonces: 0 }), /maxTrackedNonces/);
    assert.throws(() => new DigestServer({ realm: REALM, secret: Buffer.alloc(4) }), /secret/);
    assert.throws(() => new DigestServer({ realm: REALM, secret: SECRET, qop: [], algorithms: ['MD5-sess'] }), isDigestError('DIGEST_INVALID_OPTION'));
  });
});

void describe('client ↔ server round trip (RFC 3261 §22.2, RFC 7616 §3.4)', () => {
  for (const algorithm of ['MD5', 'SHA-256', 'SHA-512-256', 'MD5-sess', 'SHA-256-sess', 'SHA-512-256-sess'] as const) {
    void it(`authenticates with ${algorithm} from a password and from a stored HA1`, () => {
      const { server, verify, lookups } = setup({ algorithms: [algorithm] });
      const byPassword = alice().authorize({ challengeValues: server.challenge(), ...REQUEST });
      assert.match(byPassword, new RegExp(`algorithm=${algorithm}(,|$)`));
      assert.deepEqual(verify(byPassword), { ok: true, username: 'alice', algorithm });
      assert.deepEqual(lookups.at(-1), ['alice', REALM, algorithm.replace('-sess', '')]);

      const hash = algorithm.replace('-sess', '') as DigestHashName;
      const byHa1 = new DigestClient({ username: 'alice', ha1ByAlgorithm: { [hash]: ha1For('alice', REALM, 'wonderland', algorithm) } });
      assert.deepEqual(verify(byHa1.authorize({ challengeValues: server.challenge(), ...REQUEST })), { ok: true, username: 'alice', algorithm });
    });
  }

  void it('the client picks the strongest algorithm offered, whatever the order (RFC 8760 §2.4)', () => {
    const { server, verify } = setup({ algorithms: ['MD5', 'SHA-512-256', 'SHA-256'] });
    const value = alice().authorize({ challengeValues: server.challenge(), ...REQUEST });
    assert.equal(parseAuthValue(value).params.get('algorithm'), 'SHA-512-256');
    assert.equal(verify(value).ok, true);
  });

  void it('a client holding only an MD5 HA1 answers the MD5 challenge', () => {
    const { server, verify } = setup();
    const client = new DigestClient({ username: 'alice', ha1ByAlgorithm: { MD5: ha1For('alice', REALM, 'wonderland', 'MD5') } });
    const value = client.authorize({ challengeValues: server.challenge(), ...REQUEST });
    assert.equal(parseAuthValue(value).params.get('algorithm'), 'MD5');
    assert.equal(verify(value).ok, true);
  });

  void it('the client skips non-Digest and malformed challenges and throws when none is usable', () => {
    const { server } = setup();
    const client = alice();
    const value = client.authorize({ challengeValues: ['Basic realm="x"', 'Digest realm="unterminated', ...server.challenge()], ...REQUEST });
    assert.equal(parseAuthValue(value).params.get('algorithm'), 'SHA-256');
    assert.throws(() => client.authorize({ challengeValues: ['Digest realm="r", nonce="n", algorithm=SHA-1', 'Basic realm="r"'], ...REQUEST }), isDigestError('DIGEST_UNSUPPORTED_ALGORITHM'));
    assert.throws(() => client.authorize({ challengeValues: ['Digest realm="r", nonce="n", qop="auth-conf"'], ...REQUEST }), isDigestError('DIGEST_UNSUPPORTED_ALGORITHM'));
    assert.throws(() => client.authorize({ challengeValues: [], ...REQUEST }), isDigestError('DIGEST_UNSUPPORTED_ALGORITHM'));
    assert.throws(() => client.authorize({ challengeValues: ['Digest realm="x'], ...REQUEST }), isDigestError('DIGEST_MALFORMED'));
    const md5Only = new DigestClient({ username: 'alice', ha1ByAlgorithm: { MD5: ha1For('alice', REALM, 'wonderland', 'MD5') } });
    assert.throws(() => md5Only.authorize({ challengeValues: setup({ algorithms: ['SHA-256'] }).server.challenge(), ...REQUEST }), isDigestError('DIGEST_UNSUPPORTED_ALGORITHM'));
  });

  void it('pre-authorizes the next request with nc+1 under the last challenge (RFC 7616 §3.4)', () => {
    const { server, verify } = setup();
    const client = alice();
    assert.equal(client.preAuthorize(REQUEST), undefined);
    const first = client.authorize({ challengeValues: server.challenge(), ...REQUEST });
    const second = client.preAuthorize({ method: 'INVITE', uri: 'sip:bob@voiplab.example' });
    assert.ok(second !== undefined);
    const [p1, p2] = [parseAuthValue(first).params, parseAuthValue(second).params];
    assert.equal(p1.get('nc'), '00000001');
    assert.equal(p2.get('nc'), '00000002');
    assert.equal(p1.get('nonce'), p2.get('nonce'));
    assert.notEqual(p1.get('cnonce'), p2.get('cnonce'));
    assert.equal(verify(first).ok, true);
    assert.equal(verify(second, 'INVITE').ok, true);
  });

  void it('qop=auth-int protects the body', () => {
    const { server, verify } = setup({ qop: 'auth-int' });
    const value = alice().authorize({ challengeValues: server.challenge(), method: 'INVITE', uri: 'sip:bob@voiplab.example', body: 'v=0\r\n' });
    assert.equal(parseAuthValue(value).params.get('qop'), 'auth-int');
    assert.equal(verify(value, 'INVITE', 'v=0\r\nc=IN IP4 6.6.6.6\r\n').ok, false);
    assert.equal(verify(value, 'INVITE', 'v=0\r\n').ok, true);
  });

  void it('without qop, answers in the RFC 2069 form and a nonce authorizes one request only', () => {
    const { server, verify } = setup({ qop: [] });
    const client = alice();
    const value = client.authorize({ challengeValues: server.challenge(), ...REQUEST });
    const params = parseAuthValue(value).params;
    assert.equal(params.has('qop') || params.has('nc') || params.has('cnonce'), false);
    assert.equal(client.preAuthorize(REQUEST), undefined);
    assert.equal(verify(value).ok, true);
    assert.deepEqual(verify(value), { ok: false, reason: 'replay', stale: true });
  });

  void it('accepts username* (RFC 7616 §3.4.4) and echoes opaque', () => {
    const { server, verify } = setup({ opaque: 'op' });
    ACCOUNTS.set('jäsøn', 'pw');
    try {
      const value = new DigestClient({ username: 'jäsøn', password: 'pw' }).authorize({ challengeValues: server.challenge(), ...REQUEST });
      const params = parseAuthValue(value).params;
      assert.equal(params.get('opaque'), 'op');
      params.delete('username');
      params.set('username*', "UTF-8''j%C3%A4s%C3%B8n");
      assert.deepEqual(verify(serializeAuthValue({ scheme: 'Digest', params }, 'credentials')), { ok: true, username: 'jäsøn', algorithm: 'SHA-256' });
    } finally {
      ACCOUNTS.delete('jäsøn');
    }
  });
});

void describe('DigestServer.verify failures (RFC 7616 §3.3-§3.5, RFC 3261 §22.3)', () => {
  const reject = (reason: string, stale = false) => ({ ok: false, reason, stale });

  void it('missing, malformed and non-Digest credentials', () => {
    const { verify } = setup();
    assert.deepEqual(verify(undefined), reject('missing'));
    assert.deepEqual(verify(''), reject('missing'));
    assert.deepEqual(verify([]), reject('missing'));
    assert.deepEqual(verify('Digest username="alice", realm="voiplab.example", nonce="x'), reject('malformed'));
    assert.deepEqual(verify('Digest username="alice", realm="voiplab.example", nonce="x", uri="sip:a"'), reject('malformed'), 'no response');
    assert.deepEqual(verify('Basic YWxpY2U6d29uZGVybGFuZA=='), reject('unsupported-scheme'));
  });

  void it('wrong password → bad-response', () => {
    const { server, verify } = setup();
    const value = new DigestClient({ username: 'alice', password: 'nope' }).authorize({ challengeValues: server.challenge(), ...REQUEST });
    assert.deepEqual(verify(value), reject('bad-response'));
  });

  void it('a response computed for another method or uri → bad-response', () => {
    const { server, verify } = setup();
    const value = alice().authorize({ challengeValues: server.challenge(), ...REQUEST });
    assert.deepEqual(verify(value, 'INVITE'), reject('bad-response'));
    const params = parseAuthValue(value).params;
    params.set('uri', 'sip:evil.example');
    assert.deepEqual(verify(serializeAuthValue({ scheme: 'Digest', params }, 'credentials')), reject('bad-response'));
  });

  void it('unknown user → unknown-user', () => {
    const { server, verify } = setup();
    const value = new DigestClient({ username: 'mallory', password: 'x' }).authorize({ challengeValues: server.challenge(), ...REQUEST });
    assert.deepEqual(verify(value), reject('unknown-user'));
  });

  void it('credentials for another realm → wrong-realm; with several, the one for this realm is used (RFC 3261 §22.3)', () => {
    const { server, verify } = setup();
    const other = new DigestServer({ realm: 'other.example', secret: SECRET });
    const foreign = alice().authorize({ challengeValues: other.challenge(), ...REQUEST });
    assert.deepEqual(verify(foreign), reject('wrong-realm'));
    const ours = alice().authorize({ challengeValues: server.challenge(), ...REQUEST });
    assert.equal(verify([foreign, ours]).ok, true);
  });

  void it('stale=true once the nonce lifetime has passed, and the client then succeeds with the new nonce', () => {
    const { server, clock, verify } = setup({ nonceLifetimeMs: 60_000 });
    const client = alice();
    client.authorize({ challengeValues: server.challenge(), ...REQUEST });
    clock.advance(60_001);
    const late = client.preAuthorize(REQUEST);
    assert.deepEqual(verify(late), reject('stale-nonce', true));
    const again = client.authorize({ challengeValues: server.challenge({ stale: true }), ...REQUEST });
    assert.equal(parseAuthValue(again).params.get('nc'), '00000001', 'a new nonce restarts the count');
    assert.equal(verify(again).ok, true);
  });

  void it('a stale nonce with a wrong digest is bad-response without stale=true (RFC 7616 §3.3)', () => {
    const { server, clock, verify } = setup();
    const value = new DigestClient({ username: 'alice', password: 'nope' }).authorize({ challengeValues: server.challenge(), ...REQUEST });
    clock.advance(300_001);
    assert.deepEqual(verify(value), reject('bad-response'));
  });

  void it('a nonce this server did not sign → invalid-nonce, even with a correct digest', () => {
    const { verify } = setup();
    const forger = new DigestServer({ realm: REALM, secret: Buffer.alloc(32, 9) });
    const value = alice().authorize({ challengeValues: forger.challenge(), ...REQUEST });
    assert.deepEqual(verify(value), reject('invalid-nonce'));
    const handMade = alice().authorize({ challengeValues: [`Digest realm="${REALM}", nonce="abc", qop="auth", algorithm=SHA-256`], ...REQUEST });
    assert.deepEqual(verify(handMade), reject('invalid-nonce'));
  });

  void it('a replayed or lower nonce-count → replay (RFC 7616 §3.4)', () => {
    const { server, verify } = setup();
    const client = alice();
    const first = client.authorize({ challengeValues: server.challenge(), ...REQUEST });
    const second = client.preAuthorize(REQUEST);
    const third = client.preAuthorize(REQUEST);
    assert.equal(verify(first).ok, true);
    assert.deepEqual(verify(first), reject('replay', true));
    assert.equal(verify(third).ok, true);
    assert.deepEqual(verify(second), reject('replay', true), 'nc 2 after nc 3');
  });

  void it('an algorithm not offered → unsupported-algorithm; no algorithm directive means MD5', () => {
    const { verify } = setup({ algorithms: ['SHA-256'] });
    const md5Server = new DigestServer({ realm: REALM, secret: SECRET, algorithms: ['MD5'] });
    const value = alice().authorize({ challengeValues: md5Server.challenge(), ...REQUEST });
    assert.deepEqual(verify(value), reject('unsupported-algorithm'));
    const params = parseAuthValue(value).params;
    params.delete('algorithm');
    assert.deepEqual(verify(serializeAuthValue({ scheme: 'Digest', params }, 'credentials')), reject('unsupported-algorithm'));
    assert.equal(md5Server.verify({ authorizationValue: serializeAuthValue({ scheme: 'Digest', params }, 'credentials'), method: 'REGISTER', lookupHa1: (u, r, a) => ha1For(u, r, 'wonderland', a) }).ok, true);
  });

  void it('dropping qop to the RFC 2069 form when qop was offered → malformed (downgrade)', () => {
    const { server, verify } = setup();
    const params = parseAuthValue(server.challenge()[0] ?? '').params;
    const nonce = params.get('nonce') ?? '';
    const ha1 = ha1For('alice', REALM, 'wonderland', 'SHA-256');
    const response = computeResponse({ algorithm: 'SHA-256', ha1, nonce, method: 'REGISTER', uri: REQUEST.uri });
    const value = serializeAuthValue(
      { scheme: 'Digest', params: new Map([['username', 'alice'], ['realm', REALM], ['nonce', nonce], ['uri', REQUEST.uri], ['response', response], ['algorithm', 'SHA-256']]) },
      'credentials',
    );
    assert.deepEqual(verify(value), reject('malformed'));
    assert.equal(setup({ qop: [] }).verify(value).ok, true, 'the same credentials pass where no qop was offered');
  });
});

void describe('nonce-count memory bound', () => {
  void it('never tracks more than maxTrackedNonces, and a forgotten nonce is stale, never replayable', () => {
    const { server, clock, verify } = setup({ maxTrackedNonces: 3 });
    const firsts: string[] = [];
    for (let i = 0; i < 6; i++) {
      const value = alice().authorize({ challengeValues: server.challenge(), ...REQUEST });
      firsts.push(value);
      assert.equal(verify(value).ok, true);
      assert.ok(server.trackedNonces <= 3, `tracked ${server.trackedNonces}`);
      clock.advance(10);
    }
    assert.equal(server.trackedNonces, 3);
    assert.deepEqual(verify(firsts[0]), reject('stale-nonce', true), 'evicted: refused as stale');
    assert.deepEqual(verify(firsts[5]), reject('replay', true), 'still tracked: refused as replay');
  });

  void it('entries leave when their nonce expires', () => {
    const { server, clock, verify } = setup({ nonceLifetimeMs: 1000 });
    for (let i = 0; i < 5; i++) assert.equal(verify(alice().authorize({ challengeValues: server.challenge(), ...REQUEST })).ok, true);
    assert.equal(server.trackedNonces, 5);
    clock.advance(1001);
    assert.equal(verify(alice().authorize({ challengeValues: server.challenge(), ...REQUEST })).ok, true);
    assert.equal(server.trackedNonces, 1);
  });

  function reject(reason: string, stale = false) {
    return { ok: false, reason, stale };
  }
});
