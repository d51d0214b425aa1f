// The built-in desk-phone emulator on voiplab's SIP core: registers with digest credentials, places,
// answers, rejects and cancels calls, hangs up, holds and resumes (re-INVITE sendonly / sendrecv,
// RFC 3264 §8.4), sends DTMF as RFC 4733 events or SIP INFO, and exchanges G.711 audio through its
// RtpSession. Incoming calls ring (180) until a step answers or rejects them, as a person would.
// Every SIP wait is bounded by the caller's `within`.

import { Dialog, dialogKey } from '../../../ipbx/sip/dialog/index.ts';
import { SipUri, type NameAddr, type SipRequest, type SipResponse } from '../../../ipbx/sip/message/index.ts';
import { TransportLayer, type SendTarget } from '../../../ipbx/sip/transport/index.ts';
import { SipStack, isLocalResponse, type IncomingRequest } from '../../../ipbx/sip/ua/index.ts';
import { answerDirection, audioSdp, sdpAudioPort, sdpConnectionAddress, sdpDirection, type MediaDirection } from '../rtp/sdp-audio.ts';
import { withinMs } from '../within.ts';
import { CallState, EmulatedCall } from './emulated-call.ts';
import { NetworkGate } from './network-gate.ts';
import { RegistrationRefresh } from './registration-refresh.ts';
import { RtpSession } from './rtp-session.ts';
import { TracingTransport, type SipTrace } from './sip-trace.ts';

export interface DeskPhoneOptions {
  /** The scenario's name for it (alice). */
  name: string;
  user: string;
  password: string;
  displayName?: string;
  domain: string;
  protocol: 'udp' | 'tcp';
  /** The IPBX: every request goes there (an outbound proxy). */
  proxy: SendTarget;
  toneHz?: number;
  trace: SipTrace;
}

/** Bound on the BYE a transferor sends by itself after a successful transfer. */
const BYE_AFTER_TRANSFER_MS = 5000;
/** Bound on each request a closing phone sends to end its call. */
const CLOSE_MS = 1000;

export type RegistrationState = 'unregistered' | 'registered' | 'failed';

