// Recent calls, kept in this browser's localStorage (never sent anywhere), newest first.

import type { CallSnapshot } from '../sip/phone-types.ts';

const STORAGE_KEY = 'voiplab.softphone.history';
const KEPT = 50;

export interface HistoryEntry {
  number: string;
  name: string;
  direction: 'outgoing' | 'incoming';
  startedAt: number;
  /** Talk time, seconds; 0 when not answered. */
  durationS: number;
  answered: boolean;
}

export function readHistory(): HistoryEntry[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as HistoryEntry[]) : [];
  } catch {
    return [];
  }
}

export function recordCall(call: CallSnapshot): void {
  const entry: HistoryEntry = {
    number: call.remoteNumber, name: call.remoteName, direction: call.direction, startedAt: call.startedAt,
    answered: call.connectedAt !== null,
    durationS: call.connectedAt === null ? 0 : Math.round(((call.endedAt ?? Date.now()) - call.connectedAt) / 1000),
  };
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify([entry, ...readHistory()].slice(0, KEPT)));
  } catch {
    // Storage full or disabled: the call is just not kept.
  }
}
