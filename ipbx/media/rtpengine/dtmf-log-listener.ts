// Receives rtpengine's DTMF log (`--dtmf-log-dest`): one JSON datagram per RFC 4733 digit it saw
// (or injected with `play DTMF`), sent once, when the event ends. rtpengine 10.5 sends:
//
//   {"callid":"c1","source_tag":"ftag","tags":["ttag","ftag"],"type":"DTMF","timestamp":1795901107,
//    "source_ip":"127.0.0.1","event":5,"duration":120,"volume":10}
//
// `event` is the RFC 4733 event code (0-9, 10 = *, 11 = #, 12-15 = A-D), `duration` is in ms,
// `timestamp` in seconds. Several rtpengines may share one listener: call-ids tell them apart.

import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import type { MediaDtmfEvent } from '../media-control.ts';

export interface DtmfLogListenerOptions {
  /** Default 127.0.0.1. */
  address?: string;
  /** Default 0: a free port (read it from `endpoint`). */
  port?: number;
  /** Where datagrams that are not DTMF log entries are reported. */
  log?: (line: string) => void;
}

export interface DtmfLogListenerEvents {
  dtmf: [MediaDtmfEvent];
}

/** RFC 4733 §3.2 event codes 0-15 as digits. */
const DIGITS = '0123456789*#ABCD';

/** Parses one DTMF log datagram; undefined when it is not a DTMF entry voiplab understands. */
export function parseDtmfLogEntry(datagram: Buffer): MediaDtmfEvent | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(datagram.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  const fields = entry as Record<string, unknown>;
  if (fields['type'] !== undefined && fields['type'] !== 'DTMF') return undefined;
  const callId = fields['callid'];
  const sourceTag = fields['source_tag'];
  const event = toInteger(fields['event']);
  const duration = toInteger(fields['duration']);
  if (typeof callId !== 'string' || typeof sourceTag !== 'string' || event === undefined) return undefined;
  const digit = DIGITS[event];
  if (digit === undefined) return undefined; // 16 (flash) and beyond are not digits
  return { callId, sourceTag, digit, durationMs: duration ?? 0 };
}

function toInteger(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

export class DtmfLogListener extends EventEmitter<DtmfLogListenerEvents> {
  readonly #socket: Socket;
  readonly #log: (line: string) => void;
  #closed: Promise<void> | undefined;

  private constructor(socket: Socket, log: (line: string) => void) {
    super();
    this.#socket = socket;
    this.#log = log;
    socket.on('message', (datagram, from) => {
      const event = parseDtmfLogEntry(datagram);
      if (event === undefined) this.#log(`dtmf log: ignored a ${datagram.length}-byte datagram from ${from.address}:${from.port} that is not a DTMF entry`);
      else this.emit('dtmf', event);
    });
    socket.on('error', (err) => this.#log(`dtmf log: socket error: ${err.message}`));
  }

  /** Binds the listener; resolves once it can receive. */
  static listen(options: DtmfLogListenerOptions = {}): Promise<DtmfLogListener> {
    const address = options.address ?? '127.0.0.1';
    const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, address, () => {
        socket.off('error', reject);
        socket.unref(); // a listener alone does not keep the process alive
        resolve(new DtmfLogListener(socket, options.log ?? (() => {})));
      });
    });
  }

  /** Where rtpengine must send its DTMF log (`--dtmf-log-dest`). */
  get endpoint(): { address: string; port: number } {
    const { address, port } = this.#socket.address();
    return { address, port };
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => this.#socket.close(() => resolve()));
    return this.#closed;
  }
}
