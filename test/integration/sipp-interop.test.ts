// Interoperability with SIPp (Debian sip-tester), a SIP implementation nobody here wrote:
// SIPp as UAC against a server built on the stack, and the stack's client against SIPp as UAS,
// over UDP and TCP on 127.0.0.1.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Dialog } from '../../ipbx/sip/dialog/index.ts';
import { SipUri, type SipResponse } from '../../ipbx/sip/message/index.ts';
import { TransportLayer, type TransportProtocol } from '../../ipbx/sip/transport/index.ts';
import { SipStack } from '../../ipbx/sip/ua/index.ts';
import { freePort, runSipp, type SippResult } from '../helpers/sipp.ts';
import { TestServer } from '../helpers/test-server.ts';

const scenario = (name: string) => fileURLToPath(new URL(`./sipp/${name}`, import.meta.url));

function explain(result: SippResult): string {
  return `SIPp exited ${result.code}\n--- errors ---\n${result.errors}\n--- stderr ---\n${result.stderr}\n--- messages ---\n${result.messages.slice(-4000)}`;
}

const OFFER = [
  'v=0', 'o=voiplab 2 2 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 41000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');

for (const protocol of ['udp', 'tcp'] as const) {
  describe(`SIPp UAC → stack server over ${protocol.toUpperCase()}`, () => {
    let server: TestServer;
    before(async () => { server = await TestServer.start({ protocols: [protocol] }); });
    after(() => server.close());
    const remote = () => `127.0.0.1:${server.port(protocol)}`;

    test('OPTIONS is answered 200 with Allow (RFC 3261 §11.2)', async () => {
      const result = await runSipp({ scenario: scenario('uac-options.xml'), remote: remote(), transport: protocol, localPort: await freePort(), service: 'server' }).done;
      assert.equal(result.code, 0, explain(result));
    });

    test('REGISTER is challenged, then accepted with digest credentials (RFC 3261 §10.2, §22)', async () => {
      const result = await runSipp({
        scenario: scenario('uac-register-digest.xml'), remote: remote(), transport: protocol,
        localPort: await freePort(), fields: [['alice', 'wonderland']],
      }).done;
      assert.equal(result.code, 0, explain(result));
      const bindings = server.bindings.get('alice') ?? [];
      assert.equal(bindings.length, 1);
      assert.match(bindings[0]?.contact ?? '', /^sip:alice@127\.0\.0\.1:\d+/);
    });

    test('REGISTER with a wrong password is refused with a new 401 (RFC 3261 §22.3)', async () => {
      server.bindings.clear();
      const result = await runSipp({
        scenario: scenario('uac-register-wrong-password.xml'), remote: remote(), transport: protocol,
        localPort: await freePort(), fields: [['alice', 'wonderland']],
      }).done;
      assert.equal(result.code, 0, explain(result));
      assert.equal(server.bindings.get('alice'), undefined);
    });

    test('INVITE dialog: 180, 200 with SDP, ACK, BYE (RFC 3261 §13, §15)', async () => {
      const before = server.received.length;
      const result = await runSipp({ scenario: 'uac', remote: remote(), transport: protocol, localPort: await freePort(), service: 'server', extraArgs: ['-d', '200'] }).done;
      assert.equal(result.code, 0, explain(result));
      // Retransmissions are absorbed by the transactions: the application sees each request once.
      assert.deepEqual(server.received.slice(before).map((r) => r.method), ['INVITE', 'ACK', 'BYE']);
      assert.equal(server.dialogs.size, 0, 'the BYE ended the dialog');
    });
  });
}

for (const protocol of ['udp', 'tcp'] as const) {
  describe(`stack client → SIPp UAS over ${protocol.toUpperCase()}`, () => {
    let transport: TransportLayer;
    let stack: SipStack;
    before(async () => {
      transport = new TransportLayer({ listeners: [{ protocol, address: '127.0.0.1', port: 0 }] });
      await transport.start();
      stack = new SipStack({ transport });
    });
    after(() => stack.close());

    const sippUri = (port: number, user = 'service') =>
      new SipUri({ user, host: '127.0.0.1', port, params: protocol === 'tcp' ? new Map([['transport', 'tcp']]) : new Map() });

    test('OPTIONS, then REGISTER answering SIPp\'s digest challenge (checked by SIPp verifyauth)', async () => {
      const port = await freePort();
      const sipp = runSipp({ scenario: scenario('uas-options-register.xml'), transport: protocol, localPort: port });
      await waitForListener(protocol, port);
      // One SIPp "call" handles both requests, so they share a Call-ID.
      const from = `<sip:alice@127.0.0.1>`;
      const callId = `options-register-${protocol}`;
      const options = await stack.send(stack.createRequest('OPTIONS', sippUri(port), { from, callId }));
      assert.equal(options.status, 200);
      const register = stack.createRequest('REGISTER', new SipUri({ host: '127.0.0.1', port, params: sippUri(port).params }), {
        from, to: from, callId, contact: stack.contactFor(protocol, 'alice'), headers: [['Expires', '120']],
      });
      const registered = await stack.send(register, { credentials: { username: 'alice', password: 'wonderland' } });
      assert.equal(registered.status, 200, `REGISTER ended with ${registered.status} ${registered.reason}`);
      const result = await sipp.done;
      assert.equal(result.code, 0, explain(result));
    });

    test('INVITE dialog against SIPp uas: 180, 200, ACK, BYE 200', async () => {
      const port = await freePort();
      const sipp = runSipp({ scenario: 'uas', transport: protocol, localPort: port });
      await waitForListener(protocol, port);
      const contact = stack.contactFor(protocol, 'alice');
      const invite = stack.createRequest('INVITE', sippUri(port), { from: '<sip:alice@127.0.0.1>', contact, body: OFFER });
      const provisional: SipResponse[] = [];
      const answer = await stack.send(invite, { onProvisional: (r) => provisional.push(r) });
      assert.equal(answer.status, 200);
      assert.ok(provisional.some((r) => r.status === 180), 'a 180 Ringing came first');
      const dialog = Dialog.fromUacResponse(invite, answer, contact);
      await stack.ack(dialog, invite.cseq.seq);
      const bye = await stack.sendInDialog(dialog, 'BYE');
      assert.equal(bye.status, 200);
      const result = await sipp.done;
      assert.equal(result.code, 0, explain(result));
    });
  });
}

/** SIPp needs a moment to bind; a UDP peer cannot be probed, so wait for its process to be up. */
async function waitForListener(protocol: TransportProtocol, port: number): Promise<void> {
  const { createConnection } = await import('node:net');
  const deadline = Date.now() + 5000;
  if (protocol === 'tcp') {
    while (Date.now() < deadline) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`SIPp did not listen on TCP ${port}`);
  }
  // UDP: the stack retransmits (Timer A/E), so a request sent before SIPp binds is still delivered.
  await new Promise((r) => setTimeout(r, 300));
}
