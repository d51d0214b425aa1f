// The composition root of `voiplab serve`: builds the SIP transports and stack, the store, the
// registrar, the router, the B2BUA and the HTTP API from one ConfigService, and starts them.
// Everything that can change at run time (accounts, dialplan, groups) is read through the
// ConfigService on each use, so a reload never drops calls; listeners need a restart.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildApp, type ApiApp } from './api/index.ts';
import { B2bua } from './b2bua/index.ts';
import type { ConfigService } from './config/config-service.ts';
import type { VoiplabConfig } from './config/config-schema.ts';
import { IpbxEvents } from './events/ipbx-events.ts';
import { RecordingService } from './media/recording/recording-service.ts';
import { startMediaPlane, type MediaPlane } from './media/start-media-plane.ts';
import { BoundFlowKeeper } from './registrar/bound-flow-keeper.ts';
import { DigestAuthenticator } from './registrar/digest-authenticator.ts';
import { LocationService } from './registrar/location-service.ts';
import { Registrar } from './registrar/registrar.ts';
import { createRouter, type Router } from './router/index.ts';
import { AuthFailureGuard, RateLimiter } from './security/index.ts';
import {
  DigestServer, SipStack, TransportLayer, systemClock, type BoundEndpoint, type IncomingRequest, type ListenerOptions,
} from './sip/index.ts';
import { openDatabase } from './store/open-database.ts';
import { SqliteQueueStore } from './store/sqlite-queue-store.ts';
import { QueueService } from './queues/queue-service.ts';
import { queueMetrics } from './queues/queue-metrics.ts';
import { SqliteBindingStore } from './store/sqlite-binding-store.ts';
import { SqliteCdrStore } from './store/sqlite-cdr-store.ts';
import { SqliteRecordingStore } from './store/sqlite-recording-store.ts';

export interface IpbxOptions {
  config: ConfigService;
  /** Folder for the SQLite store (bindings, CDRs) and generated files; ':memory:' for tests. */
  dataDir: string;
  /** PEM certificate and key for TLS, WSS and HTTPS. */
  tls: { cert: string; key: string };
  /** Bearer token of the HTTP API. */
  adminToken: string;
  /** One line per notable event (listening addresses, bans); defaults to stderr. */
  log?: (line: string) => void;
}

export interface RunningIpbx {
  sipEndpoints: BoundEndpoint[];
  httpEndpoints: Array<{ protocol: 'http' | 'https'; address: string; port: number }>;
  events: IpbxEvents;
  close(): Promise<void>;
}

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Methods the IPBX answers; the B2BUA and registrar own the rest of the work. */
const ALLOWED_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'MESSAGE', 'UPDATE', 'REFER', 'NOTIFY'];

