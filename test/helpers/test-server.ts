// A small SIP server built on the stack for integration tests: answers OPTIONS, registers
// with digest authentication (in-memory bindings), answers INVITE with 180 + 200 and SDP,
// answers BYE. It is the element under test for SIPp and the RFC 4475 torture messages.

import { randomBytes } from 'node:crypto';
import { DigestServer, ha1For, type DigestAlgorithm } from '../../ipbx/sip/digest/index.ts';
import { Dialog } from '../../ipbx/sip/dialog/index.ts';
import { isSipUri, type SipRequest } from '../../ipbx/sip/message/index.ts';
import { TransportLayer } from '../../ipbx/sip/transport/index.ts';
import type { TransportProtocol } from '../../ipbx/sip/transport/transport-types.ts';
import { SipStack, type IncomingRequest } from '../../ipbx/sip/ua/index.ts';

export interface TestServerOptions {
  protocols?: TransportProtocol[];
  address?: string;
  accounts?: Record<string, string>;
  realm?: string;
  algorithms?: DigestAlgorithm[];
}

export interface Binding {
  contact: string;
  expiresAt: number;
}

export class TestServer {
  readonly stack: SipStack;
  readonly transport: TransportLayer;
  readonly digest: DigestServer;
  readonly bindings = new Map<string, Binding[]>();
  readonly received: SipRequest[] = [];
  readonly dialogs = new Map<string, Dialog>();
  readonly #accounts: Record<string, string>;
  readonly #realm: string;

  private constructor(transport: TransportLayer, options: TestServerOptions) {
    this.transport = transport;
    this.#accounts = options.accounts ?? { alice: 'wonderland' };
    this.#realm = options.realm ?? 'voiplab.test';
    // MD5 on top: SIPp 3.6 and many desk phones answer only the first challenge; RFC 8760
    // clients (ours included) pick the strongest offered, SHA-256, from below it.
    this.digest = new DigestServer({ realm: this.#realm, secret: randomBytes(32), algorithms: options.algorithms ?? ['MD5', 'SHA-256'] });
    this.stack = new SipStack({ transport, userAgent: 'voiplab-test-server' });
    this.stack.onRequest((req) => this.#handle(req));
  }

  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    const address = options.address ?? '127.0.0.1';
    const transport = new TransportLayer({
      listeners: (options.protocols ?? ['udp', 'tcp']).map((protocol) => ({ protocol, address, port: 0 })),
    });
    await transport.start();
    return new TestServer(transport, options);
  }

  port(protocol: TransportProtocol): number {
    return this.transport.localEndpoint(protocol).port;
  }

  close(): Promise<void> {
    return this.stack.close();
  }

  #handle(req: IncomingRequest): void {
    this.received.push(req.request);
    switch (req.method) {
      case 'OPTIONS':
        req.respond(200, { headers: [['Allow', this.stack.policy.allowedMethods.join(', ')], ['Accept', 'application/sdp']] });
        return;
      case 'REGISTER':
        this.#register(req);
        return;
      case 'INVITE':
        this.#invite(req);
        return;
      case 'BYE': {
        const dialog = this.dialogs.get(dialogKeyOf(req.request));
        if (dialog === undefined) {
          req.respond(481);
          return;
        }
        dialog.terminate();
        this.dialogs.delete(dialog.key);
        req.respond(200);
        return;
      }
      case 'ACK':
        return;
      default:
        req.respond(200);
    }
  }

  #register(req: IncomingRequest): void {
    const request = req.request;
    const aor = request.to.uri;
    const user = isSipUri(aor) ? aor.user : undefined;
    if (!isSipUri(aor) || user === undefined) {
      req.respond(400, { reason: 'To must be a SIP AOR' });
      return;
    }
    const result = this.digest.verify({
      authorizationValue: request.authorization,
      method: request.method,
      lookupHa1: (username, realm, algorithm) => {
        const password = this.#accounts[username];
        return password === undefined ? undefined : ha1For(username, realm, password, algorithm);
      },
    });
    if (!result.ok) {
      req.respond(401, { headers: this.digest.challenge({ stale: result.stale }).map((v) => ['WWW-Authenticate', v] as [string, string]) });
      return;
    }
    if (result.username !== user) {
      req.respond(403, { reason: 'Not your address of record' });
      return;
    }
    const now = Date.now();
    const defaultExpires = request.expires ?? 3600;
    let bindings = (this.bindings.get(user) ?? []).filter((b) => b.expiresAt > now);
    if (request.isContactStar) bindings = [];
    for (const contact of request.contacts) {
      const expires = Number(contact.params.get('expires') ?? defaultExpires);
      const uri = contact.uri.toString();
      bindings = bindings.filter((b) => b.contact !== uri);
      if (expires > 0) bindings.push({ contact: uri, expiresAt: now + expires * 1000 });
    }
    this.bindings.set(user, bindings);
    req.respond(200, {
      headers: bindings.map((b) => ['Contact', `<${b.contact}>;expires=${Math.round((b.expiresAt - now) / 1000)}`] as [string, string]),
    });
  }

  #invite(req: IncomingRequest): void {
    const request = req.request;
    const contact = this.stack.contactFor(req.source.protocol, 'server');
    req.respond(180, { headers: [['Contact', contact.toString()]] });
    if (req.cancelled) return;
    const dialog = Dialog.fromUasRequest(request, req.toTag, contact);
    this.dialogs.set(dialog.key, dialog);
    const host = req.source.local.address;
    const sdp = [
      'v=0', `o=voiplab 1 1 IN IP4 ${host}`, 's=voiplab', `c=IN IP4 ${host}`, 't=0 0',
      'm=audio 40000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', '',
    ].join('\r\n');
    req.respond(200, { headers: [['Contact', contact.toString()]], body: Buffer.from(sdp), contentType: 'application/sdp' });
  }
}

/** The server's view of a dialog key for an incoming in-dialog request: local = To tag. */
export function dialogKeyOf(request: SipRequest): string {
  return `${request.callId}\u0000${request.to.tag ?? ''}\u0000${request.from.tag ?? ''}`;
}
