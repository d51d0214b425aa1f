// A 2xx we send on a leg (the caller's answer, a relayed re-INVITE answer) must be acknowledged.
// RFC 3261 §13.3.1.4: "If the server retransmits the 2xx response for 64*T1 seconds without
// receiving an ACK, the dialog is confirmed, but the session SHOULD be terminated" — the call
// ends (cause failed) and both legs get a BYE.

import type { SipResponse } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import type { Call } from './call.ts';
import type { Leg } from './leg.ts';

export function watchAck(ctx: B2buaContext, call: Call, leg: Leg, response: SipResponse): void {
  ctx.stack.onAckTimeout(response, () => {
    if (leg.awaitingAck?.seq !== response.cseq.seq) return;
    // The timeout frees a BYE held back for the ACK (§15); the peer may be owed an ACK that was to
    // carry the answer: its bye() sends it bare first.
    leg.acknowledged();
    if (call.ended) ctx.dialogs.remove(leg);
    call.finish({ cause: 'failed', status: 408, by: 'system' });
  });
}
