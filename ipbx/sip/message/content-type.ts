// Content-Type media types (RFC 3261 §20.15): `application/sdp`, `multipart/mixed;boundary=x`.

import { parseHeaderParams, type HeaderParams } from './header-params.ts';
import { SipParseError } from './sip-parse-error.ts';

export interface MediaType {
  /** Lower-case `type/subtype`. */
  mediaType: string;
  params: HeaderParams;
}

const MEDIA_RE = /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*(;.*)?$/;

export function parseMediaType(text: string): MediaType {
  const m = MEDIA_RE.exec(text.trim());
  if (m === null) throw new SipParseError('SIP_BAD_HEADER', `Content-Type "${text.trim()}" is not "type/subtype"`);
  const [, type = '', subtype = '', paramText] = m;
  return {
    mediaType: `${type}/${subtype}`.toLowerCase(),
    params: paramText === undefined ? new Map<string, string | null>() : parseHeaderParams(paramText, 'Content-Type'),
  };
}
