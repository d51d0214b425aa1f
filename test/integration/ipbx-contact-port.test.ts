// A UA that registers from one UDP port and takes calls on another (SIPp, some softphones):
// when the Contact names the very address the REGISTER came from, nothing rewrote it, so calls go
// to the Contact's port; behind a NAT (another address) they go to the REGISTER's source.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { SipStack, SipUri, TransportLayer } from '../../ipbx/sip/index.ts';
import { startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';

let ipbx: IpbxHarness;
let registrar: SipStack;
let caller: SipStack;
let callee: Socket;

async function udpStack(): Promise<SipStack> {
  const transport = new TransportLayer({ listeners: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] });
  await transport.start();
  return new SipStack({ transport });
}

before(async () => {
  ipbx = await startHarness();
  registrar = await udpStack();
  caller = await udpStack();
  callee = createSocket('udp4');
  await new Promise<void>((resolve) => callee.bind(0, '127.0.0.1', resolve));
});
after(async () => {
  callee.close();
  await registrar.close();
  await caller.close();
  await ipbx.close();
});

test('calls reach the Contact port when the Contact names the REGISTER\'s own address', async () => {
  const ipbxUri = new SipUri({ host: '127.0.0.1', port: ipbx.port('udp') });
  const aor = `<sip:1002@${ipbx.domain}>`;
  const contact = `<sip:1002@127.0.0.1:${callee.address().port}>`;
  const register = registrar.createRequest('REGISTER', ipbxUri, { from: aor, to: aor, contact, headers: [['Expires', '120']] });
  const registered = await registrar.send(register, { credentials: { username: '1002', password: 'bob-secret-1002' } });
  assert.equal(registered.status, 200);

  const invites = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no INVITE reached the Contact port')), 5000);
    callee.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('INVITE ')) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
  const invite = caller.createRequest('INVITE', new SipUri({ user: '1002', host: '127.0.0.1', port: ipbx.port('udp') }), {
    from: `<sip:1001@${ipbx.domain}>`, to: `<sip:1002@${ipbx.domain}>`, contact: caller.contactFor('udp', '1001'),
    body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n',
  });
  const outcome = caller.send(invite, { credentials: { username: '1001', password: 'alice-secret-1001' } });
  const received = await invites;
  assert.match(received, /^INVITE sip:1002@127\.0\.0\.1:\d+ SIP\/2\.0/);
  // The callee never answers: the caller's CANCEL-free timeout is not this test's concern; hang up through the API.
  const calls = await (await ipbx.api('/api/v1/calls')).json() as { items: Array<{ id: string }> };
  for (const call of calls.items) await ipbx.api(`/api/v1/calls/${call.id}`, { method: 'DELETE' });
  const final = await outcome;
  assert.ok(final.status >= 400, `the caller gets a final failure after the hang-up (${final.status})`);
});
