// REGISTER processing (RFC 3261 §10.3) with digest authentication, expiry bounds (423 and
// Min-Expires), several contacts, `*` removal, Call-ID/CSeq ordering, per-account contact limits,
// and RFC 5626 outbound: bindings remember the flow they came over, keyed by instance and reg-id.

import type { AccountDirectory } from '../accounts/account.ts';
import { isSipUri, systemClock, unescapeUriPart, unquote, type Clock, type DigestServer, type IncomingRequest, type NameAddr } from '../sip/index.ts';
import type { Binding } from './binding.ts';
import { checkDigest, type AuthGuard } from './digest-check.ts';
import type { LocationService } from './location-service.ts';

export interface RegistrationPolicy {
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
}

export interface RegistrarOptions {
  accounts: AccountDirectory;
  location: LocationService;
  digest: DigestServer;
  policy: () => RegistrationPolicy;
  guard?: AuthGuard | undefined;
  clock?: Clock | undefined;
}

export class Registrar {
  readonly #o: RegistrarOptions;
  readonly #clock: Clock;

  constructor(options: RegistrarOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  handle(incoming: IncomingRequest): void {
    const request = incoming.request;
    const aor = request.to.uri;
    // §10.3 step 5: the To must be an address of record this registrar serves.
    if (!isSipUri(aor) || aor.user === undefined) {
      incoming.respond(400, { reason: 'To must be a SIP address of record' });
      return;
    }
    const auth = checkDigest(incoming, { digest: this.#o.digest, accounts: this.#o.accounts, guard: this.#o.guard }, false);
    if (!auth.ok) return;
    const account = auth.account;
    // §10.3 step 3: only the owner may change an AOR's bindings.
    if (decodeUser(aor.user) !== account.extension) {
      incoming.respond(403, { reason: 'Not your address of record' });
      return;
    }
    if (!account.transports.includes(incoming.source.protocol)) {
      incoming.respond(403, { reason: `Transport ${incoming.source.protocol} not allowed for this account` });
      return;
    }

    let contacts: NameAddr[];
    try {
      contacts = request.contacts;
    } catch {
      incoming.respond(400, { reason: 'Malformed Contact' });
      return;
    }
    const policy = this.#o.policy();
    const now = this.#clock.now();
    const location = this.#o.location;
    const requestExpires = safeExpires(() => request.expires);

    if (request.isContactStar) {
      // §10.3 step 6: `*` only with Expires: 0 and alone.
      if (requestExpires !== 0 || request.headers.getAll('Contact').length !== 1) {
        incoming.respond(400, { reason: 'Contact: * needs Expires: 0 and no other contact' });
        return;
      }
      for (const b of location.lookup(account.extension)) location.remove(account.extension, b.contact);
      incoming.respond(200, { headers: [['Date', new Date(now).toUTCString()]] });
      return;
    }

    // First pass: validate everything, so a bad contact changes nothing (§10.3: all or nothing).
    const changes: Array<{ contact: NameAddr; uri: string; expires: number }> = [];
    for (const contact of contacts) {
      const param = contact.params.get('expires');
      const raw = param !== undefined && param !== null ? Number(param) : requestExpires ?? policy.defaultExpires;
      if (!Number.isFinite(raw) || raw < 0) {
        incoming.respond(400, { reason: 'Invalid expires value' });
        return;
      }
      // §10.3 step 7: too short (but not 0) → 423 with Min-Expires; too long → shortened.
      if (raw > 0 && raw < policy.minExpires) {
        incoming.respond(423, { headers: [['Min-Expires', String(policy.minExpires)]] });
        return;
      }
      changes.push({ contact, uri: contact.uri.toString(), expires: Math.min(raw, policy.maxExpires) });
    }
    const existing = new Map(location.lookup(account.extension).map((b) => [b.contact, b]));
    const callId = request.callId;
    const cseq = request.cseq.seq;
    for (const change of changes) {
      const old = existing.get(change.uri);
      // §10.3 step 7: same Call-ID with a CSeq not higher is out of order.
      if (old !== undefined && old.callId === callId && cseq <= old.cseq) {
        incoming.respond(500, { reason: 'Out of order REGISTER', headers: [['Retry-After', '1']] });
        return;
      }
    }

    const source = incoming.source;
    const userAgent = request.headers.get('User-Agent');
    const outbound = request.supported.includes('outbound');
    for (const change of changes) {
      if (change.expires === 0) {
        location.remove(account.extension, change.uri);
        continue;
      }
      const instanceId = unquoteParam(change.contact.params.get('+sip.instance'));
      const regIdText = change.contact.params.get('reg-id');
      const regId = outbound && regIdText !== undefined && regIdText !== null ? Number(regIdText) : undefined;
      // RFC 5626 §6: a new flow for the same instance and reg-id replaces the old binding.
      if (instanceId !== undefined && regId !== undefined) {
        for (const b of location.lookup(account.extension)) {
          if (b.instanceId === instanceId && b.regId === regId && b.contact !== change.uri) location.remove(account.extension, b.contact);
        }
      }
      const binding: Binding = {
        extension: account.extension,
        contact: change.uri,
        expiresAt: now + change.expires * 1000,
        q: qValue(change.contact.params.get('q')),
        callId,
        cseq,
        protocol: source.protocol,
        source: { address: source.address, port: source.port },
        flowId: source.flowId,
        instanceId,
        regId,
        userAgent,
        registeredAt: existing.get(change.uri)?.registeredAt ?? now,
      };
      location.upsert(binding);
    }
    // Over the account's limit: the oldest registrations give way (a phone that moved port or NAT mapping).
    const live = location.lookup(account.extension).sort((a, b) => a.registeredAt - b.registeredAt);
    for (const b of live.slice(0, Math.max(0, live.length - account.maxContacts))) location.remove(account.extension, b.contact);

    const current = location.lookup(account.extension);
    const headers: Array<[string, string]> = current.map((b) => ['Contact', `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`]);
    headers.push(['Date', new Date(now).toUTCString()]);
    if (outbound && current.some((b) => b.regId !== undefined)) headers.push(['Require', 'outbound']);
    incoming.respond(200, { headers });
  }
}

function decodeUser(user: string): string {
  return unescapeUriPart(user);
}

function safeExpires(read: () => number | undefined): number | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function qValue(text: string | null | undefined): number {
  if (text === undefined || text === null) return 1;
  const q = Number(text);
  return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 1;
}

function unquoteParam(value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return unquote(value);
}
