// The queues in /metrics (Prometheus): live gauges and today's counters per queue, members per
// status. Today's counters start again at midnight, which Prometheus reads as a counter reset.

import type { MetricValues } from '../api/api-deps.ts';
import { MEMBER_STATUSES } from './queue-member.ts';
import type { QueueSnapshot } from './queue-service.ts';

export function queueMetrics(queues: QueueSnapshot[]): MetricValues {
  const per = (value: (q: QueueSnapshot) => number) => Object.fromEntries(queues.map((q) => [`queue=${q.name}`, value(q)]));
  const members: Record<string, number> = {};
  for (const q of queues) {
    for (const status of MEMBER_STATUSES) members[`queue=${q.name},status=${status}`] = q.members.filter((m) => m.status === status).length;
  }
  return {
    queue_waiting: per((q) => q.waiting.length),
    queue_longest_waiting_seconds: per((q) => Math.max(0, ...q.waiting.map((w) => w.waitSeconds))),
    queue_entered_total: per((q) => q.today.entered),
    queue_answered_total: per((q) => q.today.answered),
    queue_abandoned_total: per((q) => q.today.abandoned),
    queue_overflowed_total: per((q) => q.today.overflowed),
    queue_average_wait_seconds: per((q) => q.today.averageWaitSeconds),
    queue_average_talk_seconds: per((q) => q.today.averageTalkSeconds),
    queue_service_level_percent: per((q) => q.today.serviceLevelPercent ?? 100),
    queue_members: members,
  };
}
