// One call on sip.js: an Inviter (ours) or an Invitation (theirs) and the state the UI sees.
// The phone (sipjs-phone.ts) owns the calls; each reports its changes through `onChange`.

import {
  Invitation, Inviter, SessionState, Web,
  type Info, type Notification, type Session, type URI,
} from 'sip.js';
import { callQuality } from '../media/call-quality.ts';
import { DTMF_DIGITS, digitOfDtmfRelay, dtmfRelayBody } from './dtmf-relay.ts';
import type { CallQuality, CallSnapshot, DtmfMethod, EndCause } from './phone-types.ts';

const DTMF_DURATION_MS = 160;
/** RTCDTMFSender's default gap between RFC 4733 events. */
const DTMF_GAP_MS = 70;

export class SipJsCall {
  readonly session: Inviter | Invitation;
  readonly #data: CallSnapshot;
  readonly #onChange: () => void;

  constructor(id: string, session: Inviter | Invitation, onChange: () => void) {
    this.session = session;
    this.#onChange = onChange;
    const incoming = session instanceof Invitation;
    const identity = session.remoteIdentity; // From of an incoming INVITE, To of ours
    this.#data = {
      id, direction: incoming ? 'incoming' : 'outgoing', state: incoming ? 'incoming' : 'calling',
      remoteNumber: identity.uri.user ?? identity.uri.toString(), remoteName: identity.displayName,
      startedAt: Date.now(), ringingAt: null, connectedAt: null, endedAt: null, endCause: null, statusCode: null,
      onHold: false, muted: false, receivedDtmf: '', transfer: 'none', iceRestarts: 0,
    };
    session.delegate = {
      onInfo: (info) => void this.#onInfo(info),
      onBye: (bye) => {
        this.#endCause(this.#data.transfer === 'accepted' ? 'transferred' : 'remote-hangup');
        void bye.accept();
      },
    };
    session.stateChange.addListener((state) => this.#onSessionState(state));
  }

  get id(): string {
    return this.#data.id;
  }

  get state(): CallSnapshot['state'] {
    return this.#data.state;
  }

