// What a REFER asks the IPBX to do (RFC 3515 §2.4.2), read from its Refer-To: call a number
// (blind transfer, RFC 5589 §6), or connect the transferee to the other end of another of the
// referrer's calls (attended transfer, RFC 5589 §7: a Replaces header escaped in the URI). A
// REFER the IPBX cannot carry out is refused before anything is accepted.

import { TelUri, isSipUri, parseNameAddr, type SipRequest, type Uri } from '../sip/index.ts';
import { dialledNumber } from './sip-helpers.ts';
import { embeddedReplaces, type ReplacesId } from './transfer-replaces.ts';

export type ReferTarget =
  | { kind: 'blind'; number: string; uri: Uri }
  | { kind: 'attended'; replaces: ReplacesId; uri: Uri };

export type ReferReading =
  | {
    ok: true;
    target: ReferTarget;
    /** False for `Refer-Sub: false` (RFC 4488 §4): no implicit subscription, no NOTIFY. */
    subscribe: boolean;
  }
  | { ok: false; status: number; reason: string };

function refuse(status: number, reason: string): ReferReading {
  return { ok: false, status, reason };
}

export function readRefer(request: SipRequest): ReferReading {
  const values = request.headers.getAll('Refer-To');
  // RFC 3515 §2.4.1: "An agent responding to a REFER method MUST return a 400 (Bad Request) if
  // the request contained zero or more than one Refer-To header field values."
  if (values.length === 0) return refuse(400, 'Missing Refer-To');
  if (values.length > 1) return refuse(400, 'More Than One Refer-To');
  let uri: Uri;
  try {
    uri = parseNameAddr(values[0] ?? '', 'Refer-To').uri;
  } catch {
    return refuse(400, 'Bad Refer-To');
  }
  if (!isSipUri(uri) && !(uri instanceof TelUri)) return refuse(400, 'Refer-To Is Not A SIP Or Tel URI');
  // §2.4.2: the recipient "MAY decline the request": the IPBX places calls, nothing else (`method=INVITE` is the default).
  const method = isSipUri(uri) ? uri.params.get('method') : undefined;
  if (method !== undefined && method !== null && method.toUpperCase() !== 'INVITE') return refuse(403, 'Only INVITE References Are Carried Out');
  const subscribe = request.headers.get('Refer-Sub')?.trim().toLowerCase() !== 'false';
  if (isSipUri(uri)) {
    const replaces = embeddedReplaces(uri);
    if (replaces.present) {
      if (replaces.id === undefined) return refuse(400, 'Bad Replaces In Refer-To');
      return { ok: true, target: { kind: 'attended', replaces: replaces.id, uri }, subscribe };
    }
  }
  const number = dialledNumber(uri);
  if (number === undefined || number === '') return refuse(400, 'Refer-To Names No Number');
  return { ok: true, target: { kind: 'blind', number, uri }, subscribe };
}
