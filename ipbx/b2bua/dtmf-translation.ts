// DTMF between a party that sends and wants SIP INFO (account dtmfMode: info, as Asterisk's
// dtmfmode=info) and one that uses RFC 4733 telephone-events in its RTP (everyone else). With
// the media plane in the call, an INFO digit becomes an RFC 4733 event in the other party's RTP,
// and an RFC 4733 event rtpengine saw becomes an INFO to the other party (whose RTP no longer
// carries the event, so it is not heard twice). Between two parties of the same kind nothing is
// translated: INFO is relayed as any in-dialog request, RFC 4733 flows in the RTP.

import type { IncomingRequest, SipRequest } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import type { Leg } from './leg.ts';

/** The digits of RFC 4733 §3.2 (events 0-15) as application/dtmf-relay writes them. */
const DIGITS = '0123456789*#ABCD';
const DEFAULT_DURATION_MS = 160;

/** One digit rtpengine saw in a call's RTP, from the leg whose tag is `sourceTag`. */
export interface RtpDigit {
  callId: string;
  sourceTag: string;
  digit: string;
  durationMs: number;
}

/** Whether the party of `leg` sends and wants DTMF as SIP INFO. */
export function wantsInfo(ctx: B2buaContext, leg: Leg | undefined): boolean {
  const extension = leg?.party?.extension;
  return extension !== undefined && ctx.accounts.get(extension)?.dtmfMode === 'info';
}

/**
 * Whether the media must allow injection: the caller or an account the call may reach wants INFO,
 * and no leg is a browser's. Injection makes rtpengine 10.5 re-encode the call's audio, and what it
 * encodes towards a DTLS-SRTP leg never reaches the browser (docs/media.md): a call with a browser
 * relays INFO as it is instead.
 */
export function callNeedsInjection(ctx: B2buaContext, call: Call, targets: Iterable<{ extension?: string | undefined; protocol: string }>): boolean {
  const list = [...targets];
  if ([call.a.protocol, ...list.map((t) => t.protocol)].some((p) => p === 'ws' || p === 'wss')) return false;
  return wantsInfo(ctx, call.a) || list.some((t) => t.extension !== undefined && ctx.accounts.get(t.extension)?.dtmfMode === 'info');
}

/**
 * The digit of a DTMF INFO: application/dtmf-relay (`Signal=5`, `Duration=160`, the de facto
 * format of Cisco and most phones) or application/dtmf (the digit alone); undefined otherwise.
 */
export function digitOfInfo(request: SipRequest): { digit: string; durationMs: number } | undefined {
  const type = request.headers.get('Content-Type')?.split(';')[0]?.trim().toLowerCase();
  const body = request.body.toString('utf8');
  let digit: string | undefined;
  let durationMs = DEFAULT_DURATION_MS;
  if (type === 'application/dtmf-relay') {
    digit = /^\s*Signal\s*=\s*(\S)/im.exec(body)?.[1];
    const duration = Number(/^\s*Duration\s*=\s*(\d+)/im.exec(body)?.[1]);
    if (Number.isFinite(duration) && duration > 0) durationMs = duration;
  } else if (type === 'application/dtmf') {
    digit = body.trim().slice(0, 1);
  }
  digit = digit?.toUpperCase();
  return digit !== undefined && digit.length === 1 && DIGITS.includes(digit) ? { digit, durationMs } : undefined;
}

/** Once the call is connected: RFC 4733 events towards a party that wants INFO are held back. */
export async function startDtmfTranslation(ctx: B2buaContext, call: Call): Promise<void> {
  if (!call.dtmfInjection) return;
  for (const leg of [call.a, call.b]) {
    if (leg?.peer !== undefined && wantsInfo(ctx, leg.peer) && !wantsInfo(ctx, leg)) await ctx.media.blockDtmf(leg.mediaInfo(call.id));
  }
}

/** An INFO digit from an INFO party to an RFC 4733 party: answered here and played into the peer's RTP. */
export function translateInfo(ctx: B2buaContext, call: Call, leg: Leg, incoming: IncomingRequest): boolean {
  const peer = leg.peer;
  if (!call.dtmfInjection || peer === undefined || !wantsInfo(ctx, leg) || wantsInfo(ctx, peer)) return false;
  const dtmf = digitOfInfo(incoming.request);
  if (dtmf === undefined) return false;
  incoming.respond(200);
  ctx.media.sendDtmf(leg.mediaInfo(call.id), dtmf.digit, dtmf.durationMs).catch((err: unknown) => ctx.report(err));
  return true;
}

/** An RFC 4733 digit from an RFC 4733 party to an INFO party: sent as INFO in the peer's dialog. */
export function relayRtpDigit(ctx: B2buaContext, call: Call, event: RtpDigit): void {
  const leg = [call.a, call.b].find((l) => l?.tag === event.sourceTag);
  const peer = leg?.peer;
  if (!call.dtmfInjection || leg === undefined || peer === undefined || peer.ended || !wantsInfo(ctx, peer) || wantsInfo(ctx, leg)) return;
  const body = Buffer.from(`Signal=${event.digit}\r\nDuration=${Math.round(event.durationMs)}\r\n`);
  peer.request('INFO', { body, contentType: 'application/dtmf-relay' }).catch((err: unknown) => ctx.report(err));
}