export async function startIpbx(options: IpbxOptions): Promise<RunningIpbx> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const configService = options.config;
  const config = (): VoiplabConfig => configService.current;
  const initial = config();
  const events = new IpbxEvents();

  const db = openDatabase(options.dataDir);
  const location = new LocationService({ store: new SqliteBindingStore(db), events });
  const cdrs = new SqliteCdrStore(db);

  const security = initial.security;
  const guard = new AuthFailureGuard({ ...security.ban, log });
  const limiter = new RateLimiter(security.rateLimit);
  const digest = new DigestServer({ realm: initial.domain, secret: randomBytes(32), algorithms: security.digestAlgorithms });

  const transport = new TransportLayer({
    listeners: initial.sip.listeners.map((l): ListenerOptions => ({
      protocol: l.protocol, address: l.address, port: l.port,
      ...(l.advertisedAddress === undefined ? {} : { advertisedAddress: l.advertisedAddress }),
      ...(l.protocol === 'tls' || l.protocol === 'wss' ? { tls: { key: options.tls.key, cert: options.tls.cert } } : {}),
    })),
    limits: { maxMessageBytes: security.limits.maxMessageBytes },
    idleTimeoutMs: security.limits.idleConnectionSeconds * 1000,
    // The first line of defence: banned or flooding sources are dropped before parsing, so they
    // get no answer at all and cost no transaction state.
    admit: (source) => !guard.isBanned(source.address) && limiter.allow(source.address),
  });
  const sipEndpoints = await transport.start();
  // RFC 5626: a binding made over a connection is only reachable through it.
  transport.on('flow-closed', (e) => location.removeFlow(e.flowId));
  // …so the idle timeout must not close a connection a binding still needs.
  const flowKeeper = new BoundFlowKeeper({
    bindings: location, transport, idleTimeoutMs: security.limits.idleConnectionSeconds * 1000, clock: systemClock,
  });
  transport.on('error', () => undefined);

  const stack = new SipStack({
    transport,
    userAgent: initial.sip.userAgent,
    policy: { allowedMethods: ALLOWED_METHODS },
    onError: (err) => log(`sip: ${err instanceof Error ? err.message : String(err)}`),
  });

  let media: MediaPlane;
  /** Made when the media plane records (embedded rtpengine with a data folder). */
  let recordings: RecordingService | undefined;
  try {
    media = await startMediaPlane({
      media: initial.media, dataDir: options.dataDir, log,
      recordings: (rawDir) => {
        recordings = new RecordingService({
          recordingDir: rawDir, dataDir: options.dataDir, store: new SqliteRecordingStore(db),
          retentionDays: initial.media.recording.retentionDays, log,
        });
        const service = recordings;
        return {
          finishCall: (c) => service.finishCall({ callId: c.callId, callerExtension: c.caller, calleeNumber: c.callee, startedAt: c.startedAt, endedAt: c.endedAt }),
        };
      },
    });
    await recordings?.start();
  } catch (err) {
    await recordings?.close();
    flowKeeper.close();
    await stack.close();
    location.close();
    db.close();
    throw err;
  }

  let router: Router = createRouter(initial.dialplan);
  const registrar = new Registrar({
    accounts: configService.accounts, location, digest, guard, policy: () => config().security.registration,
  });
  // The queues ask the B2BUA who is in a call; the B2BUA carries out the queues' calls.
  let inCall: (extension: string) => boolean = () => false;
  const queues = new QueueService({
    queues: () => config().queues,
    isBusy: (extension) => inCall(extension),
    isAccount: (extension) => configService.accounts.get(extension) !== undefined,
    isReachable: (extension) => configService.accounts.get(extension)?.enabled === true && location.lookup(extension).length > 0,
    store: new SqliteQueueStore(db), events, clock: stack.clock,
    report: (err) => log(`queues: ${err instanceof Error ? err.message : String(err)}`),
  });
  const b2bua = new B2bua({
    stack, domain: initial.domain, accounts: configService.accounts, location,
    router: { route: (number: string) => router.route(number) },
    authenticator: new DigestAuthenticator({ digest, accounts: configService.accounts, guard }),
    media: media.hook, promptFile: (prompt) => media.promptFile(prompt), events, cdrs,
    groups: () => config().groups,
    queues,
    noAnswerTimeoutMs: initial.calls.noAnswerTimeout * 1000,
  });
  inCall = (extension) => b2bua.isInCall(extension);
  // A member registering (or its registration expiring) changes who can be rung.
  const pokeQueues = () => queues.poke();
  events.on('registration', pokeQueues);
  media.onDtmf((event) => b2bua.relayRtpDigit(event));
  media.onSessionsLost((callIds, reason) => {
    const ended = b2bua.endForLostMedia(callIds);
    if (ended > 0) log(`media: ${ended} call(s) ended, their media session was lost (${reason})`);
  });
  const onChanged = (next: VoiplabConfig) => {
    try {
      router = createRouter(next.dialplan);
    } catch (err) {
      log(`config: dialplan kept as before: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  configService.on('changed', onChanged);

  stack.onRequest((incoming: IncomingRequest) => {
    switch (incoming.method) {
      case 'REGISTER':
        registrar.handle(incoming);
        return;
      case 'OPTIONS':
        // RFC 3261 §11.2: capabilities, whether or not addressed to a user.
        incoming.respond(200, { headers: [['Allow', ALLOWED_METHODS.join(', ')], ['Accept', 'application/sdp'], ['Supported', 'outbound, path']] });
        return;
      default:
        if (!b2bua.handle(incoming) && incoming.method !== 'ACK') incoming.respond(incoming.method === 'NOTIFY' ? 481 : 405);
    }
  });

  const perTransport = (pick: (c: { received: number; sent: number; parseErrors: number }) => number) =>
    Object.fromEntries(Object.entries(transport.stats).map(([protocol, c]) => [`transport=${protocol}`, pick(c)]));
  const metrics = () => ({
    registrations: location.size,
    calls_active: b2bua.list().length,
    ...queueMetrics(queues.snapshot()),
    bans_active: guard.bans().length,
    sip_messages_received_total: perTransport((c) => c.received),
    sip_messages_sent_total: perTransport((c) => c.sent),
    sip_parse_errors_total: perTransport((c) => c.parseErrors),
  });
  const apps: ApiApp[] = [];
  const httpEndpoints: RunningIpbx['httpEndpoints'] = [];
  try {
    for (const l of initial.http.listeners) {
      const app = buildApp({
        config: configService, registrations: location, calls: b2bua, cdrs, events, queues, adminToken: options.adminToken,
        metrics, version: VERSION, corsOrigins: initial.http.corsOrigins, log, sipListeners: () => sipEndpoints,
        ...(recordings === undefined ? {} : { recordings }),
        ...(l.protocol === 'https' ? { https: { key: options.tls.key, cert: options.tls.cert } } : {}),
      });
      apps.push(app);
      await app.listen({ host: l.address, port: l.port });
      const address = app.server.address();
      httpEndpoints.push({ protocol: l.protocol, address: l.address, port: typeof address === 'object' && address !== null ? address.port : l.port });
    }
  } catch (err) {
    flowKeeper.close();
    await Promise.all(apps.map((a) => a.close()));
    b2bua.close();
    queues.close();
    await media.close();
    await recordings?.close();
    await stack.close();
    location.close();
    db.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    sipEndpoints,
    httpEndpoints,
    events,
    close: () => {
      closing ??= (async () => {
        configService.off('changed', onChanged);
        events.off('registration', pokeQueues);
        queues.close();
        flowKeeper.close();
        await Promise.all(apps.map((a) => a.close()));
        b2bua.close();
        // The BYEs of the calls just ended go out before rtpengine's sessions are torn down.
        await stack.close();
        await media.close();
        await recordings?.close();
        location.close();
        db.close();
      })();
      return closing;
    },
  };
}
