// The B2BUA's dialogs, both legs of every call, by dialog id (RFC 3261 §12): an in-dialog
// request is matched by its Call-ID, To tag (ours) and From tag (theirs), whichever leg it is on.

import { dialogKey, type SipRequest } from '../sip/index.ts';
import type { Call } from './call.ts';
import type { Leg } from './leg.ts';

export interface DialogEntry {
  leg: Leg;
  call: Call;
}

export class DialogTable {
  readonly #entries = new Map<string, DialogEntry>();

  add(leg: Leg, call: Call): void {
    this.#entries.set(leg.dialog.key, { leg, call });
  }

  remove(leg: Leg): void {
    if (this.#entries.get(leg.dialog.key)?.leg === leg) this.#entries.delete(leg.dialog.key);
  }

  /** The leg (and its call) an in-dialog request belongs to (§12.2.2), if any. */
  find(request: SipRequest): DialogEntry | undefined {
    return this.#entries.get(dialogKey({ callId: request.callId, localTag: request.to.tag ?? '', remoteTag: request.from.tag ?? '' }));
  }

  /** The leg (and its call) of a dialog named by its key (`dialogKey`), as a Replaces header names it. */
  findById(key: string): DialogEntry | undefined {
    return this.#entries.get(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
