// One outbound INVITE of a call (a fork): a new dialog of its own — new Call-ID, From tag and
// CSeq, the caller's identity in From, the dialled number in To, the IPBX as Contact (a B2BUA
// never forwards the caller's Call-ID or Via) — sent to one registered contact over its flow.
// CANCEL follows RFC 3261 §9.1, and a 2xx that comes too late is acknowledged and hung up.

import {
  resolveTarget,
  type NameAddr, type SendTarget, type SipRequest, type SipResponse,
} from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import { identityOfAccount, type CallerIdentity } from './caller-identity.ts';
import type { PendingFork } from './call.ts';
import { Leg } from './leg.ts';
import type { MediaLegInfo } from './media-hook.ts';
import type { RingTarget } from './ring-plan.ts';
import { ALLOW, aorUri, madeUpResponse, ourContact } from './sip-helpers.ts';

export interface ForkListener {
  onProvisional(fork: Fork, response: SipResponse): void;
  /** Once per fork: the callee's final response, or the stack's 408/503 (§8.1.3.1). */
  onFinal(fork: Fork, response: SipResponse): void;
}

/** RFC 3326 Reason for the CANCEL of the forks that lost: phones then log no missed call. */
export const ANSWERED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

export class Fork implements PendingFork {
  readonly ring: RingTarget;
  readonly invite: SipRequest;
  readonly contact: NameAddr;
  readonly #ctx: B2buaContext;
  #target: SendTarget | undefined;
  #provisional = false;
  #final: SipResponse | undefined;
  #cancelWanted: string | null | undefined;
  #cancelSent = false;

  constructor(ctx: B2buaContext, ring: RingTarget, caller: CallerIdentity, callee: string, maxForwards: number) {
    this.#ctx = ctx;
    this.ring = ring;
    this.#target = ring.target;
    this.contact = ourContact(ctx.stack, ring.protocol);
    this.invite = ctx.stack.createRequest('INVITE', ring.uri, {
      from: caller.nameAddr,
      to: `<${aorUri(callee, ctx.domain).toString()}>`,
      contact: this.contact,
      cseq: 1,
      headers: [['Allow', ALLOW]],
    });
    this.invite.headers.set('Max-Forwards', String(maxForwards));
  }

  get tag(): string {
    return this.invite.from.tag ?? '';
  }

  get target(): SendTarget | undefined {
    return this.#target;
  }

  get settled(): boolean {
    return this.#final !== undefined;
  }

  mediaInfo(callId: string): MediaLegInfo {
    return { callId, leg: 'b', legTag: this.tag, protocol: this.ring.protocol };
  }

  /** Sends the INVITE with the offer (none for a late offer); every outcome, failures included, ends in one `onFinal`. */
  start(listener: ForkListener, offer: Buffer): void {
    if (offer.length > 0) {
      this.invite.body = offer;
      this.invite.headers.set('Content-Type', 'application/sdp');
    }
    this.#run(listener).catch((err: unknown) => {
      this.#ctx.report(err);
      this.#settle(listener, madeUpResponse(this.invite, 503));
    });
  }

  async #run(listener: ForkListener): Promise<void> {
    this.#target ??= await resolveTarget(this.ring.uri);
    if (this.#cancelWanted !== undefined) {
      this.#settle(listener, madeUpResponse(this.invite, 487));
      return;
    }
    const response = await this.#ctx.stack.send(this.invite, {
      target: this.#target,
      onProvisional: (r) => {
        this.#provisional = true;
        if (this.#cancelWanted !== undefined) this.#sendCancel();
        else listener.onProvisional(this, r);
      },
    });
    this.#settle(listener, response);
  }

  #settle(listener: ForkListener, response: SipResponse): void {
    if (this.#final !== undefined) return;
    this.#final = response;
    listener.onFinal(this, response);
  }

  /**
   * §9.1: "If no provisional response has been received, the CANCEL request MUST NOT be sent;
   * rather, the client MUST wait for the arrival of a provisional response"; and once a final
   * response came, "the CANCEL SHOULD NOT be sent".
   */
  cancel(reason?: string): void {
    if (this.#final !== undefined || this.#cancelWanted !== undefined) return;
    this.#cancelWanted = reason ?? null;
    if (this.#provisional) this.#sendCancel();
  }

  #sendCancel(): void {
    const target = this.#target;
    if (this.#cancelSent || this.#final !== undefined || target === undefined) return;
    this.#cancelSent = true;
    this.#ctx.stack.cancel(this.invite, target, this.#cancelWanted ?? undefined).catch((err: unknown) => this.#ctx.report(err));
  }

  /**
   * A 2xx nobody wants (another fork won, or the call is over). §13.2.2.4: "The UAC core MUST
   * generate an ACK request for each 2xx", and "If, after acknowledging any 2xx response to an
   * INVITE, the UAC does not want to continue with that dialog, then the UAC MUST terminate the
   * dialog by sending a BYE request".
   */
  discard(response: SipResponse): void {
    const target = this.#target;
    if (target === undefined) return;
    const leg = Leg.outbound(this.invite, response, this.contact, target, this.#ctx);
    leg.ack(this.invite.cseq.seq).then(() => leg.bye(), (err: unknown) => this.#ctx.report(err));
  }

  /** The callee's leg after its 2xx, knowing which account answered (external members: none). */
  legFor(response: SipResponse): Leg {
    const target = this.#target;
    if (target === undefined) throw new Error('a fork answered before it was sent');
    const leg = Leg.outbound(this.invite, response, this.contact, target, this.#ctx);
    const account = this.ring.extension === undefined ? undefined : this.#ctx.accounts.get(this.ring.extension);
    leg.party = account === undefined ? undefined : identityOfAccount(account, this.#ctx.domain);
    return leg;
  }
}
