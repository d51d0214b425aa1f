// MESSAGE between accounts (RFC 3428 pager mode) through the B2BUA, over real sockets:
// authenticated, routed by the dialplan, delivered to every contact of the target with the
// sender's identity, answered by the first 2xx; 404/480 and callee refusals otherwise.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { B2buaHarness } from '../helpers/b2bua-harness.ts';
import { eventually } from '../helpers/sip-phone.ts';

const ACCOUNTS = [
  { extension: '1001', displayName: 'Alice' },
  { extension: '1002', displayName: 'Bob' },
  { extension: '1003', displayName: 'Carol' },
];

test('MESSAGE reaches every contact of the account, From the sender\'s account; the first 2xx answers', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const desk = await ipbx.phone({ user: '1002' });
  const soft = await ipbx.phone({ user: '1002', protocol: 'tcp' });

  const response = await alice.message('1002', 'lunch?');
  assert.equal(response.status, 200);
  await eventually(() => desk.messages.length === 1 && soft.messages.length === 1, 'the MESSAGE at both contacts');
  for (const phone of [desk, soft]) {
    const message = phone.messages[0];
    assert.equal(message?.body.toString(), 'lunch?');
    assert.equal(message.headers.get('Content-Type'), 'text/plain');
    assert.equal(message.from.displayName, 'Alice');
    assert.equal(message.from.uri.toString(), `sip:1001@${ipbx.domain}`);
    assert.equal(message.to.uri.toString(), `sip:1002@${ipbx.domain}`);
  }
  assert.equal(ipbx.cdrs.length, 0, 'messages are not calls');
});

test('MESSAGE to an unknown number: 404; to an offline account: 480; refused by the callee: its status', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const alice = await ipbx.phone({ user: '1001' });
  const bob = await ipbx.phone({ user: '1002' });
  bob.messageStatus = 486;

  assert.equal((await alice.message('1999', 'hello?')).status, 404);
  assert.equal((await alice.message('1003', 'hello?')).status, 480);
  assert.equal((await alice.message('1002', 'hello?')).status, 486);
});

test('MESSAGE from an unknown sender is refused by the authenticator', async (t) => {
  const ipbx = await B2buaHarness.start({ accounts: ACCOUNTS });
  t.after(() => ipbx.close());
  const mallory = await ipbx.phone({ user: '6666', register: false });
  const bob = await ipbx.phone({ user: '1002' });
  assert.equal((await mallory.message('1002', 'spam')).status, 403);
  assert.equal(bob.messages.length, 0);
});
