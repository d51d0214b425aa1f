// A SIP dialog (RFC 3261 §12): identified by Call-ID and the two tags, it keeps the route set,
// the remote target and both CSeq spaces, builds in-dialog requests (§12.2.1.1) and checks
// incoming ones (§12.2.2).

import type { NameAddr} from '../message/index.ts';
import {
  HeaderList, SipRequest, SipUri, formatCSeq, type SipResponse, type Uri,
} from '../message/index.ts';

export const DialogState = {
  Early: 'early',
  Confirmed: 'confirmed',
  Terminated: 'terminated',
} as const;
export type DialogState = (typeof DialogState)[keyof typeof DialogState];

const ALLOWED: Record<DialogState, readonly DialogState[]> = {
  early: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export class DialogError extends Error {
  override readonly name = 'DialogError';
  readonly code: 'DIALOG_ILLEGAL_TRANSITION' | 'DIALOG_NO_TAG' | 'DIALOG_TERMINATED';
  constructor(code: DialogError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** Key for dialog tables: the same for both ends' view once tags are swapped. */
export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** Methods that refresh the remote target (RFC 3261 §12.2; RFC 3311 UPDATE). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export type IncomingCheck = { ok: true } | { ok: false; status: 481 | 500; reason: string };

interface DialogInit {
  id: DialogId;
  state: DialogState;
  localUri: NameAddr;
  remoteUri: NameAddr;
  remoteTarget: Uri;
  routeSet: NameAddr[];
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  secure: boolean;
  localContact: NameAddr;
}

export class Dialog {
  readonly id: DialogId;
  #state: DialogState;
  /** From (UAC) or To (UAS) of the creating request, with our tag. */
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  remoteTarget: Uri;
  #routeSet: readonly NameAddr[];
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  readonly secure: boolean;
  localContact: NameAddr;

  private constructor(init: DialogInit) {
    this.id = init.id;
    this.#state = init.state;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.remoteTarget = init.remoteTarget;
    this.#routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
    this.localContact = init.localContact;
  }

  get state(): DialogState {
    return this.#state;
  }

  /** Fixed once the dialog is confirmed; an early dialog takes the 2xx's instead (§13.2.2.4). */
  get routeSet(): readonly NameAddr[] {
    return this.#routeSet;
  }

  get key(): string {
    return dialogKey(this.id);
  }

  transition(to: DialogState): void {
    if (to === this.#state) return;
    if (!ALLOWED[this.#state].includes(to)) {
      throw new DialogError('DIALOG_ILLEGAL_TRANSITION', `dialog cannot go from ${this.#state} to ${to}`);
    }
    this.#state = to;
  }

  /**
   * UAC side (§12.1.2): from the request we sent and a 101-199 or 2xx response with a To tag.
   * Route set: Record-Route of the response, reversed.
   */
  static fromUacResponse(request: SipRequest, response: SipResponse, localContact: NameAddr): Dialog {
    const localTag = request.from.tag;
    if (localTag === undefined) throw new DialogError('DIALOG_NO_TAG', 'our request has no From tag');
    // §12.1.2: an RFC 2543 peer may answer without a To tag; the remote tag is then empty.
    const remoteTag = response.to.tag ?? '';
    // §12.1.2 requires a Contact; peers that omit it still get a dialog, targeted at their AOR.
    const remoteTarget = response.contacts[0]?.uri ?? response.to.uri;
    return new Dialog({
      id: { callId: request.callId, localTag, remoteTag },
      state: response.status >= 200 ? DialogState.Confirmed : DialogState.Early,
      localUri: request.from,
      remoteUri: response.to,
      remoteTarget,
      routeSet: [...response.recordRoutes].reverse(),
      localSeq: request.cseq.seq,
      remoteSeq: undefined,
      secure: request.uri.scheme === 'sips',
      localContact,
    });
  }

  /**
   * UAS side (§12.1.1): from the request we received and the tag we put in our response.
   * Route set: Record-Route of the request, in order.
   */
  static fromUasRequest(request: SipRequest, localTag: string, localContact: NameAddr, state: DialogState = DialogState.Confirmed): Dialog {
    // §12.1.1: an RFC 2543 request may have no From tag; the remote tag is then empty.
    const remoteTag = request.from.tag ?? '';
    // §8.1.1.8 requires a Contact; requests without one (RFC 4475 §3.1.1.10) are targeted at their AOR.
    const remoteTarget = request.contacts[0]?.uri ?? request.from.uri;
    const localUri = request.to.clone();
    localUri.tag = localTag;
    return new Dialog({
      id: { callId: request.callId, localTag, remoteTag },
      state,
      localUri,
      remoteUri: request.from,
      remoteTarget,
      routeSet: request.recordRoutes,
      localSeq: undefined,
      remoteSeq: request.cseq.seq,
      secure: request.uri.scheme === 'sips',
      localContact,
    });
  }

  /**
   * Builds an in-dialog request (§12.2.1.1). CSeq: ACK and CANCEL reuse the INVITE's number, others
   * take the next one (a random start when none was used yet). The caller adds Via and a body.
   */
  createRequest(method: string, options: { cseq?: number } = {}): SipRequest {
    if (this.#state === DialogState.Terminated) throw new DialogError('DIALOG_TERMINATED', 'the dialog is terminated');
    let seq: number;
    if (options.cseq !== undefined) seq = options.cseq;
    else {
      seq = this.localSeq === undefined ? Math.floor(Math.random() * 0x7fffffff) : this.localSeq + 1;
      this.localSeq = seq;
    }
    const headers = new HeaderList();
    const { uri, routes } = this.#requestUriAndRoutes();
    for (const route of routes) headers.append('Route', route);
    headers.append('Max-Forwards', '70');
    headers.append('From', this.localUri.toString());
    headers.append('To', this.remoteUri.toString());
    headers.append('Call-ID', this.id.callId);
    headers.append('CSeq', formatCSeq({ seq, method }));
    if (TARGET_REFRESH.has(method)) headers.append('Contact', this.localContact.toString());
    return new SipRequest(method, uri, headers);
  }

  /** §12.2.1.1: loose routing puts the route set in Route; strict routing moves the first entry to the Request-URI. */
  #requestUriAndRoutes(): { uri: Uri; routes: string[] } {
    const first = this.routeSet[0];
    if (first === undefined) return { uri: this.remoteTarget, routes: [] };
    const firstUri = first.uri;
    if (firstUri instanceof SipUri && firstUri.params.has('lr')) {
      return { uri: this.remoteTarget, routes: this.routeSet.map((r) => r.toString()) };
    }
    // Strict router: its URI (without forbidden params) becomes the Request-URI, the remote target the last Route.
    const uri = firstUri instanceof SipUri ? firstUri.clone() : firstUri;
    if (uri instanceof SipUri) {
      uri.params.delete('method');
      uri.headers.clear();
    }
    const routes = this.routeSet.slice(1).map((r) => r.toString());
    routes.push(`<${this.remoteTarget.toString()}>`);
    return { uri, routes };
  }

  /**
   * Checks an in-dialog request (§12.2.2): a CSeq lower than the last one is out of order (500);
   * a target refresh updates the remote target.
   */
  receiveRequest(request: SipRequest): IncomingCheck {
    // §12.2.2: a request for a dialog that is over is answered 481, not used to revive it.
    if (this.#state === DialogState.Terminated) return { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist' };
    const seq = request.cseq.seq;
    if (request.method !== 'ACK' && request.method !== 'CANCEL') {
      if (this.remoteSeq !== undefined && seq < this.remoteSeq) {
        return { ok: false, status: 500, reason: 'CSeq out of order' };
      }
      this.remoteSeq = seq;
    }
    if (TARGET_REFRESH.has(request.method)) {
      const contact = request.contacts[0];
      if (contact !== undefined) this.remoteTarget = contact.uri;
    }
    return { ok: true };
  }

  /**
   * A 2xx to our target-refresh request updates the remote target (§12.2.1.2); a 2xx to the INVITE
   * confirms an early dialog and recomputes its route set from the 2xx's Record-Route (§13.2.2.4:
   * RFC 2543 proxies need not mirror Record-Route in a 1xx).
   */
  receiveResponse(request: SipRequest, response: SipResponse): void {
    if (response.status >= 200 && response.status < 300) {
      if (this.#state === DialogState.Early && request.method === 'INVITE') {
        this.transition(DialogState.Confirmed);
        this.#routeSet = [...response.recordRoutes].reverse();
      }
      if (TARGET_REFRESH.has(request.method)) {
        const contact = response.contacts[0];
        if (contact !== undefined) this.remoteTarget = contact.uri;
      }
    }
  }

  terminate(): void {
    this.#state = DialogState.Terminated;
  }
}
