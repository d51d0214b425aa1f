// The IPBX's back-to-back user agent: every call is an inbound leg (the caller's dialog) and
// outbound legs (one dialog per fork, then the answering one), each with its own Call-ID, tags
// and CSeq — nothing of the caller's Call-ID or Via is forwarded. The request dispatcher hands
// it the requests it owns (`handle`); the API lists and hangs up calls (CallControl). Transfers
// are carried out here, never forwarded (as Asterisk does): REFER in a call's dialog, and INVITE
// with Replaces.

import type { AccountDirectory } from '../accounts/account.ts';
import type { GroupConfig } from '../config/config-schema.ts';
import type { IpbxEvents } from '../events/ipbx-events.ts';
import type { LocationLookup } from '../registrar/binding.ts';
import type { RequestAuthenticator } from '../registrar/request-authenticator.ts';
import type { QueueService } from '../queues/queue-service.ts';
import type { Router } from '../router/route-target.ts';
import type { CdrStore } from '../store/cdr-store.ts';
import { randomToken, type Clock, type IncomingRequest, type SipStack } from '../sip/index.ts';
import type { B2buaContext } from './b2bua-context.ts';
import { Call } from './call.ts';
import type { ActiveCall, CallControl } from './call-control.ts';
import { tearDown } from './call-teardown.ts';
import type { CallerIdentity } from './caller-identity.ts';
import { DialogTable, type DialogEntry } from './dialog-table.ts';
import { relayRtpDigit, type RtpDigit } from './dtmf-translation.ts';
import { handleInDialog } from './in-dialog.ts';
import { acceptInvite, type CallRegistry } from './inbound-invite.ts';
import type { Leg } from './leg.ts';
import type { MediaHook } from './media-hook.ts';
import { relayMessage } from './message-relay.ts';
import { handleRefer } from './refer-handler.ts';
import { respondOnce } from './sip-helpers.ts';

export interface B2buaOptions {
  stack: SipStack;
  /** The SIP domain: host of the From and To of outbound legs. */
  domain: string;
  accounts: AccountDirectory;
  location: LocationLookup;
  router: Router;
  authenticator: RequestAuthenticator;
  media: MediaHook;
  /** Prompt ids of the dialplan's announcements to WAV files (ipbx/media/prompts); default: absolute paths only. */
  promptFile?: (prompt: string) => string | undefined;
  events: IpbxEvents;
  cdrs: CdrStore;
  /** Read on every call, so a config reload applies to the next call. */
  groups: () => GroupConfig[];
  /** The call queues (dialplan `queue` and `queue-agent` actions); without them those actions fail. */
  queues?: QueueService | undefined;
  /** How long an account rings before the caller gets 480 (config `calls.noAnswerTimeout`). */
  noAnswerTimeoutMs: number;
  clock?: Clock;
  /** Calls in progress beyond which new INVITEs get 503 (default 1000). */
  maxCalls?: number;
  /** Errors inside the B2BUA (never thrown out of `handle`). Default: a process warning. */
  onError?: (err: unknown) => void;
}

export const DEFAULT_MAX_CALLS = 1000;

/** Methods answered 481 when they name a dialog the B2BUA does not know (RFC 3261 §12.2.2). */
const IN_DIALOG_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'UPDATE', 'INFO', 'MESSAGE', 'PRACK', 'REFER']);

export class B2bua implements CallControl {
  readonly #ctx: B2buaContext;
  readonly #authenticator: RequestAuthenticator;
  readonly #events: IpbxEvents;
  readonly #cdrs: CdrStore;
  readonly #calls = new Map<string, Call>();
  /** Calls by their INVITE's Call-ID, From tag and CSeq, to spot merged requests (§8.2.2.2). */
  readonly #byInvite = new Map<string, Call>();
  readonly #registry: CallRegistry;
  readonly #maxCalls: number;

