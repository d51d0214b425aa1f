// A small SIP phone for B2BUA tests, on the voiplab stack over real sockets (UDP or TCP on
// 127.0.0.1, port 0): registers, places calls (INVITE with SDP, ACK, CANCEL, BYE), answers,
// rejects or lets incoming calls ring as told, sends re-INVITE/UPDATE/INFO/MESSAGE in a call,
// transfers (REFER, RFC 3515, with Replaces for an attended transfer, RFC 5589 §7) and reads the
// NOTIFYs that report on it, and records everything it receives (the tap sees CANCELs, which the
// stack answers itself). Every wait is bounded.

import { Dialog, dialogKey } from '../../ipbx/sip/dialog/index.ts';
import { SipUri, type NameAddr, type SipRequest, type SipResponse } from '../../ipbx/sip/message/index.ts';
import { TransportLayer, type SendTarget } from '../../ipbx/sip/transport/index.ts';
import { SipStack, type IncomingRequest } from '../../ipbx/sip/ua/index.ts';
import { TapTransport, WAIT_MS, within } from './stack-pair.ts';

export type PhoneProtocol = 'udp' | 'tcp';

/** What the phone does with a new incoming INVITE. */
export type IncomingBehaviour =
  | { kind: 'answer' } // 180, then 200 with SDP
  | { kind: 'ring' } // 180 only; the test answers or rejects later
  | { kind: 'reject'; status: number } // 180, then this final
  | { kind: 'trying' }; // nothing but the stack's own 100 Trying

export interface PhoneOptions {
  user: string;
  displayName?: string;
  domain?: string;
  protocol?: PhoneProtocol;
  /** The IPBX: every request of the phone goes there (an outbound proxy). */
  proxy: SendTarget;
  incoming?: IncomingBehaviour;
  /** Digest credentials for INVITE and MESSAGE. */
  credentials?: { username: string; password: string };
  /** Advertise this port in Contact instead of the real one: only the registration flow reaches the phone. */
  contactPort?: number;
  /** The RTP port in its SDP (an RtpEndpoint's, when the test listens to the media); a made-up one by default. */
  rtpPort?: number;
}

export const DEFAULT_DOMAIN = 'voiplab.test';

/** Resolves once `condition` holds, checked every few milliseconds; rejects after `ms`. */
export function eventually(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<void>((resolve) => {
    const check = () => {
      if (condition()) resolve();
      else timer = setTimeout(check, 5);
    };
    check();
  });
  return within(reached, what, ms).finally(() => clearTimeout(timer));
}

