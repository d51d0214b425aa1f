// /wallboard/: the queues' live wallboard, a self-contained page (no build step) that reads
// /api/v1/queues/status and the events WebSocket with the admin token the user gives it. The page
// itself is public, like /phone/: it holds no data until a token is entered.

import { readFileSync } from 'node:fs';
import type { ApiApp } from '../api-deps.ts';

const PAGE = readFileSync(new URL('../wallboard/wallboard.html', import.meta.url));

export function registerWallboardRoutes(app: ApiApp): void {
  app.get('/wallboard', { schema: { hide: true } }, (_request, reply) => reply.redirect('/wallboard/'));
  app.get('/wallboard/', { schema: { hide: true } }, (_request, reply) => reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    // The page's own inline script only; it talks to this origin (fetch and WebSocket).
    .header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'")
    .send(PAGE));
}
