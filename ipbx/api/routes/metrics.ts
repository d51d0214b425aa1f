// /metrics (outside /api/v1, where Prometheus looks by default): the IPBX's counters and gauges
// plus the API's own, in Prometheus text format. It requires the admin token like the API: set
// `authorization: { type: Bearer, credentials: <token> }` in the Prometheus scrape config.

import { Type } from '@sinclair/typebox';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { ErrorSchema } from '../error-schema.ts';
import type { EventHub } from '../event-hub.ts';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../metrics-text.ts';

const API_HELP = {
  build_info: 'voiplab version (always 1)',
  api_event_clients: 'WebSocket clients following /api/v1/events',
  api_event_clients_dropped_total: 'Event clients disconnected for reading too slowly',
};

export function registerMetricsRoute(api: ApiApp, deps: ApiDeps, hub: EventHub): void {
  api.get('/metrics', {
    schema: {
      tags: ['metrics'], summary: 'Prometheus metrics (text format 0.0.4); requires the admin token',
      response: {
        200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: Type.String() } } },
        401: ErrorSchema,
      },
    },
  }, (_request, reply) => {
    const own = {
      build_info: { [`version=${deps.version}`]: 1 },
      api_event_clients: hub.clientCount,
      api_event_clients_dropped_total: hub.droppedCount,
    };
    // A string with a non-JSON content type is sent as is (no JSON serialisation).
    void reply.type(PROMETHEUS_CONTENT_TYPE);
    return renderPrometheus({ ...deps.metrics(), ...own }, API_HELP);
  });
}
