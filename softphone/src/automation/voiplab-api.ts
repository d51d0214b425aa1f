// Installs `window.voiplab` (see voiplab-api-types.ts and docs/softphone.md): the state and
// actions of the phone for the scenario runner and the tests. Call ids default to the active call.

import type { SoftPhone } from '../sip/soft-phone.ts';
import { ToneAnalyser } from '../media/tone-analyser.ts';
import type { CallSnapshot } from '../sip/phone-types.ts';
import type { VoiplabApi } from './voiplab-api-types.ts';

const SIP_TRACE_LIMIT = 60;
const DEFAULT_LISTEN_MS = 300;

export interface AutomationHost {
  phone: SoftPhone;
  activeCall(): CallSnapshot | undefined;
  /** The call's remote audio, once a media element plays it. */
  playingRemoteAudio(callId: string): Promise<MediaStream | undefined>;
  errorMessage(): string | null;
}

export class SipTrace {
  readonly #lines: string[] = [];

  add(text: string): void {
    this.#lines.push(text);
    if (this.#lines.length > SIP_TRACE_LIMIT) this.#lines.shift();
  }

  lines(): string[] {
    return [...this.#lines];
  }
}

export function installVoiplabApi(host: AutomationHost, trace: SipTrace): VoiplabApi {
  const { phone } = host;
  const analyser = new ToneAnalyser();
  const callId = (given: string | undefined): string => {
    const id = given ?? host.activeCall()?.id;
    if (id === undefined) throw new Error('no call');
    return id;
  };
  const api: VoiplabApi = {
    apiVersion: 1,
    state: () => phone.snapshot(),
    errorMessage: () => host.errorMessage(),
    sipTrace: () => trace.lines(),
    // Without a call nothing is heard (rather than an error): callers poll until a tone comes.
    listen: async (windowMs = DEFAULT_LISTEN_MS, id) => {
      const call = id ?? host.activeCall()?.id;
      return analyser.listen(call === undefined ? undefined : await host.playingRemoteAudio(call), windowMs);
    },
    quality: (id) => phone.quality(callId(id)),
    call: (target) => phone.call(target),
    answer: (id) => phone.answer(callId(id)),
    reject: (id) => phone.reject(callId(id)),
    hangup: (id) => phone.hangup(callId(id)),
    hold: (id) => phone.hold(callId(id)),
    resume: (id) => phone.resume(callId(id)),
    sendDtmf: (digits, method = 'rfc4733', id) => phone.sendDtmf(callId(id), digits, method),
    blindTransfer: (target, id) => phone.blindTransfer(callId(id), target),
    attendedTransfer: (id, otherId) => phone.attendedTransfer(id, otherId),
  };
  Object.assign(window, { voiplab: api });
  return api;
}
