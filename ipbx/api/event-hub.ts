// Fans the IPBX event bus out to WebSocket clients as `{ "event", "data" }` JSON messages. One
// listener on the bus whatever the number of clients; each event is serialised once. A client
// whose unsent bytes pass the limit is dropped (terminated, not closed: a close frame would queue
// behind the backlog), so a slow or stalled client never makes the IPBX buffer without bound.
// Nothing here may throw back into the emitter: the SIP path emits these events.

import type { IpbxEventMap, IpbxEvents } from '../events/ipbx-events.ts';

/** The part of a `ws` WebSocket the hub uses. */
export interface EventClient {
  readonly bufferedAmount: number;
  send(data: string): void;
  terminate(): void;
}

export interface EventHubOptions {
  maxBufferedBytes: number;
  maxClients: number;
  log: (line: string) => void;
}

type EventName = keyof IpbxEventMap;
const EVENT_NAMES: readonly EventName[] = ['registration', 'call', 'cdr', 'queue'];

export class EventHub {
  readonly #events: IpbxEvents;
  readonly #options: EventHubOptions;
  readonly #clients = new Set<EventClient>();
  readonly #listeners = new Map<EventName, (data: unknown) => void>();
  #dropped = 0;

  constructor(events: IpbxEvents, options: EventHubOptions) {
    this.#events = events;
    this.#options = options;
    for (const name of EVENT_NAMES) {
      const listener = (data: unknown): void => this.#broadcast(name, data);
      this.#listeners.set(name, listener);
      events.on(name, listener);
    }
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Clients dropped for being too slow since start. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /** False when the hub is full: the caller refuses the client. */
  add(client: EventClient): boolean {
    if (this.#clients.size >= this.#options.maxClients) return false;
    this.#clients.add(client);
    return true;
  }

  remove(client: EventClient): void {
    this.#clients.delete(client);
  }

  /** Idempotent: detaches from the bus and forgets the clients (their sockets close with the server). */
  close(): void {
    for (const [name, listener] of this.#listeners) this.#events.off(name, listener);
    this.#listeners.clear();
    this.#clients.clear();
  }

  #broadcast(event: EventName, data: unknown): void {
    if (this.#clients.size === 0) return;
    let line: string;
    try {
      line = JSON.stringify({ event, data });
    } catch (error) {
      this.#options.log(`api events: cannot serialise a ${event} event: ${String(error)}`);
      return;
    }
    const bytes = Buffer.byteLength(line);
    for (const client of this.#clients) {
      try {
        if (client.bufferedAmount + bytes > this.#options.maxBufferedBytes) {
          this.#clients.delete(client);
          this.#dropped += 1;
          this.#options.log(`api events: dropped a client with ${client.bufferedAmount} bytes unsent`);
          client.terminate();
          continue;
        }
        client.send(line);
      } catch (error) {
        this.#clients.delete(client);
        this.#options.log(`api events: send failed, client dropped: ${String(error)}`);
      }
    }
  }
}
