// /queues: the call queues' settings (read and replaced as a whole, like /groups), their live
// state (waiting callers, members, today's figures: what the wallboard shows), agent log in, log
// out and pause (what the feature codes do from a phone), and the queue log.

import { Type } from '@sinclair/typebox';
import { AccountSchema, QueueSchema } from '../../config/config-schema.ts';
import { QueueError } from '../../queues/queue-errors.ts';
import { QUEUE_LOG_EVENTS } from '../../queues/queue-log.ts';
import { MEMBER_STATUSES } from '../../queues/queue-member.ts';
import type { AgentChange, QueueService } from '../../queues/queue-service.ts';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { ApiError } from '../api-errors.ts';
import { ErrorSchema } from '../error-schema.ts';
import { parseInstant } from './cdrs.ts';

const QueuesSchema = Type.Object({ queues: Type.Array(QueueSchema, { maxItems: 1000 }) }, { additionalProperties: false });
const Extension = AccountSchema.properties.extension;
const QueueName = QueueSchema.properties.name;

const FiguresSchema = Type.Object({
  entered: Type.Integer(),
  answered: Type.Integer(),
  abandoned: Type.Integer(),
  overflowed: Type.Integer({ description: 'sent on by maxWait, maxCallers or an empty queue' }),
  answeredWithinServiceLevel: Type.Integer(),
  averageWaitSeconds: Type.Number(),
  longestWaitSeconds: Type.Number(),
  averageTalkSeconds: Type.Number(),
  serviceLevelPercent: Type.Union([Type.Number(), Type.Null()], { description: 'answered within serviceLevel seconds / (answered + abandoned); null before either' }),
  holdtimeSeconds: Type.Number({ description: 'exponential average of answered waits (the estimated wait)' }),
});

const QueueStatusSchema = Type.Object({
  name: Type.String(),
  strategy: Type.String(),
  waiting: Type.Array(Type.Object({
    callId: Type.String(), caller: Type.String(), callerName: Type.String(), position: Type.Integer(),
    priority: Type.Integer(), waitSeconds: Type.Integer(), ringing: Type.Boolean(),
  })),
  members: Type.Array(Type.Object({
    extension: Type.String(),
    dynamic: Type.Boolean({ description: 'a logged-in agent (false: a static member)' }),
    status: Type.Union(MEMBER_STATUSES.map((s) => Type.Literal(s))),
    pauseReason: Type.String(),
    answered: Type.Integer(), missed: Type.Integer(), talkSeconds: Type.Number(),
    lastCallEndedAt: Type.Union([Type.Integer(), Type.Null()]),
  })),
  today: FiguresSchema,
  estimatedWaitSeconds: Type.Union([Type.Number(), Type.Null()]),
});

const LogEntrySchema = Type.Object({
  at: Type.Integer({ description: 'Epoch ms' }),
  queue: Type.String(),
  event: Type.Union(QUEUE_LOG_EVENTS.map((e) => Type.Literal(e))),
  callId: Type.Union([Type.String(), Type.Null()]),
  agent: Type.Union([Type.String(), Type.Null()]),
  data: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
});

const ChangesSchema = Type.Object({
  changes: Type.Array(Type.Object({ queue: Type.String(), result: Type.String({ description: 'logged-in | logged-out | paused | unpaused' }) })),
});

export function registerQueueRoutes(api: ApiApp, deps: ApiDeps, queues: QueueService): void {
  const tags = ['queues'];
  const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };

  api.get('/queues', {
    schema: { tags, summary: 'Read the queues\' settings', response: { 200: QueuesSchema, 401: ErrorSchema } },
  }, () => ({ queues: deps.config.current.queues }));

  api.put('/queues', {
    schema: { tags, summary: 'Replace the queues\' settings', body: QueuesSchema, response: { 200: QueuesSchema, 400: ErrorSchema, 401: ErrorSchema } },
  }, async (request) => {
    await deps.config.replaceQueues(request.body.queues);
    return { queues: deps.config.current.queues };
  });

  api.get('/queues/status', {
    schema: { tags, summary: 'Every queue now: waiting callers, members and their status, today\'s figures', response: { 200: Type.Object({ queues: Type.Array(QueueStatusSchema) }), 401: ErrorSchema } },
  }, () => ({ queues: queues.snapshot() }));

  api.get('/queues/log', {
    schema: {
      tags, summary: 'The queue log (Asterisk queue_log event names), oldest first',
      querystring: Type.Object({
        queue: Type.Optional(QueueName),
        since: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601 date or epoch milliseconds' })),
        limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(LogEntrySchema) }), 400: ErrorSchema, 401: ErrorSchema },
    },
  }, (request) => ({ items: queues.log({ queue: request.query.queue, since: parseInstant(request.query.since, 'since'), limit: request.query.limit }) }));

  api.get('/queues/:name/status', {
    schema: { tags, summary: 'One queue now', params: Type.Object({ name: QueueName }), response: { 200: QueueStatusSchema, 401: ErrorSchema, 404: ErrorSchema } },
  }, (request) => {
    const found = queues.snapshot().find((q) => q.name === request.params.name);
    if (found === undefined) throw new ApiError('IPBX_QUEUE_NOT_FOUND', `no queue is named ${request.params.name}`);
    return found;
  });

  api.post('/queues/:name/agents', {
    schema: {
      tags, summary: 'Log an account in as an agent of the queue', params: Type.Object({ name: QueueName }),
      body: Type.Object({ extension: Extension }, { additionalProperties: false }),
      response: { 200: ChangesSchema, ...errors },
    },
  }, (request) => ({ changes: agent(queues, 'login', request.body.extension, request.params.name) }));

  api.delete('/queues/:name/agents/:extension', {
    schema: {
      tags, summary: 'Log an agent out of the queue', params: Type.Object({ name: QueueName, extension: Extension }),
      response: { 200: ChangesSchema, ...errors },
    },
  }, (request) => ({ changes: agent(queues, 'logout', request.params.extension, request.params.name) }));

  api.put('/queues/:name/agents/:extension/pause', {
    schema: {
      tags, summary: 'Pause or resume a member (static or logged in)', params: Type.Object({ name: QueueName, extension: Extension }),
      body: Type.Object({ paused: Type.Boolean(), reason: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
      response: { 200: ChangesSchema, ...errors },
    },
  }, (request) => ({ changes: agent(queues, request.body.paused ? 'pause' : 'unpause', request.params.extension, request.params.name, request.body.reason) }));
}

function agent(queues: QueueService, operation: 'login' | 'logout' | 'pause' | 'unpause', extension: string, queue: string, reason?: string): AgentChange[] {
  try {
    return queues.agent(operation, extension, queue, reason);
  } catch (err) {
    if (err instanceof QueueError) throw new ApiError(err.code, err.message, err.code === 'IPBX_QUEUE_NOT_FOUND' ? 'name' : undefined);
    throw err;
  }
}
