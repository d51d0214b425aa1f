// Provisional responses of the forks, relayed to the caller on its own leg (with our To tag and
// Contact): each kind once, whatever the number of forks; a 183 with SDP (early media) goes
// through the media hook as an answer, like the 2xx would.

import type { SipResponse } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import { CallStates } from './call-state.ts';
import type { Fork } from './fork.ts';
import { answeredLocally } from './local-answer.ts';
import { respondOnce } from './sip-helpers.ts';

export function relayProvisional(ctx: B2buaContext, call: Call, fork: Fork, response: SipResponse): void {
  const status = response.status;
  // A caller the IPBX answered itself (a queue's overflow) keeps hearing its music while this rings.
  if (status <= 100 || status >= 200 || call.ended || answeredLocally(call)) return;
  // With a late offer the 183's SDP would be an offer the caller cannot answer before the 2xx.
  const withSdp = status === 183 && response.body.length > 0 && !call.lateOffer;
  const kind = withSdp ? `${status}+sdp` : String(status);
  // Ringing again after a group's fallback routed the call anew, even if the caller heard it already.
  call.moveTo(CallStates.Ringing);
  if (call.relayedProvisionals.has(kind)) return;
  call.relayedProvisionals.add(kind);
  const headers: Array<[string, string]> = [['Contact', call.a.dialog.localContact.toString()]];
  if (!withSdp) {
    respondOnce(call.invite, status, { reason: response.reason, headers });
    return;
  }
  ctx.media.answer(response.body, fork.mediaInfo(call.id), call.a.mediaInfo(call.id))
    .then((body) => {
      if (!call.ended) respondOnce(call.invite, status, { reason: response.reason, headers, body, contentType: 'application/sdp' });
    })
    .catch((err: unknown) => ctx.report(err));
}
