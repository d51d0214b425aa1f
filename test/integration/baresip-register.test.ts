// A real baresip registers with digest authentication (RFC 3261 §10.2, §22) to the stack's test
// server through an outbound proxy URI, over UDP and TCP: the account path the IPBX tests use.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { baresipSkipReason, startBaresip } from '../helpers/baresip.ts';
import { TestServer } from '../helpers/test-server.ts';
import { toneWav } from '../helpers/tones.ts';

const skip = baresipSkipReason();

describe('baresip registers to a SIP server with digest', { skip }, () => {
  let server: TestServer;
  // MD5 only: baresip 1.0 (libre 1.x) gives up (ENOSYS) on a challenge it cannot answer, such as
  // SHA-256 (RFC 8760), instead of answering the MD5 one next to it.
  before(async () => { server = await TestServer.start({ protocols: ['udp', 'tcp'], accounts: { '1001': 'correct-horse' }, algorithms: ['MD5'] }); });
  after(() => server.close());

  for (const transport of ['udp', 'tcp'] as const) {
    test(`REGISTER is challenged, then accepted; the server holds baresip's contact (${transport.toUpperCase()})`, async () => {
      server.bindings.clear();
      const phone = await startBaresip({
        name: `reg-${transport}`, tone: await toneWav(1000),
        account: { user: '1001', domain: 'voiplab.test', password: 'correct-horse', transport, outbound: `sip:127.0.0.1:${server.port(transport)}` },
      });
      try {
        const ok = await phone.waitFor('REGISTER_OK');
        assert.equal(ok.accountaor, 'sip:1001@voiplab.test');
        const bindings = server.bindings.get('1001') ?? [];
        assert.equal(bindings.length, 1);
        assert.match(bindings[0]?.contact ?? '', new RegExp(`^sip:1001[^@]*@127\\.0\\.0\\.1:${phone.sipPort}`));
        const registers = server.received.filter((r) => r.method === 'REGISTER' && r.to.uri.toString() === 'sip:1001@voiplab.test');
        assert.ok(registers.some((r) => r.authorization.length === 0) && registers.some((r) => r.authorization.length > 0), 'one challenged, one with credentials');
      } finally {
        await phone.stop();
      }
    });
  }

  test('a wrong password ends in REGISTER_FAIL, and no binding', async () => {
    server.bindings.clear();
    const phone = await startBaresip({
      name: 'reg-wrong', tone: await toneWav(1000), waitForRegistration: false,
      account: { user: '1001', domain: 'voiplab.test', password: 'wrong', outbound: `sip:127.0.0.1:${server.port('udp')}` },
    });
    try {
      const failed = await phone.waitFor('REGISTER_FAIL');
      assert.ok(failed.param !== undefined && failed.param.length > 0, 'with a reason');
      assert.equal(server.bindings.get('1001'), undefined);
      assert.doesNotMatch(phone.output(), /auth_pass=wrong/, 'the password is masked in the output');
    } finally {
      await phone.stop();
    }
  });
});
