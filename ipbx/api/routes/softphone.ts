// /phone/: the browser softphone (softphone/), public like any web page, and /phone/config.json,
// which pre-fills its server fields: the IPBX's SIP WebSocket listener as reachable from the
// page (wss from an https page, ws on the page's own loopback/host when a ws listener serves it)
// and the SIP domain. The app is bundled once, on the first request, then kept in memory.

import type { FastifyReply } from 'fastify';
import type { ApiApp, ApiDeps } from '../api-deps.ts';
import { loadSoftphone, SOFTPHONE_FILES, type SoftphoneBundle, type SoftphoneFileName } from '../../../softphone/build/softphone-bundle.ts';
import type { ServedPhoneConfig } from '../../../softphone/src/settings/served-config.ts';

/** A host name or an IP address (IPv6 in brackets): the Host header is echoed only if it is one. */
const HOST_NAME = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const ANY_ADDRESS = new Set(['0.0.0.0', '::', '[::]']);

export interface SipWebSocketListener {
  protocol: string;
  address: string;
  port: number;
}

export function registerSoftphoneRoutes(app: ApiApp, deps: ApiDeps): void {
  let bundle: Promise<SoftphoneBundle> | undefined;
  const load = (): Promise<SoftphoneBundle> => {
    bundle ??= loadSoftphone().catch((err: unknown) => {
      bundle = undefined; // a later request tries again (the sources may have been fixed)
      throw err;
    });
    return bundle;
  };
  const serve = async (name: SoftphoneFileName, reply: FastifyReply) => {
    const files = await load();
    return reply.header('content-type', SOFTPHONE_FILES[name]).header('cache-control', 'no-cache').send(Buffer.from(files[name]));
  };

  app.get('/phone', { schema: { hide: true } }, (_request, reply) => reply.redirect('/phone/'));
  app.get('/phone/', { schema: { hide: true } }, (_request, reply) => serve('index.html', reply));
  app.get('/phone/app.js', { schema: { hide: true } }, (_request, reply) => serve('app.js', reply));
  app.get('/phone/app.css', { schema: { hide: true } }, (_request, reply) => serve('app.css', reply));
  app.get('/phone/config.json', { schema: { hide: true } }, (request, reply) => {
    const listeners = deps.sipListeners?.() ?? deps.config.current.sip.listeners;
    const config: ServedPhoneConfig = {
      server: sipWebSocketUrl(listeners, request.protocol, request.hostname),
      domain: deps.config.current.domain,
    };
    return reply.header('cache-control', 'no-store').send(config);
  });
}

/**
 * The WebSocket URL a page loaded from `pageProtocol://hostname` can use: an https page only
 * wss (browsers block ws from it); an http page ws when a ws listener answers on that host,
 * else wss. Null without a fitting listener, or for a Host header that is no host name.
 */
export function sipWebSocketUrl(listeners: SipWebSocketListener[], pageProtocol: 'http' | 'https', hostname: string): string | null {
  if (!HOST_NAME.test(hostname)) return null;
  const reachable = (listener: SipWebSocketListener) => listener.port > 0
    && (ANY_ADDRESS.has(listener.address) || listener.address === hostname || (LOOPBACK.has(listener.address) && LOOPBACK.has(hostname)));
  const ws = listeners.find((listener) => listener.protocol === 'ws' && reachable(listener));
  const wss = listeners.find((listener) => listener.protocol === 'wss' && reachable(listener));
  if (pageProtocol === 'http' && ws !== undefined) return `ws://${hostname}:${ws.port}`;
  return wss === undefined ? null : `wss://${hostname}:${wss.port}`;
}
