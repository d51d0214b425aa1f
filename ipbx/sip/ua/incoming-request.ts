// A request handed to the application: the message, where it came from, and `respond()`, which
// keeps one To tag across provisional and final responses and refuses a second final.

import { createResponse, randomToken, type ResponseOptions, type SipRequest, type SipResponse } from '../message/index.ts';
import type { MessageSource } from '../transport/transport-types.ts';

export class ResponseError extends Error {
  override readonly name = 'ResponseError';
  readonly code = 'SIP_FINAL_RESPONSE_SENT';
}

export interface ResponseSink {
  sendResponse(incoming: IncomingRequest, response: SipResponse): void;
}

export class IncomingRequest {
  readonly request: SipRequest;
  readonly source: MessageSource;
  /** The tag our responses put in To when the request had none (dialog-creating requests). */
  readonly toTag: string;
  #sink: ResponseSink;
  #final: SipResponse | undefined;
  #cancelled = false;
  #cancelListeners: Array<() => void> = [];

  constructor(request: SipRequest, source: MessageSource, sink: ResponseSink) {
    this.request = request;
    this.source = source;
    this.toTag = request.to.tag ?? randomToken();
    this.#sink = sink;
  }

  get method(): string {
    return this.request.method;
  }

  get finalResponse(): SipResponse | undefined {
    return this.#final;
  }

  /** Builds a response (RFC 3261 §8.2.6) and sends it through the server transaction. */
  respond(status: number, options: ResponseOptions = {}): SipResponse {
    const response = createResponse(this.request, status, { toTag: this.toTag, ...options });
    this.send(response);
    return response;
  }

  /** Sends a response built by the caller (a B2BUA relaying one). */
  send(response: SipResponse): void {
    if (this.#final !== undefined) throw new ResponseError(`a final response (${this.#final.status}) was already sent`);
    if (response.status >= 200) this.#final = response;
    this.#sink.sendResponse(this, response);
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Called once if a CANCEL for this INVITE arrives before its final response (RFC 3261 §9.2). */
  onCancel(listener: () => void): void {
    if (this.#cancelled) listener();
    else this.#cancelListeners.push(listener);
  }

  /** @internal the stack marks the request cancelled and answers 487 itself. */
  markCancelled(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    for (const l of this.#cancelListeners.splice(0)) l();
  }
}
