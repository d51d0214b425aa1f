// What the parts of the B2BUA share: its collaborators (given to the B2bua constructor) and its
// own tables. One object, passed down, so each file states what it uses by reading from it.

import type { AccountDirectory } from '../accounts/account.ts';
import type { GroupConfig } from '../config/config-schema.ts';
import type { QueueService } from '../queues/queue-service.ts';
import type { LocationLookup } from '../registrar/binding.ts';
import type { Router } from '../router/route-target.ts';
import type { Clock, SipStack } from '../sip/index.ts';
import type { DialogTable } from './dialog-table.ts';
import type { LegIo } from './leg.ts';
import type { MediaHook } from './media-hook.ts';

export interface B2buaContext extends LegIo {
  stack: SipStack;
  domain: string;
  accounts: AccountDirectory;
  location: LocationLookup;
  router: Router;
  media: MediaHook;
  groups: () => GroupConfig[];
  /** The call queues; undefined when the IPBX runs without them (tests of other parts). */
  queues: QueueService | undefined;
  clock: Clock;
  noAnswerTimeoutMs: number;
  dialogs: DialogTable;
  /** The WAV file of a prompt id (or a path given in the dialplan); undefined when unknown. */
  promptFile(prompt: string): string | undefined;
  report(err: unknown): void;
}
