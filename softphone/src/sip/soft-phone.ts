// The SIP adapter the UI uses: sipjs-phone.ts implements it with sip.js, and nothing else in the
// app imports sip.js, so moving to another library (JsSIP) touches one file.

import type { CallQuality, DtmfMethod, PhoneSnapshot, SignInOptions } from './phone-types.ts';

export interface SoftPhone {
  signIn(options: SignInOptions): Promise<void>;
  signOut(): Promise<void>;
  /** Places a call to a number (at the signed-in domain) or a full sip: URI; returns the call id. */
  call(target: string): Promise<string>;
  /** Answers; any other connected call goes on hold first (call waiting). */
  answer(callId: string): Promise<void>;
  reject(callId: string): Promise<void>;
  /** BYE, CANCEL or 486, whichever the call's state needs. */
  hangup(callId: string): Promise<void>;
  hold(callId: string): Promise<void>;
  resume(callId: string): Promise<void>;
  /** Holds every other connected call, then resumes this one. */
  swapTo(callId: string): Promise<void>;
  setMuted(callId: string, muted: boolean): void;
  sendDtmf(callId: string, digits: string, method: DtmfMethod): Promise<void>;
  /** REFER to a number or URI (blind transfer). */
  blindTransfer(callId: string, target: string): Promise<void>;
  /** REFER with Replaces: connects the party of `callId` to the party of `otherCallId`. */
  attendedTransfer(callId: string, otherCallId: string): Promise<void>;
  snapshot(): PhoneSnapshot;
  /** Called after every change of state; returns the unsubscribe function. */
  subscribe(listener: (snapshot: PhoneSnapshot) => void): () => void;
  /** The remote audio of a call, for playing and analysing; undefined before media. */
  remoteStream(callId: string): MediaStream | undefined;
  quality(callId: string): Promise<CallQuality | null>;
  clearError(): void;
}
