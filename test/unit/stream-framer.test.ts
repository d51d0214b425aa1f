import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamFramer, readContentLength, type StreamFramerOptions } from '../../ipbx/sip/transport/stream-framer.ts';
import type { FramingError } from '../../ipbx/sip/transport/transport-errors.ts';

function request(body = '', extra = ''): string {
  return [
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK776asdhds',
    'From: <sip:alice@example.com>;tag=1928301774',
    'To: <sip:bob@example.com>',
    'Call-ID: a84b4c76e66710',
    'CSeq: 1 OPTIONS',
    ...(extra === '' ? [] : [extra]),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

function headWith(lengthLines: string[]): string {
  return ['OPTIONS sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', ...lengthLines, '', ''].join('\r\n');
}

/** A framer whose events are recorded in order. */
function recordingFramer(options?: StreamFramerOptions) {
  const framer = new StreamFramer(options);
  const events: Array<{ type: 'message'; text: string } | { type: 'ping' | 'pong' } | { type: 'error'; error: FramingError }> = [];
  framer.on('message', (m) => events.push({ type: 'message', text: m.toString('utf8') }));
  framer.on('ping', () => events.push({ type: 'ping' }));
  framer.on('pong', () => events.push({ type: 'pong' }));
  framer.on('error', (error) => events.push({ type: 'error', error }));
  return { framer, events };
}

function messages(events: ReturnType<typeof recordingFramer>['events']): string[] {
  return events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
}

function firstError(events: ReturnType<typeof recordingFramer>['events']): FramingError {
  const e = events.find((x) => x.type === 'error');
  assert.ok(e !== undefined && e.type === 'error', 'expected a framing error');
  return e.error;
}

void describe('StreamFramer: cutting a stream by Content-Length (RFC 3261 §18.3)', () => {
  void it('emits one message pushed whole', () => {
    const { framer, events } = recordingFramer();
    const text = request('v=0\r\n');
    framer.push(Buffer.from(text));
    assert.deepEqual(messages(events), [text]);
    assert.equal(framer.hasPartialMessage, false);
    assert.equal(framer.bufferedBytes, 0);
  });

  void it('waits across partial reads of the head and emits once the head and body are complete', () => {
    const { framer, events } = recordingFramer();
    const text = request('hello');
    framer.push(Buffer.from(text.slice(0, 40)));
    assert.equal(messages(events).length, 0);
    assert.equal(framer.hasPartialMessage, true);
    framer.push(Buffer.from(text.slice(40)));
    assert.deepEqual(messages(events), [text]);
  });

  void it('handles a slow sender writing byte by byte, CRLFCRLF split across reads included', () => {
    const { framer, events } = recordingFramer();
    const text = request('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n');
    for (const byte of Buffer.from(text)) framer.push(Buffer.from([byte]));
    assert.deepEqual(messages(events), [text]);
    assert.equal(events.length, 1);
  });

  void it('emits two messages that arrive in one chunk, in order', () => {
    const { framer, events } = recordingFramer();
    const a = request('first');
    const b = request('', 'Subject: second');
    framer.push(Buffer.from(a + b));
    assert.deepEqual(messages(events), [a, b]);
  });

  void it('waits for a body split across chunks, then keeps the next message\'s first bytes', () => {
    const { framer, events } = recordingFramer();
    const a = request('0123456789');
    const b = request('');
    const all = Buffer.from(a + b);
    const cut = Buffer.byteLength(a) - 4;
    framer.push(all.subarray(0, cut));
    assert.equal(messages(events).length, 0);
    framer.push(all.subarray(cut, Buffer.byteLength(a) + 10));
    assert.deepEqual(messages(events), [a]);
    assert.equal(framer.hasPartialMessage, true);
    framer.push(all.subarray(Buffer.byteLength(a) + 10));
    assert.deepEqual(messages(events), [a, b]);
  });

  void it('counts the body in bytes, not characters', () => {
    const { framer, events } = recordingFramer();
    const text = request('héllo ☎');
    framer.push(Buffer.from(text));
    assert.deepEqual(messages(events), [text]);
  });

  void it('reads the compact form l and any letter case of Content-Length (RFC 3261 §7.3.3)', () => {
    assert.equal(readContentLength(headWith(['l: 12'])), 12);
    assert.equal(readContentLength(headWith(['L:3'])), 3);
    assert.equal(readContentLength(headWith(['content-LENGTH :  7 '])), 7);
    assert.equal(readContentLength(headWith(['Content-Length: 5', 'l: 5'])), 5);
  });

  void it('reads a folded Content-Length value (RFC 3261 §7.3.1)', () => {
    assert.equal(readContentLength(headWith(['Content-Length:', ' 4'])), 4);
  });

  void it('frames a message whose head ends with bare LFs', () => {
    const { framer, events } = recordingFramer();
    const text = request('abc').replace(/\r\n/g, '\n');
    framer.push(Buffer.from(text));
    assert.deepEqual(messages(events), [text]);
  });
});

void describe('StreamFramer: CRLF keep-alives (RFC 5626 §3.5.1, §4.4.1)', () => {
  void it('emits a ping for a double CRLF between messages and still frames what follows', () => {
    const { framer, events } = recordingFramer();
    const text = request();
    framer.push(Buffer.from('\r\n\r\n' + text + '\r\n\r\n'));
    assert.deepEqual(events.map((e) => e.type), ['ping', 'message', 'ping']);
  });

  void it('emits a ping split across two reads once its second CRLF arrives', () => {
    const { framer, events } = recordingFramer();
    framer.push(Buffer.from('\r\n'));
    assert.equal(events.length, 0);
    assert.equal(framer.hasPartialMessage, false, 'half a ping is not a partial message');
    framer.push(Buffer.from('\r'));
    framer.push(Buffer.from('\n'));
    assert.deepEqual(events.map((e) => e.type), ['ping']);
  });

  void it('notes a lone CRLF pong on a client flow as soon as it arrives', () => {
    const { framer, events } = recordingFramer({ role: 'client' });
    framer.push(Buffer.from('\r\n'));
    assert.deepEqual(events.map((e) => e.type), ['pong']);
    framer.push(Buffer.from('\r\n'));
    assert.deepEqual(events.map((e) => e.type), ['pong', 'pong'], 'a second pong is not taken for a ping');
  });

  void it('notes a lone CRLF before a start line on a server flow and frames the message', () => {
    const { framer, events } = recordingFramer();
    const text = request();
    framer.push(Buffer.from('\r\n' + text));
    assert.deepEqual(events.map((e) => e.type), ['pong', 'message']);
    assert.deepEqual(messages(events), [text]);
  });
});

void describe('StreamFramer: framing errors are final (RFC 3261 §18.3)', () => {
  void it('fails on a missing Content-Length, keeping the head for a 400', () => {
    const { framer, events } = recordingFramer();
    const text = request().replace(/Content-Length: 0\r\n/, '');
    framer.push(Buffer.from(text));
    const error = firstError(events);
    assert.equal(error.code, 'SIP_FRAMING_MISSING_CONTENT_LENGTH');
    assert.equal(error.sipStatus, 400);
    assert.ok(error.head?.toString().startsWith('OPTIONS sip:bob@example.com SIP/2.0'));
  });

  void it('fails on a negative Content-Length', () => {
    const { framer, events } = recordingFramer();
    framer.push(Buffer.from(headWith(['Content-Length: -5'])));
    const error = firstError(events);
    assert.equal(error.code, 'SIP_FRAMING_BAD_CONTENT_LENGTH');
    assert.match(error.reason, /negative/);
  });

  void it('fails on a non-numeric Content-Length', () => {
    const { framer, events } = recordingFramer();
    framer.push(Buffer.from(headWith(['Content-Length: ten'])));
    assert.equal(firstError(events).code, 'SIP_FRAMING_BAD_CONTENT_LENGTH');
  });

  void it('fails on conflicting Content-Length values', () => {
    const { framer, events } = recordingFramer();
    framer.push(Buffer.from(headWith(['Content-Length: 5', 'l: 6'])));
    assert.equal(firstError(events).code, 'SIP_FRAMING_CONFLICTING_CONTENT_LENGTH');
  });

  void it('fails with 513 when the declared message exceeds maxMessageBytes', () => {
    const { framer, events } = recordingFramer({ maxMessageBytes: 1000 });
    framer.push(Buffer.from(headWith(['Content-Length: 5000'])));
    const error = firstError(events);
    assert.equal(error.code, 'SIP_FRAMING_MESSAGE_TOO_LARGE');
    assert.equal(error.sipStatus, 513);
  });

  void it('fails when a head grows past maxHeadBytes without ending, before its end arrives', () => {
    const { framer, events } = recordingFramer({ maxHeadBytes: 256 });
    framer.push(Buffer.from('OPTIONS sip:bob@example.com SIP/2.0\r\n'));
    for (let i = 0; i < 20 && events.length === 0; i++) framer.push(Buffer.from(`X-Filler-${i}: ${'a'.repeat(20)}\r\n`));
    const error = firstError(events);
    assert.equal(error.code, 'SIP_FRAMING_HEAD_TOO_LARGE');
    assert.equal(error.head, undefined);
  });

  void it('ignores every byte pushed after an error, messages included', () => {
    const { framer, events } = recordingFramer();
    framer.push(Buffer.from(headWith(['Content-Length: -1'])));
    framer.push(Buffer.from(request()));
    assert.deepEqual(events.map((e) => e.type), ['error']);
  });

  void it('stops after a message listener closes the framer', () => {
    const framer = new StreamFramer();
    const seen: string[] = [];
    framer.on('message', (m) => {
      seen.push(m.toString());
      framer.close();
    });
    framer.push(Buffer.from(request('a') + request('b')));
    assert.equal(seen.length, 1);
  });
});
