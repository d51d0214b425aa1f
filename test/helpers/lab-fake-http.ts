// What both lab fakes share: an HTTPS server on 127.0.0.1 whose every request and answer is checked
// against the published API schema, and a list of violations a test asserts empty. A request that
// breaks the schema is refused with 400 (so the client fails too) and recorded.

import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path without the query string, percent-decoding left to the router. */
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
  statusMessage?: string;
}

export interface SpecChecker {
  checkRequest(req: FakeRequest): string[];
  checkResponse(req: FakeRequest, answer: FakeAnswer): string[];
  /** The body to send when the request broke the schema. */
  invalidRequestAnswer(problems: string[]): FakeAnswer;
}

export class FakeHttpsServer {
  readonly violations: string[] = [];
  readonly log: string[] = [];
  /** While set, connections are reset at once (a machine still booting, a service down). */
  refuseConnections = false;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(tls: { key: string; cert: string }, private readonly checker: SpecChecker, private readonly handle: (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>) {
    this.server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => void this.serve(req, res));
    this.server.on('connection', (socket: Socket) => {
      if (this.refuseConnections) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const request: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: undefined };
    this.log.push(`${request.method} ${request.path}`);
    let answer: FakeAnswer;
    try {
      request.body = text === '' ? undefined : JSON.parse(text) as unknown;
      const problems = this.checker.checkRequest(request);
      if (problems.length > 0) {
        this.violations.push(...problems.map((p) => `request: ${p}`));
        answer = this.checker.invalidRequestAnswer(problems);
      } else {
        answer = await this.handle(request);
        const answerProblems = this.checker.checkResponse(request, answer);
        this.violations.push(...answerProblems.map((p) => `answer: ${p}`));
      }
    } catch (err) {
      this.violations.push(`fake crashed on ${request.method} ${request.path}: ${(err as Error).stack ?? String(err)}`);
      answer = { status: 500, body: ['fake server error'] };
    }
    const payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
    res.writeHead(answer.status, answer.statusMessage ?? '', payload === '' ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  }
}
