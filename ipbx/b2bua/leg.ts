// One side of a call: its own dialog (Call-ID, tags, CSeq spaces, remote target), the flow its
// requests go over, who is at the other end of it (`party`), and its `peer`, the leg on the other
// side. A transfer (transfer-*.ts) swaps a leg by re-pointing `peer` on both sides.

import {
  Dialog, DialogState,
  type IncomingRequest, type NameAddr, type SendTarget, type SipRequest, type SipResponse, type SipStack,
  type TransportProtocol,
} from '../sip/index.ts';
import type { CallerIdentity } from './caller-identity.ts';
import type { MediaLegInfo } from './media-hook.ts';
import { flowTarget, madeUpResponse } from './sip-helpers.ts';

export type LegRole = 'a' | 'b';

/** What a leg needs to send: the stack, and where its failures are reported. */
export interface LegIo {
  stack: SipStack;
  report(err: unknown): void;
}

export interface InDialogOptions {
  body?: Buffer | undefined;
  contentType?: string | undefined;
  headers?: ReadonlyArray<[string, string]>;
}

/** A 2xx we sent on this leg (we are its UAS) that waits for its ACK. */
export interface AwaitedAck {
  seq: number;
  /** The ACK the peer is owed for its 2xx, sent once ours comes (it carries a late answer). */
  relayTo?: { leg: Leg; seq: number } | undefined;
}

export class Leg {
  readonly role: LegRole;
  readonly dialog: Dialog;
  /**
   * The peer's flow: every request of this leg goes there (RFC 5626 §5.3), whatever the remote
   * target. It moves when the phone comes back on a new connection (flow-follow.ts).
   */
  target: SendTarget;
  readonly protocol: TransportProtocol;
  peer: Leg | undefined;
  /** The account (or unauthenticated caller) at the other end; undefined for external members. */
  party: CallerIdentity | undefined;
  awaitingAck: AwaitedAck | undefined;
  /** CSeq of a 2xx received on this leg (we are its UAC) whose ACK waits for the other side's. */
  owedAck: number | undefined;
  /** §14.2 glare: a re-INVITE we sent on this leg is in progress / one it sent us is not answered yet. */
  sendingInvite = false;
  receivingInvite = false;
  #byeAfterAck = false;
  #byeStarted = false;
  readonly #io: LegIo;

  private constructor(role: LegRole, dialog: Dialog, target: SendTarget, io: LegIo) {
    this.role = role;
    this.dialog = dialog;
    this.target = target;
    this.protocol = target.protocol;
    this.#io = io;
  }

  /** The caller's leg, early until its INVITE is answered 2xx (§12.1.1). */
  static inbound(incoming: IncomingRequest, contact: NameAddr, io: LegIo): Leg {
    const dialog = Dialog.fromUasRequest(incoming.request, incoming.toTag, contact, DialogState.Early);
    return new Leg('a', dialog, flowTarget(incoming.source), io);
  }

  /** A callee's leg, from our INVITE and its 2xx (§12.1.2). */
  static outbound(invite: SipRequest, response: SipResponse, contact: NameAddr, target: SendTarget, io: LegIo): Leg {
    const dialog = Dialog.fromUacResponse(invite, response, contact);
    dialog.receiveResponse(invite, response);
    return new Leg('b', dialog, target, io);
  }

  get tag(): string {
    return this.dialog.id.localTag;
  }

  /** Terminated, or its BYE is on the way. */
  get ended(): boolean {
    return this.#byeStarted || this.dialog.state === DialogState.Terminated;
  }

  mediaInfo(callId: string): MediaLegInfo {
    return { callId, leg: this.role, legTag: this.tag, protocol: this.protocol };
  }

  /** Sends an in-dialog request; a failure to send resolves as 503 like the stack's own (§8.1.3.1). */
  async request(method: string, options: InDialogOptions = {}): Promise<{ request: SipRequest; response: SipResponse }> {
    const request = this.dialog.createRequest(method);
    for (const [name, value] of options.headers ?? []) request.headers.append(name, value);
    if (options.body !== undefined && options.body.length > 0) {
      request.body = options.body;
      request.headers.set('Content-Type', options.contentType ?? 'application/sdp');
    }
    try {
      return { request, response: await this.#io.stack.send(request, { target: this.target }) };
    } catch (err) {
      this.#io.report(err);
      return { request, response: madeUpResponse(request, 503) };
    }
  }

  /** ACK for a 2xx this leg sent us (§13.2.2.4), outside any transaction. */
  async ack(seq: number, body?: Buffer, contentType?: string): Promise<void> {
    if (this.owedAck === seq) this.owedAck = undefined;
    if (this.dialog.state === DialogState.Terminated) return;
    const options = body === undefined || body.length === 0 ? { target: this.target } : { target: this.target, body, contentType: contentType ?? 'application/sdp' };
    try {
      await this.#io.stack.ack(this.dialog, seq, options);
    } catch (err) {
      this.#io.report(err);
    }
  }

  /** This leg's ACK for our 2xx came: a BYE held back for it can go (§15). */
  acknowledged(): void {
    this.awaitingAck = undefined;
    if (this.#byeAfterAck) {
      this.#byeAfterAck = false;
      this.bye();
    }
  }

  /**
   * Ends the dialog with a BYE, once. §15: the callee "MUST NOT send a BYE on a confirmed dialog
   * until it has received an ACK for its 2xx response or until the server transaction times out",
   * so on a leg whose ACK is awaited the BYE waits for it (or for the ACK timeout).
   */
  bye(reason?: string): void {
    if (this.ended) return;
    if (this.dialog.state === DialogState.Early) {
      this.dialog.terminate();
      return;
    }
    if (this.awaitingAck !== undefined) {
      this.#byeAfterAck = true;
      return;
    }
    this.#byeStarted = true;
    const owed = this.owedAck;
    const send = async () => {
      if (owed !== undefined) await this.ack(owed);
      const request = this.dialog.createRequest('BYE');
      if (reason !== undefined) request.headers.append('Reason', reason);
      this.dialog.terminate();
      await this.#io.stack.send(request, { target: this.target });
    };
    send().catch((err: unknown) => this.#io.report(err));
  }

  /** The peer ended this dialog (its BYE was answered), or it is given up. */
  terminate(): void {
    this.dialog.terminate();
  }
}