  constructor(options: B2buaOptions) {
    if (!Number.isFinite(options.noAnswerTimeoutMs) || options.noAnswerTimeoutMs <= 0) {
      throw new RangeError(`noAnswerTimeoutMs must be a positive number of milliseconds, got ${String(options.noAnswerTimeoutMs)}`);
    }
    if (options.maxCalls !== undefined && (!Number.isInteger(options.maxCalls) || options.maxCalls < 1)) {
      throw new RangeError(`maxCalls must be an integer of at least 1, got ${String(options.maxCalls)}`);
    }
    const onError = options.onError ?? ((err: unknown) => process.emitWarning(err instanceof Error ? err : String(err), { code: 'B2BUA_ERROR' }));
    const report = (err: unknown) => {
      try {
        onError(err);
      } catch {
        // An error handler that throws has nowhere left to report to.
      }
    };
    this.#ctx = {
      stack: options.stack,
      domain: options.domain,
      accounts: options.accounts,
      location: options.location,
      router: options.router,
      media: options.media,
      groups: options.groups,
      queues: options.queues,
      clock: options.clock ?? options.stack.clock,
      noAnswerTimeoutMs: options.noAnswerTimeoutMs,
      dialogs: new DialogTable(),
      promptFile: options.promptFile ?? ((prompt) => (prompt.startsWith('/') ? prompt : undefined)),
      report,
    };
    this.#authenticator = options.authenticator;
    this.#events = options.events;
    this.#cdrs = options.cdrs;
    this.#maxCalls = options.maxCalls ?? DEFAULT_MAX_CALLS;
    const calls = this.#calls;
    this.#registry = {
      get size() { return calls.size; },
      maxCalls: this.#maxCalls,
      hasInvite: (callId, fromTag, seq) => this.#byInvite.has(inviteKey(callId, fromTag, seq)),
      open: (incoming, a, caller, callee) => this.#open(incoming, a, caller, callee),
    };
  }

  /**
   * Takes the requests the B2BUA owns: INVITE (new calls, re-INVITEs, INVITE with Replaces), ACK,
   * BYE, UPDATE, INFO, MESSAGE, REFER in a call, and any request inside one of its dialogs. False
   * for the others (REGISTER, OPTIONS, SUBSCRIBE, REFER outside a dialog…), which the dispatcher
   * answers. Never throws.
   */
  handle(incoming: IncomingRequest): boolean {
    try {
      return this.#dispatch(incoming);
    } catch (err) {
      this.#ctx.report(err);
      if (incoming.method !== 'ACK') {
        try {
          respondOnce(incoming, 500);
        } catch (respondErr) {
          this.#ctx.report(respondErr);
        }
      }
      return true;
    }
  }

  #dispatch(incoming: IncomingRequest): boolean {
    const request = incoming.request;
    const method = request.method;
    if (request.to.tag !== undefined) {
      const entry = this.#ctx.dialogs.find(request);
      if (entry !== undefined) {
        if (method === 'REFER') handleRefer(this.#ctx, entry, incoming);
        else handleInDialog(this.#ctx, entry, incoming);
        return true;
      }
      if (!IN_DIALOG_METHODS.has(method)) return false;
      // §12.2.2: "If the UAS wishes to reject the request because it does not wish to recreate the dialog, it MUST respond ... 481".
      if (method !== 'ACK') incoming.respond(481);
      return true;
    }
    switch (method) {
      case 'INVITE':
        acceptInvite(this.#ctx, this.#registry, this.#authenticator, incoming);
        return true;
      case 'MESSAGE':
        relayMessage(this.#ctx, this.#authenticator, incoming);
        return true;
      case 'ACK':
        // An ACK for no known dialog (a late ACK of a call already over) is dropped: ACKs get no answer.
        return true;
      case 'BYE':
      case 'CANCEL':
      case 'UPDATE':
      case 'INFO':
      case 'PRACK':
        incoming.respond(481);
        return true;
      default:
        return false;
    }
  }

  #open(incoming: IncomingRequest, a: Leg, caller: CallerIdentity, callee: string): Call {
    const call = new Call({
      id: randomToken(8),
      invite: incoming,
      a,
      caller,
      callee,
      clock: this.#ctx.clock,
      onState: (c) => this.#announce(c),
    });
    const key = inviteKey(incoming.request.callId, incoming.request.from.tag, incoming.request.cseq.seq);
    this.#calls.set(call.id, call);
    this.#byInvite.set(key, call);
    this.#ctx.dialogs.add(a, call);
    call.onEnd((end) => {
      this.#calls.delete(call.id);
      this.#byInvite.delete(key);
      // Whoever was in this call may now take a queue's call.
      this.#ctx.queues?.poke();
      try {
        tearDown(this.#ctx, { events: this.#events, cdrs: this.#cdrs }, call, end);
      } catch (err) {
        this.#ctx.report(err);
      }
    });
    this.#announce(call);
    return call;
  }

  #announce(call: Call): void {
    try {
      this.#events.emit('call', {
        type: 'call',
        callId: call.id,
        state: call.state,
        caller: call.caller.extension,
        callee: call.callee,
        cause: call.outcome?.cause,
        at: this.#ctx.clock.now(),
      });
    } catch (err) {
      this.#ctx.report(err);
    }
  }

  list(): ActiveCall[] {
    return [...this.#calls.values()].map((c) => c.toActiveCall());
  }

  /** The account is a party of a call in progress (calling, or having answered one). */
  isInCall(extension: string): boolean {
    for (const call of this.#calls.values()) {
      if (!call.ended && (call.caller.extension === extension || call.answeredBy === extension)) return true;
    }
    return false;
  }

  /** BYE on both legs of an answered call; 487 to the caller and CANCEL to the forks while ringing. */
  hangup(id: string): Promise<boolean> {
    const call = this.#calls.get(id);
    if (call === undefined) return Promise.resolve(false);
    if (call.answeredAt !== null) call.finish({ cause: 'answered', status: 200, by: 'api' });
    else call.finish({ cause: 'cancelled', status: 487, by: 'api' });
    return Promise.resolve(true);
  }

  /**
   * Ends calls whose media sessions are gone (their rtpengine restarted or stopped answering): a
   * call without media is worse than no call, so both legs get a BYE (CANCEL/503 while ringing)
   * and the CDR says media-lost.
   */
  endForLostMedia(callIds: readonly string[]): number {
    let ended = 0;
    for (const id of callIds) {
      const call = this.#calls.get(id);
      if (call === undefined) continue;
      ended++;
      call.finish(call.answeredAt !== null ? { cause: 'media-lost', status: 200, by: 'system' } : { cause: 'media-lost', status: 503, by: 'system' });
    }
    return ended;
  }

  /** A digit rtpengine saw in a call's RTP: relayed as SIP INFO when the other party wants INFO. */
  relayRtpDigit(event: RtpDigit): void {
    const call = this.#calls.get(event.callId);
    if (call !== undefined && !call.ended) relayRtpDigit(this.#ctx, call, event);
  }

  /** The call and leg an in-dialog request belongs to. */
  findDialog(incoming: IncomingRequest): DialogEntry | undefined {
    return this.#ctx.dialogs.find(incoming.request);
  }

  /** Calls in progress. */
  get size(): number {
    return this.#calls.size;
  }

  /** Ends every call (server shutdown): BYE, CANCEL or 503 as each call's state needs. */
  close(): void {
    for (const call of [...this.#calls.values()]) {
      call.finish(call.answeredAt !== null ? { cause: 'answered', status: 200, by: 'system' } : { cause: 'failed', status: 503, by: 'system' });
    }
  }
}

function inviteKey(callId: string, fromTag: string | undefined, seq: number): string {
  return `${callId}\u0000${fromTag ?? ''}\u0000${seq}`;
}
