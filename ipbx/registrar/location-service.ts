// The location service (RFC 3261 §10): bindings of every account in memory for the B2BUA's
// lookups, written through to the store so they survive a restart, expired by a sweep, and
// dropped when the connection they came over closes (RFC 5626 §5.3: a binding to a WebSocket or
// TCP flow is only reachable through that flow).

import type { IpbxEvents } from '../events/ipbx-events.ts';
import type { SqliteBindingStore } from '../store/sqlite-binding-store.ts';
import { systemClock, type Clock, type TimerHandle } from '../sip/index.ts';
import type { Binding, LocationLookup } from './binding.ts';

export interface LocationServiceOptions {
  store?: SqliteBindingStore | undefined;
  events?: IpbxEvents | undefined;
  clock?: Clock | undefined;
  /** How often expired bindings are swept from memory and the store. */
  sweepIntervalMs?: number | undefined;
}

export type BindingChange = 'registered' | 'refreshed';

export class LocationService implements LocationLookup {
  readonly #byExtension = new Map<string, Binding[]>();
  readonly #store: SqliteBindingStore | undefined;
  readonly #events: IpbxEvents | undefined;
  readonly #clock: Clock;
  readonly #sweepMs: number;
  #sweepTimer: TimerHandle | undefined;

  constructor(options: LocationServiceOptions = {}) {
    this.#store = options.store;
    this.#events = options.events;
    this.#clock = options.clock ?? systemClock;
    this.#sweepMs = options.sweepIntervalMs ?? 10_000;
    const now = this.#clock.now();
    this.#store?.removeExpired(now);
    for (const b of this.#store?.loadAll() ?? []) {
      // A binding made over a connection is reachable only through it (RFC 5626 §5.3), and no
      // connection outlives the process: a clean stop already removed these (flow-closed), a crash
      // leaves them behind. Their phones register again when they see the connection gone.
      if (b.protocol !== 'udp') {
        this.#store?.remove(b.extension, b.contact);
        continue;
      }
      this.#list(b.extension, true).push(b);
    }
    this.#scheduleSweep();
  }

  /** Live bindings, best q first, then the most recently registered (RFC 3261 §16.6 ordering). */
  lookup(extension: string): Binding[] {
    const now = this.#clock.now();
    const live = (this.#byExtension.get(extension) ?? []).filter((b) => b.expiresAt > now);
    return live.sort((a, b) => b.q - a.q || b.registeredAt - a.registeredAt);
  }

  list(): Binding[] {
    const now = this.#clock.now();
    return [...this.#byExtension.values()].flat().filter((b) => b.expiresAt > now);
  }

  get size(): number {
    let n = 0;
    for (const list of this.#byExtension.values()) n += list.length;
    return n;
  }

  /** Adds or refreshes the binding of `binding.contact` for its account. */
  upsert(binding: Binding): BindingChange {
    const list = this.#list(binding.extension, true);
    const at = list.findIndex((b) => b.contact === binding.contact);
    const change: BindingChange = at === -1 ? 'registered' : 'refreshed';
    if (at === -1) list.push(binding);
    else list[at] = binding;
    this.#store?.save(binding);
    this.#emit(change, binding);
    return change;
  }

  remove(extension: string, contact: string, reason: 'unregistered' | 'expired' = 'unregistered'): void {
    const list = this.#byExtension.get(extension);
    if (list === undefined) return;
    const at = list.findIndex((b) => b.contact === contact);
    const binding = list[at];
    if (binding === undefined) return;
    list.splice(at, 1);
    if (list.length === 0) this.#byExtension.delete(extension);
    this.#store?.remove(extension, contact);
    this.#emit(reason, binding);
  }

  /** A TCP/TLS/WS connection closed: its bindings cannot be reached any more. */
  removeFlow(flowId: string): void {
    for (const binding of this.list().filter((b) => b.flowId === flowId && b.protocol !== 'udp')) {
      this.remove(binding.extension, binding.contact, 'unregistered');
    }
  }

  /** Stops the sweep and writes any queued binding changes (call before closing the database). */
  close(): void {
    this.#sweepTimer?.cancel();
    this.#sweepTimer = undefined;
    this.#store?.flush();
  }

  #list(extension: string, create: true): Binding[];
  #list(extension: string, create: boolean): Binding[] | undefined {
    let list = this.#byExtension.get(extension);
    if (list === undefined && create) {
      list = [];
      this.#byExtension.set(extension, list);
    }
    return list;
  }

  #scheduleSweep(): void {
    this.#sweepTimer = this.#clock.setTimer(this.#sweepMs, () => {
      this.sweep();
      this.#scheduleSweep();
    });
  }

  /** Removes expired bindings now (also run periodically). */
  sweep(): void {
    const now = this.#clock.now();
    for (const [extension, list] of [...this.#byExtension]) {
      for (const b of list.filter((x) => x.expiresAt <= now)) this.remove(extension, b.contact, 'expired');
    }
  }

  #emit(type: 'registered' | 'refreshed' | 'unregistered' | 'expired', b: Binding): void {
    this.#events?.emit('registration', {
      type, extension: b.extension, contact: b.contact, protocol: b.protocol,
      source: `${b.source.address}:${b.source.port}`, expiresAt: b.expiresAt, at: this.#clock.now(),
    });
  }
}
