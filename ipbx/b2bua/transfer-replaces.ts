// The Replaces header (RFC 3891): the dialog a new INVITE, or the INVITE a REFER asks for
// (RFC 5589 §7: escaped in the Refer-To URI), takes the place of. Parsed here, and looked up in
// the B2BUA's dialog table as the recipient of that INVITE would match it.

import { dialogKey, unescapeUriPart, type SipUri } from '../sip/index.ts';
import type { DialogEntry, DialogTable } from './dialog-table.ts';

export interface ReplacesId {
  callId: string;
  toTag: string;
  fromTag: string;
  /** §6.1 `early-only`: replace the dialog only while it is early. */
  earlyOnly: boolean;
}

/**
 * RFC 3891 §6.1: `Replaces = "Replaces" HCOLON callid *(SEMI replaces-param)`, where to-tag and
 * from-tag are required. A Call-ID holds no `;`, so the value splits on it. Undefined when malformed.
 */
export function parseReplaces(value: string): ReplacesId | undefined {
  const [callIdPart, ...params] = value.split(';');
  const callId = callIdPart?.trim() ?? '';
  if (callId === '' || /\s/.test(callId)) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const param of params) {
    const eq = param.indexOf('=');
    const name = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
    const paramValue = eq === -1 ? undefined : param.slice(eq + 1).trim();
    if (name === 'to-tag') toTag = paramValue;
    else if (name === 'from-tag') fromTag = paramValue;
    else if (name === 'early-only') earlyOnly = true;
  }
  if (toTag === undefined || fromTag === undefined || toTag === '' || fromTag === '') return undefined;
  return { callId, toTag, fromTag, earlyOnly };
}

/** The Replaces header embedded in a Refer-To URI (`?Replaces=...`, RFC 3261 §19.1.1 escaping), if any. */
export function embeddedReplaces(uri: SipUri): { present: false } | { present: true; id: ReplacesId | undefined } {
  for (const [name, value] of uri.headers) {
    if (unescapeUriPart(name).toLowerCase() === 'replaces') return { present: true, id: parseReplaces(unescapeUriPart(value)) };
  }
  return { present: false };
}

/**
 * RFC 3891 §3: "The User Agent Server (UAS) matches the to-tag and from-tag parameters as if they
 * were tags present in an incoming request. In other words, the to-tag parameter is compared to
 * the local tag, and the from-tag parameter is compared to the remote tag." Phones that write
 * the tags from their own side are matched too: the Call-ID makes a wrong match impossible.
 */
export function findReplaced(dialogs: DialogTable, id: ReplacesId): DialogEntry | undefined {
  return dialogs.findById(dialogKey({ callId: id.callId, localTag: id.toTag, remoteTag: id.fromTag }))
    ?? dialogs.findById(dialogKey({ callId: id.callId, localTag: id.fromTag, remoteTag: id.toTag }));
}
