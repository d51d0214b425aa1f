// The implicit subscription a REFER creates (RFC 3515 §2.4.4): the referrer learns how the
// reference went from NOTIFYs in its own dialog, each carrying the status line of the INVITE the
// IPBX placed as a message/sipfrag body. NOTIFYs go one after the other, so they arrive in CSeq
// order; after the final one (`Subscription-State: terminated`) nothing more is sent.

import type { Leg } from './leg.ts';

/** RFC 3420 fragment of a SIP message: here a bare status line, as RFC 3515 §2.4.5 allows. */
const SIPFRAG = 'message/sipfrag;version=2.0';

export class ReferSubscription {
  readonly #leg: Leg;
  readonly #event: string;
  readonly #expiresS: number;
  readonly #enabled: boolean;
  readonly #report: (err: unknown) => void;
  #done = false;
  #queue: Promise<void> = Promise.resolve();

  /**
   * `referSeq`: CSeq of the REFER. §2.4.6: for a second REFER in a dialog the NOTIFYs "MUST include
   * an id parameter in the Event header field ... containing the sequence number ... of the REFER";
   * it "MAY be included in NOTIFYs to the first REFER", so it always is.
   * `enabled` false: `Refer-Sub: false` (RFC 4488 §4), the referrer wants no NOTIFY at all.
   */
  constructor(leg: Leg, referSeq: number, options: { enabled: boolean; expiresS: number; report: (err: unknown) => void }) {
    this.#leg = leg;
    this.#event = `refer;id=${referSeq}`;
    this.#enabled = options.enabled;
    this.#expiresS = options.expiresS;
    this.#report = options.report;
  }

  /** A status on the way (the first NOTIFY: `SIP/2.0 100 Trying`). */
  progress(status: number, reason: string): void {
    void this.#notify(status, reason, `active;expires=${this.#expiresS}`);
  }

  /** The final status, ending the subscription; resolves once the referrer answered the NOTIFY (or it could not be sent). */
  final(status: number, reason: string): Promise<void> {
    return this.#notify(status, reason, 'terminated;reason=noresource');
  }

  #notify(status: number, reason: string, state: string): Promise<void> {
    if (!this.#enabled || this.#done) return this.#queue;
    if (state.startsWith('terminated')) this.#done = true;
    const send = async (): Promise<void> => {
      // A referrer that hung up (or whose dialog is gone) has no subscription left to notify.
      if (this.#leg.ended) return;
      const { response } = await this.#leg.request('NOTIFY', {
        // §2.4.5: "The body of a NOTIFY MUST begin with a SIP Response Status-Line".
        body: Buffer.from(`SIP/2.0 ${status} ${reason}\r\n`),
        contentType: SIPFRAG,
        headers: [['Event', this.#event], ['Subscription-State', state]],
      });
      // RFC 6665 §4.2.2: a NOTIFY answered with an error (the referrer's 481 once it forgot the
      // subscription) removes the subscription: nothing more is sent.
      if (response.status >= 300) this.#done = true;
    };
    this.#queue = this.#queue.then(send).catch((err: unknown) => this.#report(err));
    return this.#queue;
  }
}