  snapshot(): CallSnapshot {
    return { ...this.#data };
  }

  /** For an outgoing call: sends the INVITE; resolves once it is sent, the progress comes as changes. */
  async invite(): Promise<void> {
    if (!(this.session instanceof Inviter)) throw new Error('invite: not an outgoing call');
    await this.session.invite({
      requestDelegate: {
        onProgress: (response) => {
          if ((response.message.statusCode ?? 0) >= 180 && this.#data.state === 'calling') this.#update({ state: 'ringing', ringingAt: Date.now() });
        },
        onAccept: (response) => this.#update({ statusCode: response.message.statusCode ?? null }),
        onReject: (response) => {
          this.#data.statusCode = response.message.statusCode ?? null;
          this.#endCause('rejected');
        },
      },
    });
  }

  async answer(): Promise<void> {
    const invitation = this.#ringingInvitation('answer');
    this.#data.statusCode = 200;
    await invitation.accept();
  }

  async reject(): Promise<void> {
    const invitation = this.#ringingInvitation('reject');
    this.#data.statusCode = 486;
    this.#endCause('declined');
    await invitation.reject({ statusCode: 486 });
  }

  async hangup(): Promise<void> {
    const session = this.session;
    if (session.state === SessionState.Terminated || session.state === SessionState.Terminating) return;
    if (session instanceof Invitation && session.state === SessionState.Initial) {
      await this.reject();
      return;
    }
    this.#endCause('local-hangup');
    if (session.state === SessionState.Established) await session.bye();
    else if (session instanceof Inviter) await session.cancel();
    else await session.bye().catch(() => undefined); // being answered: sip.js ends it once confirmed
  }

  /**
   * A re-INVITE offering sendonly (hold) or sendrecv (resume). The holder also silences its own
   * tracks: the held side hears the IPBX's music or nothing, never us, whatever it answers.
   */
  async setHold(hold: boolean): Promise<void> {
    const session = this.#established(hold ? 'hold' : 'resume');
    if (this.#data.onHold === hold) return;
    session.sessionDescriptionHandlerOptionsReInvite = { hold } as Web.SessionDescriptionHandlerOptions;
    await new Promise<void>((resolve, reject) => {
      session.invite({
        requestDelegate: {
          onAccept: () => resolve(),
          onReject: (response) => reject(new Error(`${hold ? 'hold' : 'resume'}: re-INVITE refused with ${response.message.statusCode} ${response.message.reasonPhrase}`)),
        },
      }).catch(reject);
    });
    this.#data.onHold = hold;
    this.#applyTracks();
    this.#onChange();
  }

  /**
   * After the WebSocket came back: a re-INVITE over the new connection (so the server learns the
   * new flow) whose offer restarts ICE (new ufrag and password, RFC 8445 §9), in case the network
   * under the media changed too. The hold state is kept.
   */
  async restartIce(): Promise<void> {
    const session = this.#established('ICE restart');
    const hold = this.#data.onHold;
    session.sessionDescriptionHandlerOptionsReInvite = { hold, offerOptions: { iceRestart: true } } as Web.SessionDescriptionHandlerOptions;
    try {
      await new Promise<void>((resolve, reject) => {
        session.invite({
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: (response) => reject(new Error(`ICE restart: re-INVITE refused with ${response.message.statusCode} ${response.message.reasonPhrase}`)),
          },
        }).catch(reject);
      });
    } finally {
      // Later re-INVITEs (hold, resume) must not restart ICE again.
      session.sessionDescriptionHandlerOptionsReInvite = { hold } as Web.SessionDescriptionHandlerOptions;
    }
    this.#applyTracks();
    this.#update({ iceRestarts: this.#data.iceRestarts + 1 });
  }

  setMuted(muted: boolean): void {
    this.#data.muted = muted;
    this.#applyTracks();
    this.#onChange();
  }

  async sendDtmf(digits: string, method: DtmfMethod): Promise<void> {
    const session = this.#established('sendDtmf');
    for (const digit of digits) {
      if (!DTMF_DIGITS.test(digit)) throw new Error(`sendDtmf: "${digit}" is not a DTMF digit`);
    }
    if (method === 'rfc4733') {
      const handler = this.#handler();
      if (handler === undefined || !handler.sendDtmf(digits, { duration: DTMF_DURATION_MS, interToneGap: DTMF_GAP_MS })) {
        throw new Error('sendDtmf: no RFC 4733 sender (telephone-event not negotiated?); try SIP INFO');
      }
      return;
    }
    // One INFO per digit, each once the previous one is answered, so the far end gets them in order.
    for (const digit of digits) {
      await new Promise<void>((resolve, reject) => {
        session.info({
          requestOptions: { body: { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: dtmfRelayBody(digit, DTMF_DURATION_MS) } },
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: (response) => reject(new Error(`sendDtmf: INFO refused with ${response.message.statusCode} ${response.message.reasonPhrase}`)),
          },
        }).catch(reject);
      });
    }
  }

  /**
   * REFER (RFC 3515): to a URI (blind transfer) or to another call of ours (attended transfer,
   * Refer-To with Replaces, RFC 3891). Resolves once the REFER is accepted; a final NOTIFY of
   * success ends this call, as the transferee now talks to the target.
   */
  async refer(target: URI | Session): Promise<void> {
    const session = this.#established('transfer');
    this.#update({ transfer: 'requested' });
    await new Promise<void>((resolve, reject) => {
      session.refer(target, {
        requestDelegate: {
          onAccept: () => {
            this.#update({ transfer: 'accepted' });
            resolve();
          },
          onReject: (response) => {
            this.#update({ transfer: 'failed' });
            reject(new Error(`transfer: REFER refused with ${response.message.statusCode} ${response.message.reasonPhrase}`));
          },
        },
        onNotify: (notification) => void this.#onReferNotify(notification),
      }).catch((err: unknown) => {
        this.#update({ transfer: 'failed' });
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  remoteStream(): MediaStream | undefined {
    const stream = this.#handler()?.remoteMediaStream;
    return stream !== undefined && stream.getAudioTracks().length > 0 ? stream : undefined;
  }

  async quality(): Promise<CallQuality | null> {
    const peerConnection = this.#handler()?.peerConnection;
    return peerConnection === undefined ? null : callQuality(peerConnection);
  }

  /** Ends the call's record without signalling (the phone is being torn down). */
  markFailed(): void {
    this.#endCause('failed');
  }

  #onSessionState(state: SessionState): void {
    if (state === SessionState.Established) {
      this.#update({ state: 'connected', connectedAt: Date.now() });
    } else if (state === SessionState.Terminated) {
      // sip.js ends an Inviter before it hands the final response to the invite() delegate, which
      // sets 'rejected' and the status: the fallback cause waits until that has run.
      queueMicrotask(() => {
        if (this.#data.endCause === null) {
          this.#data.endCause = this.#data.direction === 'incoming' && this.#data.connectedAt === null ? 'cancelled' : 'failed';
        }
        this.#update({ state: 'ended', endedAt: Date.now() });
      });
    }
  }

  async #onInfo(info: Info): Promise<void> {
    const digit = digitOfDtmfRelay(info.request.getHeader('content-type') ?? '', info.request.body ?? '');
    if (digit === undefined) {
      await info.reject({ statusCode: 415 });
      return;
    }
    this.#update({ receivedDtmf: this.#data.receivedDtmf + digit });
    await info.accept();
  }

  /** NOTIFY bodies are message/sipfrag status lines (RFC 3515 §2.4.5): `SIP/2.0 200 OK`. */
  async #onReferNotify(notification: Notification): Promise<void> {
    await notification.accept();
    const status = Number(/^SIP\/2\.0\s+(\d{3})/.exec(notification.request.body ?? '')?.[1] ?? 0);
    if (status >= 200 && status < 300 && this.session.state === SessionState.Established) {
      this.#endCause('transferred');
      await this.session.bye().catch(() => undefined);
    } else if (status >= 300) {
      this.#update({ transfer: 'failed' });
    }
  }

  #applyTracks(): void {
    const handler = this.#handler();
    handler?.enableSenderTracks(!this.#data.onHold && !this.#data.muted);
    handler?.enableReceiverTracks(!this.#data.onHold);
  }

  #handler(): Web.SessionDescriptionHandler | undefined {
    const handler = this.session.sessionDescriptionHandler;
    return handler instanceof Web.SessionDescriptionHandler ? handler : undefined;
  }

  #established(action: string): Session {
    if (this.session.state !== SessionState.Established) throw new Error(`${action}: the call is not connected (${this.#data.state})`);
    return this.session;
  }

  #ringingInvitation(action: string): Invitation {
    if (!(this.session instanceof Invitation) || this.session.state !== SessionState.Initial) {
      throw new Error(`${action}: no incoming call ringing (${this.#data.state})`);
    }
    return this.session;
  }

  #endCause(cause: EndCause): void {
    this.#data.endCause ??= cause;
  }

  #update(changes: Partial<CallSnapshot>): void {
    Object.assign(this.#data, changes);
    this.#onChange();
  }
}
