// The checks RFC 3261 §8.2 asks of every UAS before the request reaches the application:
// method (405/501), URI scheme (416), Require (420), body type (415) and Accept (406).
// Each check is named after its section so a failing response can be traced to the RFC.

import { createResponse, isKnownMethod, type SipRequest, type SipResponse } from '../message/index.ts';

export interface UasPolicy {
  /** Methods the application handles; others get 405 (known) or 501 (unknown). */
  allowedMethods: readonly string[];
  /** Option tags this UA supports (Require of anything else → 420). */
  supported: readonly string[];
  /** Body types accepted (RFC 3261 §8.2.3); `application/sdp` for INVITE by default. */
  acceptedContentTypes: readonly string[];
}

function rfc3261_8_2_1(request: SipRequest, policy: UasPolicy): SipResponse | undefined {
  if (policy.allowedMethods.includes(request.method)) return undefined;
  const status = isKnownMethod(request.method) ? 405 : 501;
  return createResponse(request, status, { headers: [['Allow', policy.allowedMethods.join(', ')]] });
}

function rfc3261_8_2_2_1(request: SipRequest): SipResponse | undefined {
  const scheme = request.uri.scheme;
  if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') return undefined;
  return createResponse(request, 416);
}

function rfc3261_8_2_2_3(request: SipRequest, policy: UasPolicy): SipResponse | undefined {
  // CANCEL and ACK never carry Require processing (§8.2.2.3).
  if (request.method === 'CANCEL' || request.method === 'ACK') return undefined;
  const unsupported = [...request.require, ...request.proxyRequire].filter((tag) => !policy.supported.includes(tag));
  if (unsupported.length === 0) return undefined;
  return createResponse(request, 420, { headers: [['Unsupported', [...new Set(unsupported)].join(', ')]] });
}

function rfc3261_8_2_3(request: SipRequest, policy: UasPolicy): SipResponse | undefined {
  if (request.body.length > 0) {
    const type = request.contentType?.mediaType;
    if (type === undefined || !policy.acceptedContentTypes.includes(type)) {
      return createResponse(request, 415, { headers: [['Accept', policy.acceptedContentTypes.join(', ')]] });
    }
  }
  // Accept lists what the response body may be; an INVITE answered with SDP needs application/sdp (or a wildcard).
  if (request.method === 'INVITE' && request.headers.has('Accept')) {
    const accepted = request.headers.getAll('Accept').map((a) => (a.split(';')[0] ?? '').trim().toLowerCase());
    const ok = accepted.some((a) => a === '*/*' || a === 'application/*' || a === 'application/sdp' || a === '');
    if (!ok) return createResponse(request, 406, { headers: [['Warning', '399 voiplab "only application/sdp bodies are produced"']] });
  }
  return undefined;
}

/** The first §8.2 failure as a response, or undefined when the request may go to the application. */
export function checkRequest(request: SipRequest, policy: UasPolicy): SipResponse | undefined {
  return rfc3261_8_2_1(request, policy)
    ?? rfc3261_8_2_2_1(request)
    ?? rfc3261_8_2_2_3(request, policy)
    ?? rfc3261_8_2_3(request, policy);
}
