// What the HTTP API needs from the IPBX: the contracts it reads and drives, and its own options.

import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { CallControl } from '../b2bua/call-control.ts';
import type { ConfigService } from '../config/config-service.ts';
import type { IpbxEvents } from '../events/ipbx-events.ts';
import type { QueueService } from '../queues/queue-service.ts';
import type { RecordingArchive } from '../media/recording/recording-archive.ts';
import type { Binding } from '../registrar/binding.ts';
import type { CdrStore } from '../store/cdr-store.ts';

/** Counters and gauges by name; a nested record holds labelled series (see metrics-text.ts). */
export type MetricValues = Record<string, number | Record<string, number>>;

export interface ApiDeps {
  config: ConfigService;
  registrations: { list(): Binding[] };
  calls: CallControl;
  cdrs: CdrStore;
  /** Call recordings (media mode rtpengine); without it the /recordings routes are not served. */
  recordings?: RecordingArchive | undefined;
  events: IpbxEvents;
  /** The call queues' live state and agent operations; without it the /queues routes are not served. */
  queues?: QueueService | undefined;
  /** Bearer token for /api/v1/* and /metrics; at least 16 characters (as in the config schema). */
  adminToken: string;
  metrics: () => MetricValues;
  version: string;
  /** Origins allowed to call the API from a browser (`https://host:port`, or `*`); none by default. */
  corsOrigins?: string[] | undefined;
  /** PEM key and certificate: the app then serves HTTPS (one app per protocol; build two for both). */
  https?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** Where unexpected failures are reported (the client only gets IPBX_API_INTERNAL); stderr by default. */
  log?: ((line: string) => void) | undefined;
  limits?: ApiLimits | undefined;
  /**
   * The SIP listeners as bound (real ports when the config says 0), for the softphone's
   * /phone/config.json; the configured listeners are used without it.
   */
  sipListeners?: (() => Array<{ protocol: string; address: string; port: number }>) | undefined;
}

export interface ApiLimits {
  /** Largest request body, bytes (default 1 MiB). */
  bodyBytes?: number | undefined;
  /** Bytes an events client may have unsent before it is dropped (default 1 MiB). */
  eventBufferBytes?: number | undefined;
  /** Concurrent events WebSocket clients (default 100); more are refused with close code 1013. */
  eventClients?: number | undefined;
}

/** The fastify instance the API builds (HTTP or HTTPS alike at this level), typed by its TypeBox schemas. */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;
