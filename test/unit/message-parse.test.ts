import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  AbsoluteUri,
  canonicalKey,
  createErrorResponse,
  createResponse,
  DEFAULT_PARSE_LIMITS,
  parseMessage,
  parseNameAddr,
  parseVia,
  serializeMessage,
  SipParseError,
  SipUri,
  TelUri,
  type ParseOptions,
  type SipMessage,
  type SipParseErrorCode,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '../../ipbx/sip/message/index.ts';

const UDP: ParseOptions = { datagram: true };
const TCP: ParseOptions = { datagram: false };

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/sip/${name}`, import.meta.url));

/** A message from header lines, CRLF-terminated, with the empty line and the body. */
const wire = (lines: readonly string[], body = ''): Buffer => Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body, 'utf8');

const BASE = [
  'OPTIONS sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 63104 OPTIONS',
] as const;

/**
 * The BASE request with headers replaced (`null` drops them; matched by the name before `:`),
 * a replaced start line, and extra header lines appended.
 */
function request(options: { start?: string; set?: Record<string, string | null>; add?: string[]; body?: string } = {}): Buffer {
  const lines: string[] = [options.start ?? BASE[0]];
  for (const line of BASE.slice(1)) {
    const name = line.slice(0, line.indexOf(':'));
    const replacement = options.set?.[name];
    if (replacement === null) continue;
    lines.push(replacement === undefined ? line : `${name}: ${replacement}`);
  }
  lines.push(...(options.add ?? []));
  return wire(lines, options.body ?? '');
}

function parsed(buf: Buffer, options: ParseOptions = UDP): SipMessage {
  const r = parseMessage(buf, options);
  if (!r.ok) assert.fail(`expected a message, got ${r.error.code}: ${r.error.reason}`);
  return r.message;
}

function parsedRequest(buf: Buffer, options: ParseOptions = UDP): SipRequest {
  const m = parsed(buf, options);
  if (!m.isRequest()) assert.fail('expected a request');
  return m;
}

function parsedResponse(buf: Buffer, options: ParseOptions = UDP): SipResponse {
  const m = parsed(buf, options);
  if (m.isRequest()) assert.fail('expected a response');
  return m;
}

function failure(buf: Buffer, options: ParseOptions, code: SipParseErrorCode, sipStatus = 400): SipParseError {
  const r = parseMessage(buf, options);
  if (r.ok) assert.fail(`expected ${code}, the message parsed`);
  assert.ok(r.error instanceof SipParseError);
  assert.equal(r.error.code, code, r.error.reason);
  assert.equal(r.error.sipStatus, sipStatus);
  assert.equal(typeof r.error.reason, 'string');
  assert.ok(r.error.reason.length > 0);
  return r.error;
}

function sipUri(uri: Uri): SipUri {
  if (!(uri instanceof SipUri)) assert.fail(`expected a SIP URI, got ${uri.toString()}`);
  return uri;
}

/** Everything a round trip must keep: start line, header names and values in order, body. */
function snapshot(m: SipMessage): unknown {
  return {
    start: m.isRequest() ? [m.method, m.uri.toString()] : [m.status, m.reason],
    headers: [...m.headers].map((h) => [h.name, h.value]),
    body: m.body.toString('latin1'),
  };
}

void describe('parseMessage: header section', () => {
  void it('unfolds continuation lines into one value with a single SP (RFC 3261 §7.3.1)', () => {
    const m = parsedRequest(fixture('compact-folded-invite.sip'));
    assert.equal(m.headers.get('Subject'), 'Lunch on Friday');
    assert.deepEqual(m.cseq, { seq: 314159, method: 'INVITE' });
    assert.equal(
      m.headers.get('Authorization'),
      'Digest username="alice", realm="atlanta.example.com", nonce="84a4cc6f3082121f32b42a2187831a9e", uri="sip:bob@biloxi.example.com", response="7587245234b3434cc3412213e5f113a5"',
    );
  });

  void it('reads compact forms as their long names (RFC 3261 §7.3.3)', () => {
    const m = parsedRequest(fixture('compact-folded-invite.sip'));
    assert.equal(m.vias.length, 3);
    assert.equal(m.from.tag, '1928301774');
    assert.equal(m.to.displayName, 'Bob');
    assert.equal(m.callId, 'a84b4c76e66710@pc33.atlanta.example.com');
    assert.equal(m.contacts.length, 1);
    assert.equal(m.contentLength, 149);
    assert.equal(m.body.length, 149);
    assert.equal(m.contentType?.mediaType, 'application/sdp');
    assert.deepEqual(m.supported, ['100rel', 'timer']);
    assert.equal(m.headers.get('subject'), 'Lunch on Friday');
    // Names are kept as received for the round trip.
    assert.deepEqual([...m.headers].slice(0, 4).map((h) => h.name), ['v', 'VIA', 'f', 't']);
  });

  void it('maps every registered compact form (RFC 3261 §7.3.3 and the IANA SIP header registry)', () => {
    const table: Record<string, string> = {
      a: 'accept-contact', b: 'referred-by', c: 'content-type', d: 'request-disposition', e: 'content-encoding',
      f: 'from', i: 'call-id', j: 'reject-contact', k: 'supported', l: 'content-length', m: 'contact',
      n: 'identity-info', o: 'event', r: 'refer-to', s: 'subject', t: 'to', u: 'allow-events', v: 'via',
      x: 'session-expires', y: 'identity',
    };
    for (const [short, long] of Object.entries(table)) {
      assert.equal(canonicalKey(short), long, short);
      assert.equal(canonicalKey(short.toUpperCase()), long, short.toUpperCase());
    }
    assert.equal(canonicalKey('q'), 'q', 'an unregistered one-letter name stays itself');
  });

  void it('looks header names up case-insensitively (RFC 3261 §7.3.1)', () => {
    const m = parsedRequest(fixture('compact-folded-invite.sip'));
    assert.equal(m.maxForwards, 70);
    assert.equal(m.headers.get('MAX-FORWARDS'), '70');
    assert.equal(m.headers.get('max-forwards'), '70');
    assert.ok(m.headers.has('Call-Id'));
    assert.equal(m.headers.count('via'), 2);
  });

  void it('splits comma-separated Via values and keeps repeated lines in order (RFC 3261 §7.3.1, §20.42)', () => {
    const m = parsedRequest(fixture('compact-folded-invite.sip'));
    assert.deepEqual(m.vias.map((v) => [v.transport, v.sentBy, v.branch]), [
      ['UDP', 'pc33.atlanta.example.com', 'z9hG4bKnashds8'],
      ['TCP', 'proxy.atlanta.example.com:5061', 'z9hG4bK77asjd'],
      ['UDP', '192.0.2.4', 'z9hG4bKfold'],
    ]);
    assert.equal(m.topVia?.sentBy, 'pc33.atlanta.example.com');
    assert.equal(m.vias[2]?.received, '192.0.2.44');
    assert.equal(m.headers.getLines('Via').length, 2);
  });

  void it('never splits Authorization or WWW-Authenticate on their commas (RFC 3261 §7.3.1, §20.7, §20.44)', () => {
    const invite = parsedRequest(fixture('compact-folded-invite.sip'));
    assert.equal(invite.authorization.length, 1);
    assert.match(invite.authorization[0] ?? '', /^Digest username="alice", realm=.*, response="7587245234b3434cc3412213e5f113a5"$/);
    assert.equal(invite.headers.getAll('Authorization').length, 1);

    const challenge = parsedResponse(fixture('www-authenticate-401.sip'));
    assert.equal(challenge.status, 401);
    assert.equal(challenge.wwwAuthenticate.length, 2);
    assert.match(challenge.wwwAuthenticate[0] ?? '', /^Digest realm="atlanta.example.com", qop="auth", .*algorithm=MD5$/);
    assert.match(challenge.wwwAuthenticate[1] ?? '', /algorithm=SHA-256, nonce=/);
    assert.equal(challenge.headers.getAll('WWW-Authenticate').length, 2);
  });

  void it('never splits unknown headers, whose grammar is unknown (RFC 3261 §7.3.1)', () => {
    const m = parsedRequest(fixture('compact-folded-invite.sip'));
    assert.deepEqual(m.headers.getAll('X-Unknown-List'), ['a, b,c']);
    const frob = parsedRequest(fixture('unknown-method.sip'));
    assert.deepEqual(frob.headers.getAll('X-Weird_Header.v2'), ['value with  double  spaces, commas; and "quotes"']);
    assert.deepEqual(frob.headers.getAll('P-Custom'), ['one', 'two']);
  });

  void it('splits list headers on commas outside quotes and angle brackets (RFC 3261 §7.3.1)', () => {
    const m = parsedRequest(request({
      add: ['Contact: "Doe, John" <sip:john,doe@example.com>;q=0.5, <sip:jd@example.net>', 'Allow: INVITE,ACK , BYE'],
    }));
    assert.deepEqual(m.contacts.map((c) => [c.displayName, c.uri.toString(), c.params.get('q')]), [
      ['Doe, John', 'sip:john,doe@example.com', '0.5'],
      [undefined, 'sip:jd@example.net', undefined],
    ]);
    assert.deepEqual(m.headers.getAll('Allow'), ['INVITE', 'ACK', 'BYE']);
  });

  void it('unescapes quoted-pairs in display names and re-escapes them when writing (RFC 3261 §25.1)', () => {
    const m = parsedRequest(fixture('compact-folded-invite.sip'));
    assert.equal(m.from.displayName, 'Alice "The Great" \\o/');
    const text = m.from.toString();
    assert.equal(text, '"Alice \\"The Great\\" \\\\o/" <sip:alice@atlanta.example.com>;tag=1928301774');
    assert.equal(parseNameAddr(text, 'From').displayName, 'Alice "The Great" \\o/');
  });

  void it('gives name-addr parameters after ">" to the header and those inside to the URI (RFC 3261 §20.10)', () => {
    const m = parsedRequest(fixture('compact-folded-invite.sip'));
    const contact = m.contacts[0];
    assert.ok(contact !== undefined);
    assert.deepEqual([...sipUri(contact.uri).params], [['transport', 'udp']]);
    assert.deepEqual([...contact.params], [['expires', '3600'], ['q', '0.7']]);
  });

  void it('gives every addr-spec parameter to the header, not the URI (RFC 3261 §20.10)', () => {
    const to = parseNameAddr('sip:+12125551212@server.example.com;user=phone;tag=887s', 'To');
    assert.equal(to.displayName, undefined);
    assert.equal(sipUri(to.uri).params.size, 0);
    assert.equal(to.params.get('user'), 'phone');
    assert.equal(to.tag, '887s');
    const bracketed = parseNameAddr('<sip:+12125551212@server.example.com;user=phone>;tag=887s', 'To');
    assert.equal(sipUri(bracketed.uri).params.get('user'), 'phone');
    assert.equal(bracketed.params.has('user'), false);
  });

  void it('rejects an addr-spec whose URI has "?" or "," (they need angle brackets, RFC 3261 §20)', () => {
    for (const text of ['sip:a@example.com?Subject=x', 'sip:a@example.com,b']) {
      assert.throws(() => parseNameAddr(text, 'Contact'), (err: unknown) => err instanceof SipParseError && err.code === 'SIP_BAD_HEADER', text);
    }
  });

  void it('reads header parameters with LWS around ";" and "=" and quoted values (RFC 3261 §7.3.1, §25.1)', () => {
    const na = parseNameAddr('<sip:a@example.com> ; tag = x1 ; note="a;b \\"c\\"" ; flag', 'To');
    assert.deepEqual([...na.params], [['tag', 'x1'], ['note', '"a;b \\"c\\""'], ['flag', null]]);
  });

  void it('parses a Via with LWS around "/" and around the sent-by ":" (RFC 3261 §20.42, §25.1 COLON = SWS ":" SWS)', () => {
    const via = parseVia('SIP / 2.0 / TCP  proxy.example.com : 5061 ;branch=z9hG4bKx ;rport');
    assert.equal(via.transport, 'TCP');
    assert.equal(via.host, 'proxy.example.com');
    assert.equal(via.port, 5061);
    assert.equal(via.branch, 'z9hG4bKx');
    assert.equal(via.rport, true);
    const v6 = parseVia('SIP/2.0/UDP [2001:db8::9] : 5060;received=2001:db8::1;rport=5062');
    assert.equal(v6.host, '[2001:db8::9]');
    assert.equal(v6.port, 5060);
    assert.equal(v6.received, '2001:db8::1');
    assert.equal(v6.rport, 5062);
  });

  void it('reads SIP, SIPS and tel URIs with IPv6 references in messages (RFC 3261 §19.1, RFC 5118, RFC 3966)', () => {
    const m = parsedRequest(fixture('register-ipv6.sip'));
    const ruri = sipUri(m.uri);
    assert.equal(ruri.host, '[2001:db8::10]');
    assert.equal(ruri.port, 5070);
    assert.equal(ruri.transportParam, 'tcp');
    assert.equal(m.uri.toString(), 'sip:[2001:db8::10]:5070;transport=tcp');
    assert.equal(m.topVia?.host, '[2001:db8::9]');
    assert.equal(m.topVia?.port, 5060);
    assert.equal(m.topVia?.rport, true);
    assert.equal(m.callId, 'v6reg-1@[2001:db8::9]');
    const [first, second] = m.contacts;
    assert.equal(sipUri(first?.uri ?? assert.fail()).hostport, '[2001:db8::9]:5060');
    assert.equal(first?.params.get('expires'), '600');
    assert.ok(second?.uri instanceof TelUri);
    assert.equal(second.uri.number, '+1-201-555-0123');
    assert.equal(second.uri.params.get('phone-context'), 'example.com');
    assert.equal(m.expires, 600);
  });

  void it('keeps URIs of unknown schemes as opaque absolute URIs (RFC 3261 §19.1, §8.2.2.1)', () => {
    const m = parsedRequest(request({ start: 'OPTIONS urn:service:sos SIP/2.0' }));
    assert.ok(m.uri instanceof AbsoluteUri);
    assert.equal(m.uri.scheme, 'urn');
    assert.equal(m.uri.toString(), 'urn:service:sos');
  });

  void it('ignores CRLFs before the start line (RFC 3261 §7.5)', () => {
    const m = parsedRequest(Buffer.concat([Buffer.from('\r\n\r\n\r\n'), request({ add: ['Content-Length: 0'] })]), TCP);
    assert.equal(m.method, 'OPTIONS');
    const lf = parsedRequest(Buffer.concat([Buffer.from('\n\r\n'), request()]));
    assert.equal(lf.method, 'OPTIONS');
  });

  void it('accepts a head whose lines end with a bare LF (robustness, RFC 3261 §7 asks for CRLF)', () => {
    const buf = Buffer.from(BASE.join('\n') + '\nContent-Length: 5\n\nhello');
    const m = parsedRequest(buf, TCP);
    assert.equal(m.body.toString(), 'hello');
    assert.equal(m.cseq.seq, 63104);
  });

  void it('reads a status line with an empty or UTF-8 reason phrase (RFC 3261 §7.2, §25.1)', () => {
    const lines = ['Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1', 'From: <sip:a@example.com>;tag=1', 'To: <sip:b@example.com>;tag=2', 'Call-ID: c1', 'CSeq: 1 INVITE'];
    assert.equal(parsedResponse(wire(['SIP/2.0 180 ', ...lines])).reason, '');
    assert.equal(parsedResponse(wire(['SIP/2.0 486 Occupé, réessayez', ...lines])).reason, 'Occupé, réessayez');
    assert.equal(parsedResponse(wire(['SIP/2.0 699 Whatever', ...lines])).status, 699);
  });
});

void describe('parseMessage: round trip', () => {
  void it('keeps an unknown method and unknown headers verbatim through parse → serialize → parse (RFC 3261 §8.2.1, §16.6)', () => {
    const original = fixture('unknown-method.sip');
    const first = parsedRequest(original, TCP);
    assert.equal(first.method, 'FROBNICATE');
    assert.equal(first.cseq.method, 'FROBNICATE');
    const bytes = serializeMessage(first);
    assert.ok(bytes.equals(original), 'a canonical message serializes to its own bytes');
    const second = parsedRequest(bytes, TCP);
    assert.deepEqual(snapshot(second), snapshot(first));
    assert.equal(second.uri.toString(), 'sip:widget@example.com;x-mode=fast');
    assert.deepEqual([...second.headers].slice(-5).map((h) => `${h.name}: ${h.value}`), [
      'X-Weird_Header.v2: value with  double  spaces, commas; and "quotes"',
      'P-Custom: one',
      'p-custom: two',
      'Content-Type: text/x-frob',
      'Content-Length: 36',
    ]);
    assert.equal(second.body.toString(), 'frob body line 1\r\nfrob body line 2\r\n');
  });

  void it('round-trips folded, compact and mixed-case headers to an equal message (RFC 3261 §7.3.1)', () => {
    for (const name of ['compact-folded-invite.sip', 'www-authenticate-401.sip', 'register-ipv6.sip']) {
      const first = parsed(fixture(name), TCP);
      const again = parsed(serializeMessage(first), TCP);
      assert.deepEqual(snapshot(again), snapshot(first), name);
      assert.ok(serializeMessage(again).equals(serializeMessage(first)), `${name}: serialization is stable`);
    }
  });

  void it('writes a Content-Length that matches the body, replacing a stale one (RFC 3261 §20.14)', () => {
    const m = parsedRequest(request({ add: ['Content-Type: text/plain', 'Content-Length: 2'], body: 'hi' }), TCP);
    m.body = Buffer.from('hello');
    const again = parsedRequest(serializeMessage(m), TCP);
    assert.equal(again.contentLength, 5);
    assert.equal(again.body.toString(), 'hello');
    assert.equal(again.headers.count('Content-Length'), 1);
  });
});

void describe('parseMessage: body framing', () => {
  const withBody = (cl: string | undefined, body: string): Buffer =>
    request({ add: ['Content-Type: text/plain', ...(cl === undefined ? [] : [`Content-Length: ${cl}`])], body });

  void it('takes Content-Length octets over UDP and ignores the trailing ones (RFC 3261 §18.3)', () => {
    const m = parsedRequest(withBody('5', 'helloTRAILING GARBAGE'));
    assert.equal(m.body.toString(), 'hello');
  });

  void it('takes the rest of the datagram as body when Content-Length is absent over UDP (RFC 3261 §18.3)', () => {
    const m = parsedRequest(withBody(undefined, 'all of\r\nit\r\n'));
    assert.equal(m.body.toString(), 'all of\r\nit\r\n');
    assert.equal(m.contentLength, undefined);
  });

  void it('requires Content-Length on a stream (RFC 3261 §18.3, §20.14)', () => {
    const err = failure(withBody(undefined, 'x'), TCP, 'SIP_BAD_CONTENT_LENGTH');
    assert.match(err.reason, /Content-Length/);
    assert.equal(parsedRequest(withBody('0', ''), TCP).body.length, 0);
  });

  void it('rejects octets beyond Content-Length in a framed stream message (RFC 3261 §18.3)', () => {
    failure(withBody('2', 'hi!'), TCP, 'SIP_BAD_CONTENT_LENGTH');
  });

  void it('fails with SIP_TRUNCATED_BODY when Content-Length exceeds the octets received (RFC 3261 §18.3)', () => {
    for (const options of [UDP, TCP]) {
      const err = failure(withBody('10', 'short'), options, 'SIP_TRUNCATED_BODY');
      assert.match(err.reason, /10/);
    }
  });

  void it('reads Content-Length as 1*DIGIT, leading zeros included (RFC 3261 §20.14, §25.1)', () => {
    assert.equal(parsedRequest(withBody('000000000005', 'hello'), TCP).body.toString(), 'hello');
  });

  void it('rejects a Content-Length that is negative, not a number or over 2^32-1 (RFC 3261 §20.14, RFC 4475 §3.1.2.3)', () => {
    for (const cl of ['-1', '5a', '4294967296', '99999999999', '']) {
      failure(withBody(cl, 'hello'), UDP, 'SIP_BAD_CONTENT_LENGTH');
    }
  });

  void it('rejects two different Content-Length values as a framing error (RFC 4475 §3.3.9)', () => {
    failure(request({ add: ['Content-Length: 2', 'l: 3'], body: 'abc' }), UDP, 'SIP_BAD_CONTENT_LENGTH');
  });

  void it('keeps binary bodies byte for byte (RFC 3261 §7.4)', () => {
    const body = Buffer.from([0x00, 0x0d, 0x0a, 0x0d, 0x0a, 0xff, 0x80, 0x00]);
    const head = Buffer.from(BASE.join('\r\n') + '\r\nContent-Type: application/octet-stream\r\nContent-Length: 8\r\n\r\n');
    const m = parsedRequest(Buffer.concat([head, body]), TCP);
    assert.ok(m.body.equals(body));
    assert.ok(serializeMessage(m).subarray(-8).equals(body));
  });
});

void describe('parseMessage: limits', () => {
  void it('rejects a message over maxMessageBytes with 513 (RFC 3261 §18.1.1, §21.5.27)', () => {
    const buf = request();
    failure(buf, { datagram: true, limits: { maxMessageBytes: buf.length - 1 } }, 'SIP_MESSAGE_TOO_LARGE', 513);
    parsed(buf, { datagram: true, limits: { maxMessageBytes: buf.length } });
    assert.equal(DEFAULT_PARSE_LIMITS.maxMessageBytes, 65_535);
    const big = request({ add: ['Content-Type: text/plain'], body: 'x'.repeat(65_535) });
    failure(big, UDP, 'SIP_MESSAGE_TOO_LARGE', 513);
  });

  void it('rejects more header lines than maxHeaders, counting folded lines once', () => {
    const buf = request({ add: ['Subject: a', ' folded', 'Content-Length: 0'] });
    parsed(buf, { datagram: false, limits: { maxHeaders: 8 } });
    const err = failure(buf, { datagram: false, limits: { maxHeaders: 7 } }, 'SIP_TOO_MANY_HEADERS');
    assert.match(err.reason, /7/);
  });

  void it('rejects a physical line longer than maxLineLength, in the head or the start line', () => {
    const limits = { maxLineLength: 80 };
    parsed(request({ add: ['Subject: ' + 'x'.repeat(71)] }), { datagram: true, limits });
    failure(request({ add: ['Subject: ' + 'x'.repeat(72)] }), { datagram: true, limits }, 'SIP_LINE_TOO_LONG');
    parsed(request({ add: ['Subject: ' + 'x'.repeat(70), ' ' + 'y'.repeat(70), ' ' + 'z'.repeat(70)] }), { datagram: true, limits });
    const err = failure(request({ start: `OPTIONS sip:${'b'.repeat(60)}@biloxi.example.com SIP/2.0` }), { datagram: true, limits }, 'SIP_LINE_TOO_LONG');
    assert.match(err.reason, /start line/);
  });
});

void describe('parseMessage: malformed input', () => {
  void it('names a bad request line (RFC 3261 §7.1, §25.1)', () => {
    const cases: Array<[string, SipParseErrorCode]> = [
      ['OPTIONS sip:bob@biloxi.example.com', 'SIP_BAD_START_LINE'],
      ['OPTIONS sip:bob@biloxi.example.com HTTP/1.1', 'SIP_BAD_START_LINE'],
      ['OPT@ONS sip:bob@biloxi.example.com SIP/2.0', 'SIP_BAD_START_LINE'],
      ['OPTIONS sip:bob@ biloxi.example.com SIP/2.0', 'SIP_BAD_START_LINE'],
      ['OPTIONS bob@biloxi.example.com SIP/2.0', 'SIP_BAD_URI'],
      ['OPTIONS sip:bob@biloxi.example.com?Subject=x SIP/2.0', 'SIP_BAD_URI'],
      ['', 'SIP_BAD_START_LINE'],
    ];
    for (const [start, code] of cases) failure(request({ start }), UDP, code);
  });

  void it('answers an unsupported SIP version with 505, with enough headers to build it (RFC 3261 §8.2.6, §21.5.26)', () => {
    const err = failure(request({ start: 'OPTIONS sip:bob@biloxi.example.com SIP/3.0' }), UDP, 'SIP_BAD_VERSION', 505);
    assert.ok(err.partial !== undefined);
    assert.equal(err.partial.method, 'OPTIONS');
    const response = createErrorResponse(err.partial, err.sipStatus, err.reason);
    assert.ok(response !== undefined, 'a 505 can be addressed');
    assert.equal(response.status, 505);
    assert.equal(response.topVia?.branch, 'z9hG4bK776asdhds');
  });

  void it('names a bad status line or a status code outside 100-699 (RFC 3261 §7.2, §21)', () => {
    const tail = ['Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1', 'From: <sip:a@example.com>;tag=1', 'To: <sip:b@example.com>', 'Call-ID: c', 'CSeq: 1 INVITE'];
    for (const start of ['SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/2.0 0200 OK', 'SIP/2.0 4294967496 Big']) {
      const err = failure(wire([start, ...tail]), UDP, 'SIP_BAD_STATUS');
      assert.equal(err.partial?.isRequest ?? false, false);
    }
    failure(wire(['SIP/2.0 OK', ...tail]), UDP, 'SIP_BAD_START_LINE');
    failure(wire(['SIP/2.0  200 OK', ...tail]), UDP, 'SIP_BAD_START_LINE');
    failure(wire(['SIP/3.0 200 OK', ...tail]), UDP, 'SIP_BAD_VERSION', 505);
  });

  void it('names each missing mandatory header (RFC 3261 §8.1.1, §8.2.2)', () => {
    for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
      const err = failure(request({ set: { [name]: null } }), UDP, 'SIP_MISSING_HEADER');
      assert.match(err.reason, new RegExp(name));
    }
    // Max-Forwards is mandatory to send but RFC 2543 peers omit it (RFC 4475 §3.4.1).
    assert.equal(parsedRequest(request({ set: { 'Max-Forwards': null } })).maxForwards, undefined);
  });

  void it('rejects two different values of a single-valued header, naming it (RFC 3261 §7.3.1, RFC 4475 §3.3.8)', () => {
    const cases: Array<[string, string]> = [
      ['Call-ID: other@pc33.atlanta.example.com', 'Call-ID'],
      ['i: other@pc33.atlanta.example.com', 'Call-ID'],
      ['To: <sip:carol@chicago.example.com>', 'To'],
      ['From: <sip:eve@example.com>;tag=9', 'From'],
      ['CSeq: 63105 OPTIONS', 'CSeq'],
      ['Max-Forwards: 5', 'Max-Forwards'],
    ];
    for (const [line, name] of cases) {
      const err = failure(request({ add: [line] }), UDP, 'SIP_DUPLICATE_HEADER');
      assert.match(err.reason, new RegExp(name));
    }
  });

  void it('rejects a CSeq method that differs from the request method (RFC 3261 §8.1.1.5, RFC 4475 §3.1.2.17)', () => {
    const err = failure(request({ set: { CSeq: '63104 INVITE' } }), UDP, 'SIP_CSEQ_MISMATCH');
    assert.match(err.reason, /INVITE/);
    assert.match(err.reason, /OPTIONS/);
    failure(request({ set: { CSeq: '63104 options' } }), UDP, 'SIP_CSEQ_MISMATCH');
  });

  void it('takes CSeq numbers up to 2^32-1 and rejects larger ones (RFC 3261 §8.1.1.5, §20.16)', () => {
    assert.equal(parsedRequest(request({ set: { CSeq: '4294967295 OPTIONS' } })).cseq.seq, 4294967295);
    assert.equal(parsedRequest(request({ set: { CSeq: '000000000007 OPTIONS' } })).cseq.seq, 7);
    for (const value of ['4294967296 OPTIONS', '36893488147419103232 OPTIONS', '-1 OPTIONS', 'OPTIONS', '1OPTIONS']) {
      const err = failure(request({ set: { CSeq: value } }), UDP, 'SIP_BAD_HEADER');
      assert.match(err.reason, /CSeq/);
    }
  });

  void it('takes Max-Forwards 0 to 255 and rejects more (RFC 3261 §20.22, RFC 4475 §3.1.2.4)', () => {
    assert.equal(parsedRequest(request({ set: { 'Max-Forwards': '0' } })).maxForwards, 0);
    assert.equal(parsedRequest(request({ set: { 'Max-Forwards': '255' } })).maxForwards, 255);
    assert.equal(parsedRequest(request({ set: { 'Max-Forwards': '00000000070' } })).maxForwards, 70);
    for (const value of ['256', '300', '-1', 'seventy', '']) {
      const err = failure(request({ set: { 'Max-Forwards': value } }), UDP, 'SIP_BAD_HEADER');
      assert.match(err.reason, /Max-Forwards/);
    }
  });

  void it('names malformed header lines (RFC 3261 §7.3.1)', () => {
    failure(request({ add: ['NoColonHere'] }), UDP, 'SIP_BAD_HEADER');
    failure(request({ add: [': no name'] }), UDP, 'SIP_BAD_HEADER');
    failure(request({ add: ['Bad Name: x'] }), UDP, 'SIP_BAD_HEADER');
    failure(request({ add: ['Bad<Name>: x'] }), UDP, 'SIP_BAD_HEADER');
    failure(request({ set: { 'Call-ID': 'has space' } }), UDP, 'SIP_BAD_HEADER');
    failure(request({ set: { Via: 'SIP/2.0/UDP' } }), UDP, 'SIP_BAD_HEADER');
    failure(request({ set: { From: '"unterminated <sip:a@example.com>' } }), UDP, 'SIP_BAD_HEADER');
    failure(request({ set: { To: '<sip:bob@biloxi.example.com' } }), UDP, 'SIP_BAD_HEADER');
    const folded = Buffer.from('OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n continued\r\n' + BASE.slice(1).join('\r\n') + '\r\n\r\n');
    failure(folded, UDP, 'SIP_BAD_HEADER');
  });

  void it('fails with SIP_INCOMPLETE when a stream head has no empty line (RFC 3261 §18.3)', () => {
    const buf = Buffer.from(BASE.join('\r\n') + '\r\nContent-Length: 0\r\n');
    failure(buf, TCP, 'SIP_INCOMPLETE');
    assert.equal(parsedRequest(buf, UDP).method, 'OPTIONS', 'a datagram ends where the packet ends');
  });

  void it('keeps what it read in `partial` so a UAS can answer 400 (RFC 3261 §8.2, §16.3)', () => {
    const err = failure(request({ set: { CSeq: '63104 INVITE' } }), UDP, 'SIP_CSEQ_MISMATCH');
    const partial = err.partial ?? assert.fail('no partial message');
    assert.equal(partial.isRequest, true);
    assert.equal(partial.method, 'OPTIONS');
    assert.equal(partial.headers.get('Call-ID'), 'a84b4c76e66710@pc33.atlanta.example.com');
    const bad = failure(request({ start: 'OPTIONS <sip:bob@biloxi.example.com> SIP/2.0' }), UDP, 'SIP_BAD_URI');
    assert.equal(bad.partial?.headers.get('CSeq'), '63104 OPTIONS', 'headers are read even after a bad start line');
  });

  void it('never throws and always returns a SipParseError for garbage', () => {
    for (const text of ['', '\r\n', '\r\n\r\n', 'hello', '\0\0\0\r\n\r\n', 'SIP/2.0\r\n\r\n', ':\r\n\r\n', 'INVITE\r\n\r\n']) {
      for (const options of [UDP, TCP]) {
        const r = parseMessage(Buffer.from(text, 'latin1'), options);
        assert.equal(r.ok, false, JSON.stringify(text));
        if (!r.ok) assert.ok(r.error instanceof SipParseError);
      }
    }
  });
});

void describe('createResponse', () => {
  const invite = (): SipRequest => parsedRequest(fixture('compact-folded-invite.sip'));

  void it('copies Via values in order, From, To, Call-ID and CSeq, and nothing else (RFC 3261 §8.2.6.2)', () => {
    const req = invite();
    const res = createResponse(req, 486);
    assert.equal(res.status, 486);
    assert.equal(res.reason, 'Busy Here');
    assert.deepEqual(res.headers.getAll('Via'), req.headers.getAll('Via'));
    assert.deepEqual(res.vias.map((v) => v.branch), ['z9hG4bKnashds8', 'z9hG4bK77asjd', 'z9hG4bKfold']);
    assert.equal(res.headers.get('From'), req.headers.get('From'));
    assert.equal(res.callId, req.callId);
    assert.deepEqual(res.cseq, req.cseq);
    assert.equal(res.to.uri.toString(), req.to.uri.toString());
    assert.equal(res.to.displayName, 'Bob');
    for (const absent of ['Contact', 'Max-Forwards', 'Subject', 'Authorization', 'Content-Type', 'Supported']) {
      assert.equal(res.headers.has(absent), false, absent);
    }
    const again = parsedResponse(serializeMessage(res), TCP);
    assert.equal(again.status, 486);
    assert.equal(again.body.length, 0);
  });

  void it('adds a To tag to every response but 100 when the request had none (RFC 3261 §8.2.6.2)', () => {
    const req = invite();
    assert.equal(req.to.tag, undefined);
    assert.equal(createResponse(req, 100).to.tag, undefined);
    for (const status of [180, 183, 200, 302, 404, 500, 603]) {
      const tag = createResponse(req, status).to.tag;
      assert.ok(tag !== undefined && tag.length >= 8, `status ${status}`);
    }
    assert.equal(createResponse(req, 200, { toTag: 'fixed-tag' }).to.tag, 'fixed-tag');
    const t1 = createResponse(req, 200).to.tag;
    const t2 = createResponse(req, 200).to.tag;
    assert.notEqual(t1, t2, 'tags are random (RFC 3261 §19.3)');
  });

  void it('keeps the To tag of an in-dialog request (RFC 3261 §12.2.1.1)', () => {
    const req = parsedRequest(request({ set: { To: 'Bob <sip:bob@biloxi.example.com>;tag=314159' } }));
    assert.equal(createResponse(req, 200).to.tag, '314159');
    assert.equal(createResponse(req, 200, { toTag: 'ignored' }).to.tag, '314159');
  });

  void it('echoes Timestamp in a 100 (RFC 3261 §8.2.6.1) and adds requested headers and body', () => {
    const req = parsedRequest(request({ add: ['Timestamp: 54'] }));
    assert.equal(createResponse(req, 100).headers.get('Timestamp'), '54');
    assert.equal(createResponse(req, 200).headers.has('Timestamp'), false);
    const res = createResponse(req, 200, { reason: 'Fine', headers: [['Allow', 'INVITE, ACK']], body: Buffer.from('v=0\r\n'), contentType: 'application/sdp' });
    assert.equal(res.reason, 'Fine');
    assert.deepEqual(res.headers.getAll('Allow'), ['INVITE', 'ACK']);
    const again = parsedResponse(serializeMessage(res), TCP);
    assert.equal(again.contentType?.mediaType, 'application/sdp');
    assert.equal(again.body.toString(), 'v=0\r\n');
  });
});

void describe('createErrorResponse', () => {
  void it('builds the 400 for an unparseable request from `partial`, with a To tag (RFC 3261 §8.2.6.2, §16.3)', () => {
    const err = failure(request({ set: { 'Max-Forwards': '256' } }), UDP, 'SIP_BAD_HEADER');
    assert.ok(err.partial !== undefined);
    const res = createErrorResponse(err.partial, err.sipStatus, err.reason);
    assert.ok(res !== undefined);
    assert.equal(res.status, 400);
    assert.equal(res.reason, err.reason);
    assert.equal(res.headers.get('Via'), BASE[1].slice('Via: '.length));
    assert.equal(res.callId, 'a84b4c76e66710@pc33.atlanta.example.com');
    assert.deepEqual(res.cseq, { seq: 63104, method: 'OPTIONS' });
    assert.equal(res.from.tag, '1928301774');
    assert.ok(res.to.tag !== undefined, 'a UAS adds a To tag to its final responses');
    assert.equal(res.headers.has('Max-Forwards'), false);
    parsedResponse(serializeMessage(res), TCP);
  });

  void it('keeps a To that cannot be parsed as received', () => {
    const err = failure(request({ set: { To: '"Bob <sip:bob@biloxi.example.com>' } }), UDP, 'SIP_BAD_HEADER');
    const res = createErrorResponse(err.partial ?? assert.fail(), 400, err.reason);
    assert.equal(res?.headers.get('To'), '"Bob <sip:bob@biloxi.example.com>');
  });

  void it('makes the reason phrase one short line', () => {
    const err = failure(request({ set: { CSeq: '63104 INVITE' } }), UDP, 'SIP_CSEQ_MISMATCH');
    const res = createErrorResponse(err.partial ?? assert.fail(), 400, 'bad\r\nInjected: header ' + 'x'.repeat(300));
    assert.ok(res !== undefined);
    assert.doesNotMatch(res.reason, /[\r\n]/);
    assert.ok(res.reason.length <= 120);
  });

  void it('answers a request missing Call-ID with a 400 that carries its Via, so the sender can match it (RFC 4475 §3.3.1)', () => {
    const noCallId = failure(request({ set: { 'Call-ID': null } }), UDP, 'SIP_MISSING_HEADER');
    const reply = createErrorResponse(noCallId.partial ?? assert.fail(), 400, noCallId.reason) ?? assert.fail('no reply');
    assert.equal(reply.status, 400);
    assert.equal(reply.headers.has('Call-ID'), false);
    assert.equal(reply.headers.count('Via'), 1);
  });

  void it('gives nothing for an ACK, a response, or a request without a Via (RFC 3261 §17.2.1, §8.2)', () => {
    const ack = failure(request({ start: 'ACK sip:bob@biloxi.example.com SIP/2.0', set: { CSeq: '63104 INVITE' } }), UDP, 'SIP_CSEQ_MISMATCH');
    assert.equal(createErrorResponse(ack.partial ?? assert.fail(), 400, ack.reason), undefined);
    const noVia = failure(request({ set: { Via: null } }), UDP, 'SIP_MISSING_HEADER');
    assert.equal(createErrorResponse(noVia.partial ?? assert.fail(), 400, noVia.reason), undefined);
    const tail = ['Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1', 'From: <sip:a@example.com>;tag=1', 'To: <sip:b@example.com>', 'Call-ID: c', 'CSeq: 1 INVITE'];
    const response = failure(wire(['SIP/2.0 999 Nope', ...tail]), UDP, 'SIP_BAD_STATUS');
    if (response.partial !== undefined) {
      assert.equal(response.partial.isRequest, false);
      assert.equal(createErrorResponse(response.partial, 400, response.reason), undefined);
    }
  });
});