/** An audio SDP for a phone, on an RTP port of its own. */
export function phoneSdp(user: string, port: number, direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' = 'sendrecv'): string {
  return [
    'v=0', `o=${user} 1 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', `a=${direction}`, '',
  ].join('\r\n');
}

/** RFC 3264 §6.1: the answer's direction mirrors the offer's. */
function answerDirection(offer: string): 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' {
  if (/^a=sendonly$/m.test(offer)) return 'recvonly';
  if (/^a=recvonly$/m.test(offer)) return 'sendonly';
  if (/^a=inactive$/m.test(offer)) return 'inactive';
  return 'sendrecv';
}

let nextRtpPort = 40_000;

/** A NOTIFY of the refer event package as the transferor sees it (RFC 3515 §2.4.5). */
export interface ReferNotify {
  /** The status code of the message/sipfrag body's status line. */
  status: number;
  statusLine: string;
  event: string | undefined;
  subscriptionState: string | undefined;
  request: SipRequest;
}

function readReferNotify(request: SipRequest): ReferNotify {
  const statusLine = request.body.toString('utf8').split(/\r?\n/)[0] ?? '';
  const status = Number(/^SIP\/2\.0 (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  return { status, statusLine, event: request.headers.get('Event'), subscriptionState: request.headers.get('Subscription-State'), request };
}

/** `value` escaped for a SIP URI header (RFC 3261 §19.1.1): `;` `=` `@` and the rest as %HH. */
export function escapeUriHeader(value: string): string {
  return encodeURIComponent(value);
}

/** A call with a dialog, on either side: in-dialog requests go to the proxy. */
export class PhoneSession {
  readonly phone: SipPhone;
  readonly dialog: Dialog;
  /** In-dialog requests received (ACK, BYE, re-INVITE, UPDATE, INFO, MESSAGE…). */
  readonly received: SipRequest[] = [];
  remoteSdp: string;
  ended = false;

  constructor(phone: SipPhone, dialog: Dialog, remoteSdp: string) {
    this.phone = phone;
    this.dialog = dialog;
    this.remoteSdp = remoteSdp;
  }

  receivedOf(method: string): SipRequest[] {
    return this.received.filter((r) => r.method === method);
  }

  /** NOTIFYs of the refer event received in this dialog, in order. */
  referNotifies(): ReferNotify[] {
    return this.receivedOf('NOTIFY').map(readReferNotify);
  }

  /** Waits until `n` refer NOTIFYs came (bounded). */
  async referNotified(n: number): Promise<ReferNotify[]> {
    await eventually(() => this.receivedOf('NOTIFY').length >= n, `${n} NOTIFY(s) at ${this.phone.user}`);
    return this.referNotifies();
  }

  /**
   * RFC 3891 §6.1 Replaces for this dialog as the IPBX (the other end) matches it: its tag is the
   * to-tag, ours the from-tag (§3: "the to-tag parameter is compared to the local tag").
   */
  replaces(): string {
    const { callId, localTag, remoteTag } = this.dialog.id;
    return `${callId};to-tag=${remoteTag};from-tag=${localTag}`;
  }

  /** REFER in this dialog (RFC 3515) with this Refer-To and a Referred-By naming this phone (RFC 3892). */
  refer(referTo: string, headers: Array<[string, string]> = []): Promise<SipResponse> {
    return this.request('REFER', undefined, 'application/sdp', [['Refer-To', referTo], ['Referred-By', `<${this.phone.aor}>`], ...headers]);
  }

  /** Blind transfer of the other party to `number` (RFC 5589 §6). */
  blindTransfer(number: string, headers: Array<[string, string]> = []): Promise<SipResponse> {
    return this.refer(`<sip:${number}@${this.phone.domain}>`, headers);
  }

  /** Attended transfer (RFC 5589 §7): the other party of this call to the other party of `consultation`. */
  attendedTransfer(number: string, consultation: PhoneSession): Promise<SipResponse> {
    return this.refer(`<sip:${number}@${this.phone.domain}?Replaces=${escapeUriHeader(consultation.replaces())}>`);
  }

  async request(method: string, body?: string, contentType = 'application/sdp', headers: Array<[string, string]> = []): Promise<SipResponse> {
    const request = this.dialog.createRequest(method);
    for (const [name, value] of headers) request.headers.append(name, value);
    if (body !== undefined) {
      request.body = Buffer.from(body);
      request.headers.set('Content-Type', contentType);
    }
    const response = await within(this.phone.stack.send(request, { target: this.phone.proxy }), `the response to ${method} from ${this.phone.user}`);
    if (response.status >= 200 && response.status < 300) this.dialog.receiveResponse(request, response);
    if (method === 'INVITE' && response.status >= 200 && response.status < 300) {
      await this.phone.stack.ack(this.dialog, request.cseq.seq, { target: this.phone.proxy });
    }
    if (method === 'BYE') this.ended = true;
    return response;
  }

  bye(): Promise<SipResponse> {
    return this.request('BYE');
  }

  /** A re-INVITE with a new offer (hold: `sendonly`, resume: `sendrecv`); ACKed when answered 2xx. */
  reinvite(direction: 'sendrecv' | 'sendonly' | 'inactive'): Promise<SipResponse> {
    return this.request('INVITE', phoneSdp(this.phone.user, this.phone.rtpPort, direction));
  }

  update(direction: 'sendrecv' | 'sendonly' | 'inactive'): Promise<SipResponse> {
    return this.request('UPDATE', phoneSdp(this.phone.user, this.phone.rtpPort, direction));
  }

  /** DTMF the SIP INFO way (application/dtmf-relay). */
  info(signal: string): Promise<SipResponse> {
    return this.request('INFO', `Signal=${signal}\r\nDuration=160\r\n`, 'application/dtmf-relay');
  }
}

/** An INVITE the phone received. */
export class IncomingCall {
  readonly phone: SipPhone;
  readonly incoming: IncomingRequest;
  session: PhoneSession | undefined;

  constructor(phone: SipPhone, incoming: IncomingRequest) {
    this.phone = phone;
    this.incoming = incoming;
  }

  get request(): SipRequest {
    return this.incoming.request;
  }

  get cancelled(): boolean {
    return this.incoming.cancelled;
  }

  ring(): void {
    if (this.incoming.finalResponse === undefined) this.incoming.respond(180, { headers: [['Contact', this.phone.contact.toString()]] });
  }

  /** 183 Session Progress with SDP: early media (RFC 3960). */
  progress(): void {
    if (this.incoming.finalResponse !== undefined) return;
    this.incoming.respond(183, {
      headers: [['Contact', this.phone.contact.toString()]],
      body: Buffer.from(phoneSdp(this.phone.user, this.phone.rtpPort, answerDirection(this.request.body.toString()))),
      contentType: 'application/sdp',
    });
  }

  answer(): PhoneSession {
    const dialog = Dialog.fromUasRequest(this.request, this.incoming.toTag, this.phone.contact);
    const offer = this.request.body.toString();
    const session = new PhoneSession(this.phone, dialog, offer);
    this.phone.sessions.set(dialog.key, session);
    this.session = session;
    this.incoming.respond(200, {
      headers: [['Contact', this.phone.contact.toString()]],
      body: Buffer.from(phoneSdp(this.phone.user, this.phone.rtpPort, answerDirection(offer))),
      contentType: 'application/sdp',
    });
    return session;
  }

  reject(status: number): void {
    this.incoming.respond(status);
  }
}

/** A call the phone placed. */
export class OutgoingCall {
  readonly phone: SipPhone;
  /** The INVITE as last sent (after a digest retry, the second one). */
  invite: SipRequest;
  readonly provisional: SipResponse[] = [];
  readonly final: Promise<SipResponse>;
  session: PhoneSession | undefined;

  constructor(phone: SipPhone, invite: SipRequest, credentials: PhoneOptions['credentials'], ack: boolean) {
    this.phone = phone;
    this.invite = invite;
    this.final = phone.stack.send(invite, {
      target: phone.proxy,
      ...(credentials === undefined ? {} : { credentials }),
      onSent: (sent) => { this.invite = sent; },
      onProvisional: (r) => { this.provisional.push(r); },
    }).then(async (response) => {
      if (response.status >= 200 && response.status < 300) {
        const dialog = Dialog.fromUacResponse(this.invite, response, phone.contact);
        dialog.receiveResponse(this.invite, response);
        const session = new PhoneSession(phone, dialog, response.body.toString());
        phone.sessions.set(dialog.key, session);
        this.session = session;
        if (!ack) return response;
        // A late offer (no SDP in the INVITE): the 2xx offers, the ACK answers (RFC 3261 §13.2.1).
        const answer = this.invite.body.length === 0 && response.body.length > 0
          ? Buffer.from(phoneSdp(phone.user, phone.rtpPort, answerDirection(response.body.toString())))
          : undefined;
        await phone.stack.ack(dialog, this.invite.cseq.seq, { target: phone.proxy, ...(answer === undefined ? {} : { body: answer }) });
      }
      return response;
    });
    // Tests that never look at the outcome must not turn a closed stack into an unhandled rejection.
    this.final.catch(() => undefined);
  }

  statuses(): number[] {
    return this.provisional.map((r) => r.status);
  }

  /** The final response, bounded. */
  result(what = `the final response to ${this.phone.user}'s INVITE`, ms = WAIT_MS): Promise<SipResponse> {
    return within(this.final, what, ms);
  }

  /** The answered call's session; fails with the status otherwise. */
  async established(): Promise<PhoneSession> {
    const response = await this.result();
    if (this.session === undefined) throw new Error(`${this.phone.user}'s call ended with ${response.status} ${response.reason}`);
    return this.session;
  }

  /** Waits until a provisional of this status came. */
  ringing(status = 180): Promise<void> {
    return eventually(() => this.provisional.some((r) => r.status === status), `a ${status} for ${this.phone.user}'s call`);
  }

  cancel(): Promise<SipResponse> {
    return within(this.phone.stack.cancel(this.invite, this.phone.proxy), `the response to ${this.phone.user}'s CANCEL`);
  }
}

