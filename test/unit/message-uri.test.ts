import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AbsoluteUri,
  isSipUri,
  parseHostPort,
  parseUri,
  SipParseError,
  SipUri,
  TelUri,
  unescapeUriPart,
  uriEquals,
  type Uri,
} from '../../ipbx/sip/message/index.ts';

function sip(text: string): SipUri {
  const uri = parseUri(text);
  if (!(uri instanceof SipUri)) assert.fail(`${text} is not a SIP URI`);
  return uri;
}

function tel(text: string): TelUri {
  const uri = parseUri(text);
  if (!(uri instanceof TelUri)) assert.fail(`${text} is not a tel URI`);
  return uri;
}

const isBadUri = (err: unknown): boolean => err instanceof SipParseError && err.code === 'SIP_BAD_URI' && err.sipStatus === 400;

const equal = (a: string, b: string): boolean => {
  const x: Uri = parseUri(a);
  const y: Uri = parseUri(b);
  const forward = uriEquals(x, y);
  assert.equal(uriEquals(y, x), forward, `uriEquals must be symmetric for ${a} / ${b}`);
  return forward;
};

void describe('parseUri: SIP and SIPS (RFC 3261 §19.1.1, §25.1)', () => {
  void it('reads every component and keeps escapes as received', () => {
    const u = sip('sip:alice:secr%65t@atlanta.example.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
    assert.equal(u.scheme, 'sip');
    assert.equal(u.user, 'alice');
    assert.equal(u.password, 'secr%65t');
    assert.equal(u.host, 'atlanta.example.com');
    assert.equal(u.port, 5061);
    assert.deepEqual([...u.params], [['transport', 'TCP'], ['lr', null], ['maddr', '239.255.255.1']]);
    assert.equal(u.transportParam, 'tcp');
    assert.deepEqual([...u.headers], [['subject', 'project%20x'], ['priority', 'urgent']]);
    assert.equal(u.hostport, 'atlanta.example.com:5061');
  });

  void it('reads the scheme case-insensitively and keeps sips distinct (RFC 3261 §19.1.4)', () => {
    assert.equal(sip('SIP:bob@biloxi.example.com').scheme, 'sip');
    assert.equal(sip('SiPs:bob@biloxi.example.com').scheme, 'sips');
    assert.ok(isSipUri(parseUri('sips:bob@biloxi.example.com')));
  });

  void it('accepts the user-unreserved characters in the user part, and "@"-less URIs', () => {
    assert.equal(sip('sip:user;par=u%40example.net@example.com').user, 'user;par=u%40example.net');
    assert.equal(sip('sip:+1-212-555-1212:1234@gateway.com;user=phone').password, '1234');
    const hostOnly = sip('sip:registrar.example.com;lr');
    assert.equal(hostOnly.user, undefined);
    assert.equal(hostOnly.params.get('lr'), null);
  });

  void it('reads IPv6 references with and without port (RFC 3261 §19.1.1, RFC 5118)', () => {
    const u = sip('sip:[2001:db8::10]:5070;transport=tcp');
    assert.equal(u.host, '[2001:db8::10]');
    assert.equal(u.port, 5070);
    assert.equal(u.transportParam, 'tcp');
    assert.equal(u.hostport, '[2001:db8::10]:5070');
    assert.equal(u.toString(), 'sip:[2001:db8::10]:5070;transport=tcp');
    const v = sip('sips:alice@[::ffff:192.0.2.1]');
    assert.equal(v.host, '[::ffff:192.0.2.1]');
    assert.equal(v.port, undefined);
    assert.deepEqual(parseHostPort('[2001:db8::1]:5060', 'test'), { host: '[2001:db8::1]', port: 5060 });
    assert.deepEqual(parseHostPort('192.0.2.1', 'test'), { host: '192.0.2.1', port: undefined });
  });

  void it('writes back what it read', () => {
    for (const text of [
      'sip:alice@atlanta.example.com',
      'sips:alice:pw@atlanta.example.com:5061;transport=tls;lr?subject=hi&x=%20',
      'sip:%61lice@atlanta.example.com;n%61me=v%61lue',
      'sip:[2001:db8::10]:5070;transport=tcp',
      'sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn\'t-it)@example.com',
      'tel:+1-201-555-0123;phone-context=example.com',
      'urn:service:sos',
    ]) {
      assert.equal(parseUri(text).toString(), text);
    }
  });

  void it('clones without sharing parameters or headers', () => {
    const u = sip('sip:a@example.com;lr?h=1');
    const c = u.clone();
    c.params.set('transport', 'tcp');
    c.headers.delete('h');
    assert.equal(u.params.has('transport'), false);
    assert.equal(u.headers.get('h'), '1');
  });
});

void describe('parseUri: tel and other schemes (RFC 3966, RFC 3261 §19.1)', () => {
  void it('reads global and local tel numbers with parameters (RFC 3966 §3, §5.1.5)', () => {
    const g = tel('tel:+1-201-555-0123');
    assert.equal(g.number, '+1-201-555-0123');
    assert.equal(g.params.size, 0);
    const l = tel('tel:7042;phone-context=example.com;ext=22');
    assert.equal(l.number, '7042');
    assert.deepEqual([...l.params], [['phone-context', 'example.com'], ['ext', '22']]);
    assert.equal(tel('TEL:*67#').number, '*67#');
  });

  void it('keeps other absolute URIs opaque, scheme in lower case (RFC 3261 §19.1, RFC 4475 §3.3.2)', () => {
    for (const [text, scheme] of [
      ['http://www.example.com', 'http'],
      ['isbn:2983792873', 'isbn'],
      ['soap.beep://192.0.2.103:3002', 'soap.beep'],
      ['nobodyKnowsThisScheme:totallyopaquecontent', 'nobodyknowsthisscheme'],
    ] as const) {
      const u = parseUri(text);
      assert.ok(u instanceof AbsoluteUri, text);
      assert.equal(u.scheme, scheme);
      assert.equal(u.raw, text);
    }
  });
});

void describe('parseUri: invalid URIs are SIP_BAD_URI', () => {
  const invalid = [
    'alice@atlanta.example.com',
    ':alice@atlanta.example.com',
    '1sip:alice@atlanta.example.com',
    '<sip:alice@atlanta.example.com>',
    'sip:',
    'sip:@atlanta.example.com',
    'sip:alice@',
    'sip:al ice@atlanta.example.com',
    'sip:alice@atlanta example.com',
    'sip:alice@-atlanta.example.com',
    'sip:alice@atlanta_example.com',
    'sip:alice@atlanta.example.com:',
    'sip:alice@atlanta.example.com:port',
    'sip:alice@atlanta.example.com:65536',
    'sip:alice@atlanta.example.com:123456',
    'sip:a%zzlice@atlanta.example.com',
    'sip:a%4@atlanta.example.com',
    'sip:alice@atlanta.example.com;',
    'sip:alice@atlanta.example.com;=x',
    'sip:alice@atlanta.example.com;transport=',
    'sip:alice@atlanta.example.com;a"b',
    'sip:alice@atlanta.example.com?=v',
    'sip:alice@atlanta.example.com?h=<x>',
    'sip:[2001:db8::10',
    'sip:[2001:db8::10]5070',
    'sip:[zz::1]',
    'sip:[]',
    'sip:2001:db8::10',
    'tel:',
    'tel:+1 201 555',
    'tel:;phone-context=x',
    'tel:+1;=x',
    'http:',
    'http://a b',
    'http://a"b',
  ];
  for (const text of invalid) {
    void it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseUri(text), isBadUri);
    });
  }
});

