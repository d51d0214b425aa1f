// RFC 5626 (SIP outbound) through a real IPBX: a client registering over TCP is reached over the
// connection it registered on, not at its Contact address (a phone behind NAT or a firewall
// cannot be connected to), and the binding lives as long as that connection: when the client
// closes it, the binding is gone (RFC 5626 §5.3: a flow that failed cannot be used).
//
// The TCP client advertises a Contact port where nothing listens, so any call that reaches it
// proves the IPBX used the registration's connection.
//
// security.limits.idleConnectionSeconds is 1 s here: idle connections are closed quickly, except
// those a binding needs, which the IPBX keeps alive with CRLF keep-alives (RFC 5626 §4.4.1).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { SipUri, type SipResponse } from '../../ipbx/sip/index.ts';
import { openDatabase } from '../../ipbx/store/open-database.ts';
import { SqliteBindingStore } from '../../ipbx/store/sqlite-binding-store.ts';
import { startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { SipPhone } from '../helpers/sip-phone.ts';
import { deadPort as unusedPort } from '../helpers/sipp.ts';
import { within } from '../helpers/stack-pair.ts';

const DOMAIN = 'voiplab.test';
const ALICE = { extension: '1001', password: 'alice-secret-1001' };
const BOB = { extension: '1002', password: 'bob-secret-1002' };
const IDLE_SECONDS = 1;

interface BindingView { extension: string; contact: string; protocol: string; source: { address: string; port: number }; instanceId?: string; regId?: number }

/** Polls `probe` until it returns a value; bounded. */
async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(25);
  }
}

/** REGISTER with digest; `outbound` adds Supported: outbound, +sip.instance and reg-id (RFC 5626 §4.2). */
function register(phone: SipPhone, password: string, outbound: { instance: string; regId: number } | undefined): Promise<SipResponse> {
  const contact = outbound === undefined
    ? phone.contact.toString()
    : `${phone.contact.toString()};+sip.instance="<urn:uuid:${outbound.instance}>";reg-id=${outbound.regId}`;
  const request = phone.stack.createRequest('REGISTER', new SipUri({ host: phone.domain }), {
    from: phone.fromHeader, to: `<${phone.aor}>`, contact: `${contact};expires=600`,
    ...(outbound === undefined ? {} : { headers: [['Supported', 'outbound, path']] as Array<[string, string]> }),
  });
  return within(phone.stack.send(request, { target: phone.proxy, credentials: { username: phone.user, password } }), `${phone.user}'s REGISTER`);
}