export class SipPhone {
  readonly user: string;
  readonly displayName: string | undefined;
  readonly domain: string;
  readonly protocol: PhoneProtocol;
  readonly proxy: SendTarget;
  readonly stack: SipStack;
  readonly tap: TapTransport;
  readonly contact: NameAddr;
  readonly rtpPort: number;
  incomingBehaviour: IncomingBehaviour;
  /** Status for re-INVITE and UPDATE (491 to play glare); 2xx answer with SDP. */
  sessionChangeStatus = 200;
  /** After a transfer it asked for, hang up once told it worked (the final NOTIFY with a 2xx), as desk phones do. */
  byeAfterTransfer = false;
  messageStatus = 200;
  readonly calls: IncomingCall[] = [];
  readonly sessions = new Map<string, PhoneSession>();
  /** Out-of-dialog MESSAGEs received. */
  readonly messages: SipRequest[] = [];
  /** Every request the application saw (CANCEL excepted: see `tap`). */
  readonly requests: SipRequest[] = [];
  readonly #credentials: PhoneOptions['credentials'];

  private constructor(options: PhoneOptions, stack: SipStack, tap: TapTransport) {
    this.user = options.user;
    this.displayName = options.displayName;
    this.domain = options.domain ?? DEFAULT_DOMAIN;
    this.protocol = options.protocol ?? 'udp';
    this.proxy = options.proxy;
    this.stack = stack;
    this.tap = tap;
    this.incomingBehaviour = options.incoming ?? { kind: 'answer' };
    this.#credentials = options.credentials;
    const contact = stack.contactFor(this.protocol, this.user);
    if (options.contactPort !== undefined && contact.uri instanceof SipUri) contact.uri.port = options.contactPort;
    this.contact = contact;
    this.rtpPort = options.rtpPort ?? nextRtpPort;
    if (options.rtpPort === undefined) nextRtpPort += 2;
    stack.onRequest((req) => this.#onRequest(req));
  }

  static async start(options: PhoneOptions): Promise<SipPhone> {
    const protocol = options.protocol ?? 'udp';
    const layer = new TransportLayer({ listeners: [{ protocol, address: '127.0.0.1', port: 0 }] });
    await layer.start();
    const tap = new TapTransport(layer);
    const stack = new SipStack({ transport: tap, userAgent: `voiplab-phone-${options.user}`, onError: () => undefined });
    return new SipPhone(options, stack, tap);
  }

  get aor(): string {
    return `sip:${this.user}@${this.domain}`;
  }

  get fromHeader(): string {
    return this.displayName === undefined ? `<${this.aor}>` : `"${this.displayName}" <${this.aor}>`;
  }

  /** REGISTER to the proxy, answering a digest challenge with the phone's credentials when it has some. */
  async register(expires = 3600): Promise<SipResponse> {
    const request = this.stack.createRequest('REGISTER', new SipUri({ host: this.domain }), {
      from: this.fromHeader, to: `<${this.aor}>`, contact: `${this.contact.toString()};expires=${expires}`,
    });
    const credentials = this.#credentials === undefined ? {} : { credentials: this.#credentials };
    return within(this.stack.send(request, { target: this.proxy, ...credentials }), `the response to ${this.user}'s REGISTER`);
  }

  /** INVITE `number` through the proxy; `sdp: null` sends no offer (late offer); `ack: false` never acknowledges the 2xx. */
  call(number: string, options: { sdp?: string | null; ack?: boolean; headers?: Array<[string, string]> } = {}): OutgoingCall {
    const sdp = options.sdp === undefined ? phoneSdp(this.user, this.rtpPort) : options.sdp;
    const invite = this.stack.createRequest('INVITE', new SipUri({ user: number, host: this.domain }), {
      from: this.fromHeader,
      to: `<sip:${number}@${this.domain}>`,
      contact: this.contact,
      ...(sdp === null ? {} : { body: sdp, contentType: 'application/sdp' }),
    });
    // Each header given replaces the INVITE's own (Max-Forwards); a name given twice is sent twice.
    const extra = new Map<string, string[]>();
    for (const [name, value] of options.headers ?? []) extra.set(name, [...(extra.get(name) ?? []), value]);
    for (const [name, values] of extra) invite.headers.set(name, values);
    return new OutgoingCall(this, invite, this.#credentials, options.ack ?? true);
  }

  /** A MESSAGE outside any dialog (RFC 3428). */
  message(number: string, text: string): Promise<SipResponse> {
    const request = this.stack.createRequest('MESSAGE', new SipUri({ user: number, host: this.domain }), {
      from: this.fromHeader, to: `<sip:${number}@${this.domain}>`, body: text, contentType: 'text/plain',
    });
    return within(this.stack.send(request, { target: this.proxy, ...(this.#credentials === undefined ? {} : { credentials: this.#credentials }) }), `the response to ${this.user}'s MESSAGE`);
  }

  /** The next incoming call not yet taken, waiting for it (bounded). */
  async nextCall(index = 0): Promise<IncomingCall> {
    await eventually(() => this.calls.length > index, `an INVITE at ${this.user}`);
    const call = this.calls[index];
    if (call === undefined) throw new Error('unreachable');
    return call;
  }

  /** CANCELs this phone received (answered by its stack: the application never sees them). */
  cancels(): SipRequest[] {
    return this.tap.receivedRequests('CANCEL');
  }

  close(): Promise<void> {
    return this.stack.close();
  }

  #onRequest(req: IncomingRequest): void {
    const request = req.request;
    this.requests.push(request);
    if (request.to.tag !== undefined) {
      this.#inDialog(req);
      return;
    }
    switch (request.method) {
      case 'INVITE':
        this.#incomingInvite(req);
        return;
      case 'MESSAGE':
        this.messages.push(request);
        req.respond(this.messageStatus);
        return;
      case 'ACK':
        return;
      default:
        req.respond(200);
    }
  }

  #incomingInvite(req: IncomingRequest): void {
    const call = new IncomingCall(this, req);
    this.calls.push(call);
    const behaviour = this.incomingBehaviour;
    if (behaviour.kind === 'trying') return;
    call.ring();
    if (behaviour.kind === 'answer') call.answer();
    else if (behaviour.kind === 'reject') call.reject(behaviour.status);
  }

  #inDialog(req: IncomingRequest): void {
    const request = req.request;
    const session = this.sessions.get(dialogKey({ callId: request.callId, localTag: request.to.tag ?? '', remoteTag: request.from.tag ?? '' }));
    if (session === undefined) {
      if (request.method !== 'ACK') req.respond(481);
      return;
    }
    session.received.push(request);
    if (request.method === 'ACK') {
      // A late answer (to the 2xx that offered) rides the ACK (RFC 3261 §13.2.1).
      if (request.body.length > 0) session.remoteSdp = request.body.toString();
      return;
    }
    const check = session.dialog.receiveRequest(request);
    if (!check.ok) {
      req.respond(check.status, { reason: check.reason });
      return;
    }
    switch (request.method) {
      case 'BYE':
        req.respond(200);
        session.ended = true;
        session.dialog.terminate();
        return;
      case 'INVITE':
      case 'UPDATE': {
        if (this.sessionChangeStatus >= 300) {
          req.respond(this.sessionChangeStatus);
          return;
        }
        const offer = request.body.toString();
        session.remoteSdp = offer;
        req.respond(this.sessionChangeStatus, {
          headers: [['Contact', this.contact.toString()]],
          body: Buffer.from(phoneSdp(this.user, this.rtpPort, answerDirection(offer))),
          contentType: 'application/sdp',
        });
        return;
      }
      case 'NOTIFY': {
        req.respond(200);
        const notify = readReferNotify(request);
        const final = notify.subscriptionState?.trim().toLowerCase().startsWith('terminated') ?? false;
        if (this.byeAfterTransfer && final && notify.status >= 200 && notify.status < 300 && !session.ended) {
          session.bye().catch(() => undefined);
        }
        return;
      }
      default:
        req.respond(200);
    }
  }
}