void describe('uriEquals (RFC 3261 §19.1.4)', () => {
  void it('finds the RFC 3261 §19.1.4 equivalent URIs equal', () => {
    const pairs = [
      ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
      ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
      ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
      ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
      ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
      ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'],
    ] as const;
    for (const [a, b] of pairs) assert.equal(equal(a, b), true, `${a} == ${b}`);
  });

  void it('finds the RFC 3261 §19.1.4 non-equivalent URIs different', () => {
    const pairs = [
      ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'], // different usernames
      ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'], // can resolve to different ports
      ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'], // can resolve to different transports
      ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'], // different port and transport
      ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'], // different header component
      ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'], // even if one resolves to the other
      ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'], // equality is not transitive
    ] as const;
    for (const [a, b] of pairs) assert.equal(equal(a, b), false, `${a} != ${b}`);
  });

  void it('never matches SIP with SIPS, nor a SIP URI with a tel URI', () => {
    assert.equal(equal('sip:alice@atlanta.com', 'sips:alice@atlanta.com'), false);
    assert.equal(equal('sip:+12015550123@example.com;user=phone', 'tel:+12015550123'), false);
  });

  void it('compares userinfo case-sensitively and host, parameters and header names case-insensitively', () => {
    assert.equal(equal('sip:Alice@atlanta.com', 'sip:alice@atlanta.com'), false);
    assert.equal(equal('sip:alice:PW@atlanta.com', 'sip:alice:pw@atlanta.com'), false);
    assert.equal(equal('sip:alice@ATLANTA.com;MADDR=Host.Example.com', 'sip:alice@atlanta.com;maddr=host.example.com'), true);
    assert.equal(equal('sip:alice@atlanta.com?Subject=x', 'sip:alice@atlanta.com?subject=x'), true);
    assert.equal(equal('sip:alice@[2001:DB8::1]', 'sip:alice@[2001:db8::1]'), true);
  });

  void it('requires user, ttl, method and maddr to match when either URI has them', () => {
    for (const param of ['user=phone', 'ttl=15', 'method=INVITE', 'maddr=239.255.255.1']) {
      assert.equal(equal('sip:1234@gw.example.com', `sip:1234@gw.example.com;${param}`), false, param);
    }
  });

  void it('treats %HH as the character it encodes, case of the hex included (RFC 3261 §19.1.4)', () => {
    assert.equal(equal('sip:%61lice@atlanta.com', 'sip:alice@atlanta.com'), true);
    assert.equal(equal('sip:%61lice@atlanta.com', 'sip:%41lice@atlanta.com'), false, '%41 is "A"');
    assert.equal(equal('sip:alice@atlanta.com;n%61me=v%61lue', 'sip:alice@atlanta.com;name=VALUE'), true);
    assert.equal(equal('sip:alice@atlanta.com;name=v%61lue', 'sip:alice@atlanta.com;name=other'), false);
    assert.equal(equal('sip:alice@atlanta.com?subject=project%20x', 'sip:alice@atlanta.com?subject=project%20X'), false);
  });

  void it('matches escaped parameter names like plain ones (RFC 3261 §19.1.4)', () => {
    assert.equal(equal('sip:alice@atlanta.com;%74ransport=tcp', 'sip:alice@atlanta.com;transport=TCP'), true);
    assert.equal(equal('sip:alice@atlanta.com;%74ransport=tcp', 'sip:alice@atlanta.com;transport=udp'), false);
    assert.equal(equal('sip:alice@atlanta.com;%6C%72', 'sip:alice@atlanta.com;lr=on'), false);
  });

  void it('never equates a reserved character with its escape (RFC 3261 §19.1.4, RFC 2396 §2.2)', () => {
    assert.equal(equal('sip:user%3Bpar@example.com', 'sip:user;par@example.com'), false);
    assert.equal(equal('sip:a%2Bb@example.com', 'sip:a+b@example.com'), false);
    assert.equal(equal('sip:user%3bpar@example.com', 'sip:user%3Bpar@example.com'), true);
    assert.equal(equal('sips:sips%3Auser%40example.com@example.net', 'sips:sips%3auser%40example.com@example.net'), true);
  });

  void it('never unescapes twice: %2561 is the three characters "%61" (RFC 4475 §3.1.1.3)', () => {
    assert.equal(unescapeUriPart('%2561'), '%61');
    assert.equal(unescapeUriPart('v%61lue%25%34%31'), 'value%41');
    assert.equal(equal('sip:%2561@example.com', 'sip:a@example.com'), false);
    assert.equal(equal('sip:%2561@example.com', 'sip:%61@example.com'), false);
    assert.equal(equal('sip:%25%36%31@example.com', 'sip:%2561@example.com'), true);
    assert.equal(equal('sip:h.example.com;name=v%61lue%25%34%31', 'sip:h.example.com;name=value%2541'), true);
    assert.equal(equal('sip:h.example.com;name=v%61lue%25%34%31', 'sip:h.example.com;name=valueA'), false);
  });

  void it('keeps invalid escapes literally when unescaping', () => {
    assert.equal(unescapeUriPart('100%'), '100%');
    assert.equal(unescapeUriPart('%zz%41'), '%zzA');
    assert.equal(unescapeUriPart('null-%00-null'), 'null-\u0000-null');
  });
});

