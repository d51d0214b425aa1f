// CSeq (RFC 3261 §20.16): a 32-bit unsigned sequence number and the method.

import { SipParseError } from './sip-parse-error.ts';

export interface CSeq {
  seq: number;
  method: string;
}

const CSEQ_RE = /^0*([0-9]{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)$/;

export function parseCSeq(text: string): CSeq {
  const m = CSEQ_RE.exec(text.trim());
  const seq = m === null ? NaN : Number(m[1]);
  if (m === null || !(seq <= 0xffffffff)) {
    throw new SipParseError('SIP_BAD_HEADER', `CSeq "${text.trim()}" is not "number METHOD" with a 32-bit number`);
  }
  return { seq, method: m[2] ?? '' };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}
