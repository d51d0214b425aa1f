// Writes a message to bytes: start line, headers in order as stored, and a Content-Length that
// always matches the body (RFC 3261 §20.14), added when missing.

import type { SipMessage } from './sip-message.ts';

export function serializeHead(message: SipMessage): string {
  let s = message.isRequest()
    ? `${message.method} ${message.uri.toString()} SIP/2.0\r\n`
    : `SIP/2.0 ${message.status} ${message.reason}\r\n`;
  let wroteLength = false;
  for (const h of message.headers) {
    if (h.key === 'content-length') {
      if (wroteLength) continue;
      s += `${h.name}: ${message.body.length}\r\n`;
      wroteLength = true;
    } else {
      s += `${h.name}: ${h.value}\r\n`;
    }
  }
  if (!wroteLength) s += `Content-Length: ${message.body.length}\r\n`;
  return s + '\r\n';
}

export function serializeMessage(message: SipMessage): Buffer {
  const head = serializeHead(message);
  if (message.body.length === 0) return Buffer.from(head, 'utf8');
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + message.body.length);
  out.write(head, 0, 'utf8');
  message.body.copy(out, headBytes);
  return out;
}
