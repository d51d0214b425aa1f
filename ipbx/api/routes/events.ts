// /events: a WebSocket of live IPBX events, one JSON message each: `{ "event": "registration" |
// "call" | "cdr", "data": … }`. Authenticated at the upgrade (Bearer header or ?token=, see auth.ts);
// the client sends nothing (its messages are ignored, large frames refused by maxPayload).

import { Type } from '@sinclair/typebox';
import type { ApiApp } from '../api-deps.ts';
import { ApiError } from '../api-errors.ts';
import { ErrorSchema } from '../error-schema.ts';
import type { EventHub } from '../event-hub.ts';

/** RFC 6455 §7.4.1 registry: 1013 Try Again Later. */
const CLOSE_TRY_AGAIN_LATER = 1013;

export function registerEventRoutes(api: ApiApp, hub: EventHub): void {
  api.route({
    method: 'GET',
    url: '/events',
    config: { auth: 'header-or-query' },
    schema: {
      tags: ['events'],
      summary: 'Live events over WebSocket (registrations, call states, CDRs)',
      description: 'Upgrade to WebSocket; each message is `{"event":"registration"|"call"|"cdr","data":{…}}`. '
        + 'Browsers, which cannot set headers on a WebSocket, pass the token as `?token=`. '
        + 'A client that reads too slowly is disconnected rather than buffered for.',
      security: [{ bearer: [] }, { queryToken: [] }],
      querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false }),
      response: {
        101: Type.Null({ description: 'Switching Protocols: the event stream follows' }),
        400: ErrorSchema, 401: ErrorSchema, 426: ErrorSchema,
      },
    },
    // A plain GET (no upgrade) lands here. The route has both handlers so it stays in the OpenAPI document.
    handler: () => {
      throw new ApiError('IPBX_API_UPGRADE_REQUIRED', 'connect with a WebSocket client (Upgrade: websocket)');
    },
    wsHandler: (socket) => {
      if (!hub.add(socket)) {
        socket.close(CLOSE_TRY_AGAIN_LATER, 'too many event clients');
        return;
      }
      socket.on('close', () => hub.remove(socket));
      socket.on('message', () => undefined);
    },
  });
}
