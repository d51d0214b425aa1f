// The registrar over real sockets: a SIP client on the stack registers with digest against a
// registrar wired to a location service backed by SQLite (RFC 3261 §10.3, RFC 5626).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../../ipbx/accounts/account.ts';
import { IpbxEvents, type RegistrationEvent } from '../../ipbx/events/ipbx-events.ts';
import { LocationService } from '../../ipbx/registrar/location-service.ts';
import { Registrar } from '../../ipbx/registrar/registrar.ts';
import {
  DigestServer, SipStack, SipUri, TransportLayer, ha1For, type DigestHashName, type SipResponse,
} from '../../ipbx/sip/index.ts';
import { openDatabase } from '../../ipbx/store/open-database.ts';
import { SqliteBindingStore } from '../../ipbx/store/sqlite-binding-store.ts';

const DOMAIN = 'voiplab.test';

function account(extension: string, password: string, maxContacts = 3): Account {
  const ha1: Partial<Record<DigestHashName, string>> = {};
  for (const alg of ['MD5', 'SHA-256'] as const) ha1[alg] = ha1For(extension, DOMAIN, password, alg);
  return { extension, displayName: `User ${extension}`, ha1, enabled: true, transports: ['udp', 'tcp'], maxContacts };
}

interface Registry {
  stack: SipStack;
  location: LocationService;
  events: RegistrationEvent[];
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

async function startRegistrar(dataDir: string): Promise<Registry> {
  const accounts = new Map([['1001', account('1001', 'secret-1001')], ['1002', account('1002', 'secret-1002', 2)]]);
  const transport = new TransportLayer({ listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
  await transport.start();
  const stack = new SipStack({ transport });
  const db = openDatabase(dataDir);
  const events = new IpbxEvents();
  const seen: RegistrationEvent[] = [];
  events.on('registration', (e) => seen.push(e));
  const location = new LocationService({ store: new SqliteBindingStore(db), events });
  const registrar = new Registrar({
    accounts: { get: (ext) => accounts.get(ext), list: () => [...accounts.values()] },
    location,
    digest: new DigestServer({ realm: DOMAIN, secret: randomBytes(32), algorithms: ['MD5', 'SHA-256'] }),
    policy: () => ({ minExpires: 60, maxExpires: 3600, defaultExpires: 600 }),
  });
  stack.onRequest((req) => {
    if (req.method === 'REGISTER') registrar.handle(req);
    else if (req.method !== 'ACK') req.respond(405);
  });
  return {
    stack, location, events: seen, port: transport.localEndpoint('udp').port, dataDir,
    close: async () => { location.close(); await stack.close(); db.close(); },
  };
}

describe('registrar (RFC 3261 §10.3)', () => {
  let server: Registry;
  let client: SipStack;
  const dataDir = mkdtempSync(join(tmpdir(), 'voiplab-registrar-'));

  before(async () => {
    server = await startRegistrar(dataDir);
    const transport = new TransportLayer({ listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
    await transport.start();
    client = new SipStack({ transport });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  function register(user: string, password: string | undefined, options: { contacts?: string[]; expires?: string; callId?: string; cseq?: number; authUser?: string } = {}): Promise<SipResponse> {
    const aor = `<sip:${user}@${DOMAIN}>`;
    const headers: Array<[string, string]> = (options.contacts ?? [client.contactFor('udp', user).toString()]).map((c) => ['Contact', c]);
    if (options.expires !== undefined) headers.push(['Expires', options.expires]);
    const request = client.createRequest('REGISTER', new SipUri({ host: '127.0.0.1', port: server.port }), {
      from: aor, to: aor, headers, callId: options.callId, cseq: options.cseq,
    });
    return client.send(request, password === undefined ? {} : { credentials: { username: options.authUser ?? user, password } });
  }

  test('REGISTER without credentials is challenged with MD5 then SHA-256 (RFC 8760 §2.3)', async () => {
    const r = await register('1001', undefined);
    assert.equal(r.status, 401);
    assert.deepEqual(r.wwwAuthenticate.map((v) => /algorithm=([\w-]+)/.exec(v)?.[1]), ['MD5', 'SHA-256']);
  });

  test('a correct password registers; the 200 lists the binding with its expiry', async () => {
    const r = await register('1001', 'secret-1001', { expires: '120' });
    assert.equal(r.status, 200);
    const contacts = r.headers.getAll('Contact');
    assert.equal(contacts.length, 1);
    assert.match(contacts[0] ?? '', /;expires=(119|120)$/);
    assert.equal(server.location.lookup('1001').length, 1);
    assert.equal(server.events.at(-1)?.type, 'registered');
  });

  test('unknown account and wrong password get the same answer: a new 401 (no enumeration)', async () => {
    const unknown = await register('4242', 'whatever-pass');
    const wrong = await register('1002', 'not-the-password');
    assert.equal(unknown.status, 401);
    assert.equal(wrong.status, 401);
    assert.equal(unknown.reason, wrong.reason);
    assert.deepEqual(unknown.headers.getAll('WWW-Authenticate').length, wrong.headers.getAll('WWW-Authenticate').length);
  });

  test('registering someone else\'s address of record is refused with 403', async () => {
    const r = await register('1002', 'secret-1001', { authUser: '1001' });
    assert.equal(r.status, 403);
    assert.equal(server.location.lookup('1002').length, 0);
  });

  test('an expiry below Min-Expires gets 423 with Min-Expires (§10.3 step 7)', async () => {
    const r = await register('1001', 'secret-1001', { expires: '30' });
    assert.equal(r.status, 423);
    assert.equal(r.headers.get('Min-Expires'), '60');
  });

  test('an expiry above the maximum is shortened', async () => {
    const r = await register('1001', 'secret-1001', { expires: '999999' });
    assert.equal(r.status, 200);
    assert.match(r.headers.getAll('Contact')[0] ?? '', /;expires=(3599|3600)$/);
  });

  test('several contacts in one REGISTER; the account limit evicts the oldest', async () => {
    const contacts = ['<sip:1002@127.0.0.1:7001>', '<sip:1002@127.0.0.1:7002>', '<sip:1002@127.0.0.1:7003>'];
    const r = await register('1002', 'secret-1002', { contacts, expires: '300' });
    assert.equal(r.status, 200);
    const kept = server.location.lookup('1002').map((b) => b.contact).sort();
    assert.equal(kept.length, 2, 'maxContacts is 2');
  });

  test('Contact expires=0 removes one binding; `*` with Expires: 0 removes all (§10.3 step 6)', async () => {
    const before = server.location.lookup('1002').length;
    const first = server.location.lookup('1002')[0]?.contact ?? assert.fail();
    const r1 = await register('1002', 'secret-1002', { contacts: [`<${first}>;expires=0`] });
    assert.equal(r1.status, 200);
    assert.equal(server.location.lookup('1002').length, before - 1);
    const r2 = await register('1002', 'secret-1002', { contacts: ['*'], expires: '0' });
    assert.equal(r2.status, 200);
    assert.equal(server.location.lookup('1002').length, 0);
    const bad = await register('1002', 'secret-1002', { contacts: ['*'], expires: '60' });
    assert.equal(bad.status, 400);
  });

  test('an out-of-order REGISTER (same Call-ID, lower CSeq) is refused and changes nothing', async () => {
    const ok = await register('1001', 'secret-1001', { callId: 'ordered-reg', cseq: 50, contacts: ['<sip:1001@127.0.0.1:7100>'], expires: '300' });
    assert.equal(ok.status, 200);
    const stale = await register('1001', 'secret-1001', { callId: 'ordered-reg', cseq: 10, contacts: ['<sip:1001@127.0.0.1:7100>'], expires: '0' });
    assert.equal(stale.status, 500);
    assert.ok(server.location.lookup('1001').some((b) => b.contact === 'sip:1001@127.0.0.1:7100'));
  });

  test('bindings survive a restart of the registrar (SQLite store)', async () => {
    const contacts = server.location.lookup('1001').map((b) => b.contact).sort();
    assert.ok(contacts.length > 0);
    await server.close();
    server = await startRegistrar(dataDir);
    assert.deepEqual(server.location.lookup('1001').map((b) => b.contact).sort(), contacts);
  });
});