describe('RFC 5626 outbound over TCP through the IPBX', () => {
  let ipbx: IpbxHarness;
  const phones: SipPhone[] = [];

  before(async () => {
    ipbx = await startHarness({ protocols: ['udp', 'tcp'], extra: { security: { limits: { idleConnectionSeconds: IDLE_SECONDS } } } });
  });
  after(async () => {
    await Promise.all(phones.map((p) => p.close()));
    await ipbx.close();
  });

  const bindingsOf = async (extension: string) =>
    (await (await ipbx.api(`/api/v1/registrations?extension=${extension}`)).json() as { items: BindingView[] }).items;

  /** A TCP phone whose Contact names a port nobody listens on. */
  async function tcpPhone(user: string): Promise<{ phone: SipPhone; deadPort: number }> {
    const deadPort = await unusedPort();
    const phone = await SipPhone.start({
      user, domain: DOMAIN, protocol: 'tcp', contactPort: deadPort,
      proxy: { protocol: 'tcp', address: '127.0.0.1', port: ipbx.port('tcp') },
    });
    phones.push(phone);
    return { phone, deadPort };
  }

  async function udpCaller(): Promise<SipPhone> {
    const phone = await SipPhone.start({
      user: ALICE.extension, domain: DOMAIN, displayName: 'Alice',
      proxy: { protocol: 'udp', address: '127.0.0.1', port: ipbx.port('udp') },
      credentials: { username: ALICE.extension, password: ALICE.password },
    });
    phones.push(phone);
    return phone;
  }

  test('the binding remembers the TCP connection it came over, with its instance and reg-id; the 200 requires outbound', async () => {
    const { phone, deadPort } = await tcpPhone(BOB.extension);
    const instance = randomUUID();
    const response = await register(phone, BOB.password, { instance, regId: 1 });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('Require') ?? '', /\boutbound\b/, 'RFC 5626 §6: the registrar says it applied outbound');
    const [binding, ...others] = await bindingsOf(BOB.extension);
    assert.equal(others.length, 0);
    assert.equal(binding?.protocol, 'tcp');
    assert.match(binding.contact, new RegExp(`:${deadPort};transport=tcp`));
    assert.notEqual(binding.source.port, deadPort, 'the flow is the connection, not the Contact');
    assert.equal(binding.instanceId, `<urn:uuid:${instance}>`);
    assert.equal(binding.regId, 1);
    await phone.close();
    await until(async () => ((await bindingsOf(BOB.extension)).length === 0 ? true : undefined), 'the binding to go with its connection');
  });

  test('a call to the TCP client is delivered over its registration connection although its Contact port is unreachable', async () => {
    const { phone: bob } = await tcpPhone(BOB.extension);
    assert.equal((await register(bob, BOB.password, { instance: randomUUID(), regId: 1 })).status, 200);
    const alice = await udpCaller();

    const call = alice.call(BOB.extension);
    const session = await call.established();
    const incoming = await bob.nextCall();
    assert.equal(incoming.incoming.source.protocol, 'tcp');
    assert.equal(incoming.incoming.source.port, ipbx.port('tcp'), 'the INVITE came over the connection Bob opened to the IPBX');
    assert.equal(bob.tap.received.filter((m) => m.source.flowId !== incoming.incoming.source.flowId).length, 0, 'Bob has no other connection');
    // In-dialog requests reach him the same way: the caller's BYE is relayed over that connection.
    assert.equal((await session.bye()).status, 200);
    const bobSession = incoming.session ?? assert.fail('Bob answered');
    await until(() => (bobSession.receivedOf('BYE').length === 1 ? true : undefined), 'the BYE at Bob');
    await bob.close();
    await until(async () => ((await bindingsOf(BOB.extension)).length === 0 ? true : undefined), 'the binding to go with its connection');
  });

  test('when the client closes its connection the binding disappears (RFC 5626 §5.3), and calls to it get 480', async () => {
    const { phone: bob } = await tcpPhone(BOB.extension);
    assert.equal((await register(bob, BOB.password, undefined)).status, 200, 'even without outbound support, a TCP binding is tied to its connection');
    assert.equal((await bindingsOf(BOB.extension)).length, 1);
    await bob.close();
    await until(async () => ((await bindingsOf(BOB.extension)).length === 0 ? true : undefined), 'the binding to disappear with its connection');

    const alice = await udpCaller();
    const response = await alice.call(BOB.extension).result();
    assert.equal(response.status, 480, 'offline: no stale binding is tried');
  });

  test(`an idle connection is closed after idleConnectionSeconds (${IDLE_SECONDS} s), but not one a binding needs`, async () => {
    // A connection that never says anything is closed by the IPBX.
    const silent = connect(ipbx.port('tcp'), '127.0.0.1');
    silent.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
    await within(closed, 'the IPBX to close an idle connection', IDLE_SECONDS * 1000 + 5_000);

    // A registered phone that sends nothing for three idle periods stays registered and reachable.
    const { phone: bob } = await tcpPhone(BOB.extension);
    assert.equal((await register(bob, BOB.password, undefined)).status, 200);
    const flowId = bob.tap.received.at(-1)?.source.flowId;
    await delay(IDLE_SECONDS * 3000);
    assert.equal((await bindingsOf(BOB.extension)).length, 1, 'the binding outlived the idle timeout');
    const alice = await udpCaller();
    const session = await alice.call(BOB.extension).established();
    const incoming = await bob.nextCall();
    assert.equal(incoming.incoming.source.flowId, flowId, 'over the connection Bob registered on');
    assert.equal((await session.bye()).status, 200);
    await bob.close();
    await until(async () => ((await bindingsOf(BOB.extension)).length === 0 ? true : undefined), 'the binding to go with its connection');
  });

  test('a restart keeps no binding that needs a connection: a clean stop drops them, and those a crash left behind are not restored', async () => {
    const restartable = await startHarness({ protocols: ['udp', 'tcp'] });
    let restarted: IpbxHarness | undefined;
    try {
      const bob = await SipPhone.start({ user: BOB.extension, domain: DOMAIN, protocol: 'tcp', proxy: { protocol: 'tcp', address: '127.0.0.1', port: restartable.port('tcp') } });
      phones.push(bob);
      assert.equal((await register(bob, BOB.password, undefined)).status, 200);
      const alice = await SipPhone.start({ user: ALICE.extension, domain: DOMAIN, proxy: { protocol: 'udp', address: '127.0.0.1', port: restartable.port('udp') } });
      phones.push(alice);
      assert.equal((await register(alice, ALICE.password, undefined)).status, 200);
      const before = (await (await restartable.api('/api/v1/registrations')).json() as { items: BindingView[] }).items;
      const tcpBinding = before.find((b) => b.protocol === 'tcp') ?? assert.fail('the TCP binding is listed');
      await restartable.close();

      // What a crash leaves in the store: the TCP binding, with the id of a flow that no longer exists.
      const db = openDatabase(restartable.dataDir);
      new SqliteBindingStore(db).save({
        extension: tcpBinding.extension, contact: tcpBinding.contact, expiresAt: Date.now() + 600_000, q: 1, callId: 'crashed', cseq: 1,
        protocol: 'tcp', source: tcpBinding.source, flowId: 'tcp-flow-of-a-dead-process', registeredAt: Date.now(),
      });
      db.close();

      restarted = await startHarness({ dataDir: restartable.dataDir, protocols: ['udp', 'tcp'] });
      const after = (await (await restarted.api('/api/v1/registrations')).json() as { items: BindingView[] }).items;
      assert.deepEqual(after.map((b) => `${b.extension} ${b.protocol}`), ['1001 udp'], 'the UDP binding survives, the TCP one does not');
    } finally {
      await restarted?.close();
    }
  });
});