void describe('uriEquals: tel URIs (RFC 3966 §4)', () => {
  void it('ignores visual separators', () => {
    assert.equal(equal('tel:+1-201-555-0123', 'tel:+1.201.555.0123'), true);
    assert.equal(equal('tel:+1-201-555-0123', 'tel:+1(201)5550123'), true);
    assert.equal(equal('tel:+1-201-555-0123', 'tel:+1-201-555-0124'), false);
  });

  void it('never matches a global number with a local one', () => {
    assert.equal(equal('tel:+7042;phone-context=example.com', 'tel:7042;phone-context=example.com'), false);
  });

  void it('requires the same parameters, in any order, compared case-insensitively', () => {
    assert.equal(equal('tel:7042;phone-context=example.com', 'tel:7042'), false);
    assert.equal(equal('tel:7042;phone-context=example.com', 'tel:7042;phone-context=example.net'), false);
    assert.equal(equal('tel:7042;phone-context=EXAMPLE.com;ext=1', 'tel:7042;ext=1;Phone-Context=example.COM'), true);
    assert.equal(equal('tel:+12015550123;isub=a', 'tel:+12015550123'), false);
  });

  void it('compares hex digits case-insensitively', () => {
    assert.equal(equal('tel:*67A#;phone-context=example.com', 'tel:*67a#;phone-context=example.com'), true);
  });
});
