// One JSON request over HTTP or HTTPS with the lab's TLS trust and a hard time limit. The TLS socket
// is opened and checked (CA or pinned fingerprint) before the HTTP request is written on it, so a
// credential never reaches a server that failed the check. One connection per request: labs make
// few calls and this keeps the trust check on every connection.

import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { LabError } from '../lab-error.ts';
import type { TlsTrust } from './tls-trust.ts';

export interface HttpEndpoint {
  /** `https://host:port` plus an optional base path (`/api2/json`). */
  baseUrl: string;
  trust: TlsTrust;
  /** Whole request, connection included. */
  timeoutMs: number;
}

export type QueryValue = string | number | boolean | undefined;

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  /** Appended to the base path; already percent-encoded where needed. */
  path: string;
  query?: Record<string, QueryValue>;
  headers?: OutgoingHttpHeaders;
  /** Sent as JSON when defined. */
  json?: unknown;
}

export interface HttpAnswer {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is empty or not JSON. */
  body: unknown;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function buildUrl(endpoint: HttpEndpoint, call: Pick<HttpCall, 'path' | 'query'>): URL {
  const base = new URL(endpoint.baseUrl);
  const url = new URL(`${base.pathname.replace(/\/$/, '')}${call.path}`, base);
  for (const [key, value] of Object.entries(call.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  return url;
}

export async function sendHttp(endpoint: HttpEndpoint, call: HttpCall): Promise<HttpAnswer> {
  const url = buildUrl(endpoint, call);
  const deadline = Date.now() + endpoint.timeoutMs;
  const socket = await openSocket(url, endpoint.trust, endpoint.timeoutMs);
  const payload = call.json === undefined ? undefined : Buffer.from(JSON.stringify(call.json));
  const headers: OutgoingHttpHeaders = { accept: 'application/json', host: url.host, ...call.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = payload.length;
  }
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = httpRequest({ method: call.method, path: `${url.pathname}${url.search}`, headers, createConnection: () => socket });
    const timer = setTimeout(() => {
      req.destroy(new LabError('LAB_UNREACHABLE', `${call.method} ${url.origin}${url.pathname}: no answer within ${endpoint.timeoutMs} ms; check that the server is up and the address and port are right`));
    }, Math.max(1, deadline - Date.now()));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err instanceof LabError ? err : new LabError('LAB_UNREACHABLE', `${call.method} ${url.origin}${url.pathname}: ${err.message}`, { cause: err }));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new LabError('LAB_BAD_RESPONSE', `${url.origin}${url.pathname}: answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, text, body: parseJson(text) });
        socket.destroy();
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(new LabError('LAB_UNREACHABLE', `${url.origin}${url.pathname}: the answer was cut: ${err.message}`, { cause: err }));
      });
    });
    req.end(payload);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function openSocket(url: URL, trust: TlsTrust, timeoutMs: number): Promise<Socket> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  return new Promise<Socket>((resolve, reject) => {
    const where = `${url.protocol}//${url.host}`;
    let socket: Socket;
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new LabError('LAB_UNREACHABLE', `${where}: no connection within ${timeoutMs} ms; check the address, the port and any firewall between`)), timeoutMs);
    if (!secure) {
      socket = netConnect({ host, port });
      socket.once('connect', () => { clearTimeout(timer); resolve(socket); });
    } else {
      const tlsSocket: TLSSocket = tlsConnect({
        host, port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(trust.kind === 'ca' ? { ca: trust.ca } : {}),
        // Fingerprint pinning replaces chain verification; the pin is checked below before any byte of HTTP.
        rejectUnauthorized: trust.kind === 'ca',
      });
      socket = tlsSocket;
      tlsSocket.once('secureConnect', () => {
        if (trust.kind === 'fingerprint') {
          const presented = tlsSocket.getPeerCertificate().fingerprint256;
          if (presented !== trust.sha256) {
            fail(new LabError('LAB_TLS_UNTRUSTED', `${where} presented a certificate with SHA-256 fingerprint ${presented}, not the pinned ${trust.sha256}; if the server's certificate was renewed, update tls.fingerprint, otherwise something is impersonating it`));
            return;
          }
        }
        clearTimeout(timer);
        resolve(tlsSocket);
      });
    }
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const tlsProblem = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(err.code ?? '') || /certificate/i.test(err.message);
      fail(tlsProblem
        ? new LabError('LAB_TLS_UNTRUSTED', `${where}: certificate not trusted (${err.code ?? err.message}); give the right tls.caFile, or pin its tls.fingerprint`, { cause: err })
        : new LabError('LAB_UNREACHABLE', `${where}: ${err.code === 'ECONNREFUSED' ? 'connection refused (is the service running and the port right?)' : err.message}`, { cause: err }));
    });
  });
}