export class DeskPhone {
  readonly name: string;
  readonly options: DeskPhoneOptions;
  readonly calls: EmulatedCall[] = [];
  registration: RegistrationState = 'unregistered';
  /** The final status of the last REGISTER. */
  registrationStatus: number | undefined;
  readonly #stack: SipStack;
  readonly #contact: NameAddr;
  readonly #rtp: RtpSession;
  readonly #byDialog = new Map<string, EmulatedCall>();
  #sdpVersion = 1;
  readonly #sdpSession = Math.floor(Math.random() * 1e9);
  #gate: NetworkGate | undefined;
  /** One Call-ID for every REGISTER of this phone, CSeq rising (RFC 3261 §10.2). */
  readonly #registerCallId = `reg-${Math.random().toString(36).slice(2)}`;
  #registerCSeq = 1;
  readonly #refresh = new RegistrationRefresh({
    reregister: async (expires, ms) => {
      const response = await this.#sendRegister(expires, ms).catch(() => undefined);
      if (response === undefined || response.status < 200 || response.status >= 300) {
        this.registration = 'failed';
        return undefined;
      }
      return grantedExpires(response, this.#contact, expires);
    },
    expired: () => { if (this.registration === 'registered') this.registration = 'unregistered'; },
  });

  private constructor(options: DeskPhoneOptions, stack: SipStack, rtp: RtpSession) {
    this.name = options.name;
    this.options = options;
    this.#stack = stack;
    this.#rtp = rtp;
    this.#contact = stack.contactFor(options.protocol, options.user);
    stack.onRequest((incoming) => this.#onRequest(incoming));
  }

  static async start(options: DeskPhoneOptions): Promise<DeskPhone> {
    const layer = new TransportLayer({ listeners: [{ protocol: options.protocol, address: '127.0.0.1', port: 0 }] });
    await layer.start();
    const rtp = await RtpSession.open(options.toneHz).catch(async (err: unknown) => { await layer.close(); throw err; });
    const gate = new NetworkGate(layer);
    const stack = new SipStack({ transport: new TracingTransport(gate, options.trace, options.name), userAgent: `voiplab-desk-phone/${options.name}`, onError: () => undefined });
    const phone = new DeskPhone(options, stack, rtp);
    phone.#gate = gate;
    return phone;
  }

  /** Drops (false) or restores (true) the phone's network: SIP and RTP, both ways. */
  setNetwork(up: boolean): void {
    this.#gate?.set(up);
    this.#rtp.networkUp = up;
  }

  /** `udp 127.0.0.1:5060`: the server every request goes to, for messages. */
  get server(): string {
    const { protocol, address, port } = this.options.proxy;
    return `${protocol} ${address}:${port}`;
  }

  get aor(): string {
    return `sip:${this.options.user}@${this.options.domain}`;
  }

  get media(): RtpSession {
    return this.#rtp;
  }

  /** The phone's latest call, the one steps and expectations are about. */
  get currentCall(): EmulatedCall | undefined {
    return this.calls.at(-1);
  }

  get #credentials(): { username: string; password: string } {
    return { username: this.options.user, password: this.options.password };
  }

  get #from(): string {
    return this.options.displayName === undefined ? `<${this.aor}>` : `"${this.options.displayName}" <${this.aor}>`;
  }

  /**
   * REGISTER (expires 0 unregisters); returns the final status, the registration state follows it.
   * A registration is refreshed halfway through its expiry, or with `refresh` false forgotten once
   * expired. No answer at all (timeout, connection refused) throws, naming the server.
   */
  async register(expires: number, ms: number, refresh = true): Promise<number> {
    this.#refresh.cancel();
    const response = await this.#sendRegister(expires, ms);
    if (isLocalResponse(response)) {
      throw new Error(`${this.name}'s REGISTER got no answer from the SIP server at ${this.server}: ${response.status === 503 ? 'it could not be sent (connection refused?)' : 'timed out'}`);
    }
    if (this.registration === 'registered') this.#refresh.follow(grantedExpires(response, this.#contact, expires), refresh);
    return response.status;
  }

  async #sendRegister(expires: number, ms: number): Promise<SipResponse> {
    // +2: a digest retry takes the next CSeq; a REGISTER abandoned at its bound must not be reused.
    const cseq = this.#registerCSeq;
    this.#registerCSeq += 2;
    const request = this.#stack.createRequest('REGISTER', new SipUri({ host: this.options.domain }), {
      from: this.#from, to: `<${this.aor}>`, contact: `${this.#contact.toString()};expires=${expires}`, callId: this.#registerCallId, cseq,
    });
    const response = await withinMs(this.#stack.send(request, { target: this.options.proxy, credentials: this.#credentials }), ms, `the response of the SIP server at ${this.server} to ${this.name}'s REGISTER`);
    this.registrationStatus = response.status;
    const ok = response.status >= 200 && response.status < 300;
    this.registration = ok ? (expires === 0 ? 'unregistered' : 'registered') : 'failed';
    return response;
  }

  /** INVITE `number` through the proxy; the call's state follows its responses. */
  call(number: string): EmulatedCall {
    const call = new EmulatedCall('outgoing', number);
    this.calls.push(call);
    const invite = this.#stack.createRequest('INVITE', new SipUri({ user: number, host: this.options.domain }), {
      from: this.#from, to: `<sip:${number}@${this.options.domain}>`, contact: this.#contact,
      body: this.#sdp('sendrecv'), contentType: 'application/sdp',
    });
    call.invite = invite;
    this.#stack.send(invite, {
      target: this.options.proxy,
      credentials: this.#credentials,
      onSent: (sent) => { call.invite = sent; },
      onProvisional: (response) => {
        if (response.status !== 180 && response.status !== 183) return;
        call.timings.postDialDelayMs ??= Math.round(performance.now() - call.startedAt);
        call.transition(CallState.Ringing);
      },
    }).then((response) => this.#outgoingFinal(call, response), () => call.end('failed'));
    return call;
  }

  async #outgoingFinal(call: EmulatedCall, response: SipResponse): Promise<void> {
    const sent = call.invite;
    if (response.status < 200 || response.status >= 300 || sent === undefined) {
      call.end(this.#cancelling.has(call) ? 'cancelled' : 'rejected', response.status);
      return;
    }
    const dialog = Dialog.fromUacResponse(sent, response, this.#contact);
    dialog.receiveResponse(sent, response);
    call.dialog = dialog;
    call.status = response.status;
    this.#byDialog.set(dialog.key, call);
    await this.#stack.ack(dialog, sent.cseq.seq, { target: this.options.proxy });
    if (call.transition(CallState.Connected)) this.#startMedia(call, response.body.toString());
  }

  readonly #cancelling = new Set<EmulatedCall>();

  /** CANCEL the ringing outgoing call (RFC 3261 §9.1); it ends with 487 from the far end. */
  async cancel(ms: number): Promise<void> {
    const call = this.#expectCall('outgoing', [CallState.Calling, CallState.Ringing], 'cancel');
    if (call.invite === undefined) throw new Error(`${this.name} has no INVITE to cancel`);
    this.#cancelling.add(call);
    await withinMs(this.#stack.cancel(call.invite, this.options.proxy), ms, `the response to ${this.name}'s CANCEL`);
  }

  /** Waits for a ringing incoming call, bounded. */
  async ringingCall(ms: number): Promise<EmulatedCall> {
    const deadline = performance.now() + ms;
    for (;;) {
      const call = this.currentCall;
      if (call?.direction === 'incoming' && call.state === CallState.Ringing) return call;
      if (performance.now() > deadline) throw new Error(`no call rang at ${this.name} within ${ms} ms${call === undefined ? '' : ` (its last call is ${call.describe()})`}`);
      await pause(10);
    }
  }

  async answer(ms: number): Promise<void> {
    const call = await this.ringingCall(ms);
    const incoming = call.incoming;
    if (incoming === undefined) throw new Error('unreachable: an incoming call without its INVITE');
    const offer = incoming.request.body.toString();
    const dialog = Dialog.fromUasRequest(incoming.request, incoming.toTag, this.#contact);
    call.dialog = dialog;
    this.#byDialog.set(dialog.key, call);
    incoming.respond(200, { headers: this.#dialogHeaders(incoming.request), body: Buffer.from(this.#sdp(answerDirection(sdpDirection(offer)))), contentType: 'application/sdp' });
    call.status = 200;
    if (call.transition(CallState.Connected)) this.#startMedia(call, offer);
  }

  async reject(code: number, ms: number): Promise<void> {
    const call = await this.ringingCall(ms);
    call.incoming?.respond(code);
    call.end('rejected', code);
  }

  /** BYE the connected call. */
  async hangup(ms: number): Promise<void> {
    const call = this.#expectCall(undefined, [CallState.Connected], 'hang up');
    const response = await this.#inDialog(call, 'BYE', ms);
    call.end('local-hangup', response.status);
    this.#stopMedia();
  }

  /** Hold (sendonly) or resume (sendrecv) with a re-INVITE; the phone's microphone follows. */
  async setHold(hold: boolean, ms: number): Promise<number> {
    const call = this.#expectCall(undefined, [CallState.Connected], hold ? 'hold' : 'resume');
    const response = await this.#inDialog(call, 'INVITE', ms, this.#sdp(hold ? 'sendonly' : 'sendrecv'));
    if (response.status >= 200 && response.status < 300) {
      call.onHold = hold;
      this.#rtp.sending = !hold;
      this.#pointMedia(response.body.toString());
    }
    return response.status;
  }

  /**
   * Blind transfer (RFC 5589 §6): REFER the other party to `number`. Like a desk phone, it hangs
   * up once the final NOTIFY says the transfer worked; a failed one leaves the call with it.
   */
  async blindTransfer(number: string, ms: number): Promise<number> {
    const call = this.#expectCall(undefined, [CallState.Connected], 'transfer');
    const response = await this.#inDialog(call, 'REFER', ms, undefined, undefined, [
      ['Refer-To', `<sip:${number}@${this.options.domain}>`], ['Referred-By', `<${this.aor}>`],
    ]);
    return response.status;
  }

  /**
   * Attended transfer (RFC 5589 §7): REFER the party of the phone's earlier connected call (the
   * one on hold) to `number`, the other party of its latest call, with a Replaces naming that
   * call's dialog (RFC 3891), so the transferee takes the phone's place in it.
   */
  async attendedTransfer(number: string, ms: number): Promise<number> {
    const consultation = this.#expectCall(undefined, [CallState.Connected], 'transfer (attended)');
    const transferee = this.calls.slice(0, -1).reverse().find((c) => c.state === CallState.Connected);
    if (transferee === undefined || consultation.dialog === undefined) throw new Error(`${this.name} cannot transfer (attended): it needs an earlier connected call besides its latest one`);
    const { callId, localTag, remoteTag } = consultation.dialog.id;
    const replaces = encodeURIComponent(`${callId};to-tag=${remoteTag};from-tag=${localTag}`);
    const response = await this.#inDialog(transferee, 'REFER', ms, undefined, undefined, [
      ['Refer-To', `<sip:${number}@${this.options.domain}?Replaces=${replaces}>`], ['Referred-By', `<${this.aor}>`],
    ]);
    return response.status;
  }

  /** RFC 4733 digits in the RTP stream, or SIP INFO (application/dtmf-relay), one request per digit. */
  async sendDtmf(digits: string, via: 'rfc4733' | 'info', ms: number): Promise<void> {
    const call = this.#expectCall(undefined, [CallState.Connected], 'send DTMF');
    if (via === 'info') {
      for (const digit of digits) await this.#inDialog(call, 'INFO', ms, `Signal=${digit}\r\nDuration=100\r\n`, 'application/dtmf-relay');
      return;
    }
    this.#rtp.sendDigits(digits);
    const deadline = performance.now() + ms;
    while (this.#rtp.digitsPending) {
      if (performance.now() > deadline) throw new Error(`${this.name} could not send its digits within ${ms} ms (is media flowing?)`);
      await pause(10);
    }
  }

  /** Digits received in calls: RFC 4733 events, then SIP INFO ones. */
  receivedDigits(): string {
    return this.#rtp.receivedDigits() + this.calls.flatMap((c) => c.infoDigits).join('');
  }

  /** Ends what is still going on (BYE a connected call, CANCEL a ringing one), then closes the sockets. */
  async close(): Promise<void> {
    this.#refresh.cancel();
    const call = this.currentCall;
    // A scenario that stopped at a failure leaves calls up; the IPBX should see them end, not vanish.
    if (call?.state === CallState.Connected) await this.hangup(CLOSE_MS).catch(() => undefined);
    else if (call?.direction === 'outgoing' && call.state !== CallState.Ended) await this.cancel(CLOSE_MS).catch(() => undefined);
    else if (call?.direction === 'incoming' && call.state === CallState.Ringing) call.incoming?.respond(480);
    this.#rtp.close();
    await this.#stack.close();
  }

  #expectCall(direction: 'outgoing' | 'incoming' | undefined, states: CallState[], action: string): EmulatedCall {
    const call = this.currentCall;
    if (call === undefined || !states.includes(call.state) || (direction !== undefined && call.direction !== direction)) {
      throw new Error(`${this.name} cannot ${action}: ${call === undefined ? 'it has no call' : `its call is ${call.describe()}`}`);
    }
    return call;
  }

  async #inDialog(call: EmulatedCall, method: string, ms: number, body?: string, contentType = 'application/sdp', headers: Array<[string, string]> = []): Promise<SipResponse> {
    const dialog = call.dialog;
    if (dialog === undefined) throw new Error(`${this.name}'s call has no dialog`);
    const request = dialog.createRequest(method);
    for (const [name, value] of headers) request.headers.append(name, value);
    if (body !== undefined) {
      request.body = Buffer.from(body);
      request.headers.set('Content-Type', contentType);
    }
    const response = await withinMs(this.#stack.send(request, { target: this.options.proxy, credentials: this.#credentials }), ms, `the response to ${this.name}'s ${method}`);
    if (response.status >= 200 && response.status < 300) dialog.receiveResponse(request, response);
    if (method === 'INVITE' && response.status >= 200 && response.status < 300) await this.#stack.ack(dialog, request.cseq.seq, { target: this.options.proxy });
    return response;
  }

  #sdp(direction: MediaDirection): string {
    return audioSdp({ sessionId: this.#sdpSession, version: this.#sdpVersion++, address: this.#rtp.address, port: this.#rtp.port, direction });
  }

  #startMedia(call: EmulatedCall, remoteSdp: string): void {
    this.#pointMedia(remoteSdp);
    const connectedAt = call.connectedAt ?? performance.now();
    const audioBefore = this.#rtp.audio.length;
    this.#rtp.sending = sdpDirection(remoteSdp) !== 'sendonly' && sdpDirection(remoteSdp) !== 'inactive';
    this.#rtp.start();
    // Time to audio: the first packet after connecting (the RtpSession keeps every arrival time).
    const watch = setInterval(() => {
      const first = this.#rtp.audio[audioBefore] ?? this.#rtp.audio.find((a) => a.at >= connectedAt);
      if (first !== undefined) call.timings.timeToAudioMs = Math.max(0, Math.round(first.at - connectedAt));
      if (first !== undefined || call.state === CallState.Ended) clearInterval(watch);
    }, 20);
    watch.unref();
  }

  #pointMedia(remoteSdp: string): void {
    if (!/^m=audio /m.test(remoteSdp)) return;
    this.#rtp.remote = { address: sdpConnectionAddress(remoteSdp), port: sdpAudioPort(remoteSdp) };
  }

  #stopMedia(): void {
    this.#rtp.sending = false;
    this.#rtp.stop();
  }

  /**
   * Contact, and the INVITE's Record-Route copied as RFC 3261 §12.1.1 asks of a UAS: behind a
   * record-routing proxy (Kamailio) the caller's ACK and BYE then go through it too.
   */
  #dialogHeaders(invite: SipRequest): Array<[string, string]> {
    return [['Contact', this.#contact.toString()], ...invite.headers.getAll('Record-Route').map((v): [string, string] => ['Record-Route', v])];
  }

  #onRequest(incoming: IncomingRequest): void {
    const request = incoming.request;
    if (request.to.tag !== undefined) {
      this.#inDialogRequest(incoming);
      return;
    }
    if (request.method === 'INVITE') {
      this.#incomingInvite(incoming);
      return;
    }
    if (request.method !== 'ACK') incoming.respond(200);
  }

  #incomingInvite(incoming: IncomingRequest): void {
    const call = new EmulatedCall('incoming', incoming.request.from.uri instanceof SipUri ? incoming.request.from.uri.user ?? '' : '');
    call.incoming = incoming;
    this.calls.push(call);
    incoming.onCancel(() => call.end('cancelled', 487));
    incoming.respond(180, { headers: this.#dialogHeaders(incoming.request) });
  }

  #inDialogRequest(incoming: IncomingRequest): void {
    const request = incoming.request;
    const call = this.#byDialog.get(dialogKey({ callId: request.callId, localTag: request.to.tag ?? '', remoteTag: request.from.tag ?? '' }));
    if (call?.dialog === undefined) {
      if (request.method !== 'ACK') incoming.respond(481);
      return;
    }
    if (request.method === 'ACK') {
      // A late answer (our 2xx offered: the INVITE had no SDP) rides the ACK (RFC 3261 §13.2.1).
      if (request.body.length > 0) this.#pointMedia(request.body.toString());
      return;
    }
    const check = call.dialog.receiveRequest(request);
    if (!check.ok) {
      incoming.respond(check.status, { reason: check.reason });
      return;
    }
    switch (request.method) {
      case 'BYE':
        incoming.respond(200);
        call.end('remote-hangup');
        call.dialog.terminate();
        this.#stopMedia();
        return;
      case 'INVITE':
      case 'UPDATE':
        this.#sessionChange(incoming, request);
        return;
      case 'INFO':
        incoming.respond(200);
        call.infoDigits.push(...infoDigits(request));
        return;
      case 'NOTIFY':
        incoming.respond(200);
        this.#transferNotify(call, request);
        return;
      default:
        incoming.respond(200);
    }
  }

  /** A NOTIFY of the refer event: once the final one reports a 2xx, the transferor's part is over. */
  #transferNotify(call: EmulatedCall, request: SipRequest): void {
    const statusLine = request.body.toString('utf8').split(/\r?\n/)[0] ?? '';
    call.transferProgress.push(statusLine);
    const final = (request.headers.get('Subscription-State') ?? '').trim().toLowerCase().startsWith('terminated');
    const status = Number(/^SIP\/2\.0 (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    if (!final || !(status >= 200 && status < 300) || call.state !== CallState.Connected) return;
    this.#inDialog(call, 'BYE', BYE_AFTER_TRANSFER_MS).then(() => undefined, () => undefined).finally(() => {
      call.end('transferred');
      this.#stopMedia();
    });
  }

  /** A re-INVITE or UPDATE from the far end: follow its direction, answer with ours. */
  #sessionChange(incoming: IncomingRequest, request: SipRequest): void {
    const offer = request.body.toString();
    if (offer.length === 0) {
      incoming.respond(200, { headers: [['Contact', this.#contact.toString()]], body: Buffer.from(this.#sdp('sendrecv')), contentType: 'application/sdp' });
      return;
    }
    const direction = answerDirection(sdpDirection(offer));
    this.#pointMedia(offer);
    this.#rtp.sending = direction === 'sendrecv' || direction === 'sendonly';
    incoming.respond(200, { headers: [['Contact', this.#contact.toString()]], body: Buffer.from(this.#sdp(direction)), contentType: 'application/sdp' });
  }
}

/** The expiry the registrar granted our contact (its Contact's expires, else Expires), else what was asked. */
function grantedExpires(response: SipResponse, contact: NameAddr, asked: number): number {
  const ours = contact.uri.toString();
  for (const value of response.headers.getAll('Contact').flatMap((v) => v.split(','))) {
    const seconds = /;\s*expires\s*=\s*(\d+)/i.exec(value)?.[1];
    if (value.includes(ours) && seconds !== undefined) return Number(seconds);
  }
  const header = Number(response.headers.get('Expires'));
  return Number.isInteger(header) && header > 0 ? header : asked;
}

/** The digit of an application/dtmf-relay (`Signal=5`) or application/dtmf (`5`) INFO body. */
function infoDigits(request: SipRequest): string[] {
  const body = request.body.toString('utf8');
  const relay = /^Signal\s*=\s*([0-9*#A-Da-d])/im.exec(body);
  if (relay?.[1] !== undefined) return [relay[1].toUpperCase()];
  const plain = /^\s*([0-9*#A-Da-d])\s*$/.exec(body);
  return plain?.[1] === undefined ? [] : [plain[1].toUpperCase()];
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
