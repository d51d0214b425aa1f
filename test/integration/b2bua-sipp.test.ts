// The B2BUA between two foreign SIP implementations: SIPp's built-in `uac` calls through it to
// SIPp's built-in `uas` (INVITE, 180, 200 with SDP, ACK, BYE relayed leg to leg), over UDP and
// TCP; each SIPp exits 0 only when every message it expected came, in its own dialog.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { rule, B2buaHarness } from '../helpers/b2bua-harness.ts';
import { eventually } from '../helpers/sip-phone.ts';
import { freePort, runSipp, type SippResult } from '../helpers/sipp.ts';

function explain(who: string, result: SippResult): string {
  return `${who} exited ${result.code}\n--- errors ---\n${result.errors}\n--- stderr ---\n${result.stderr}\n--- messages ---\n${result.messages.slice(-4000)}`;
}

/** SIPp needs a moment to bind its TCP listener; UDP needs no wait (the INVITE is retransmitted, RFC 3261 §17.1.1.2). */
async function listening(protocol: 'udp' | 'tcp', port: number): Promise<void> {
  if (protocol === 'udp') return;
  let up = false;
  let stopped = false;
  const probe = () => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => { up = true; socket.destroy(); });
    socket.on('error', () => { if (!stopped) setTimeout(probe, 50); });
  };
  probe();
  try {
    await eventually(() => up, `SIPp listening on TCP ${port}`);
  } finally {
    stopped = true;
  }
}

for (const protocol of ['udp', 'tcp'] as const) {
  test(`SIPp uac → B2BUA → SIPp uas over ${protocol.toUpperCase()}: the call is set up and torn down on both legs`, async (t) => {
    const ipbx = await B2buaHarness.start({
      accounts: [{ extension: 'sipp', displayName: 'SIPp Caller' }, { extension: '2000', displayName: 'SIPp Callee' }],
      rules: [rule('2000', { type: 'account' })],
      protocols: [protocol],
    });
    t.after(() => ipbx.close());
    const uasPort = await freePort();
    const uas = runSipp({ scenario: 'uas', transport: protocol, localPort: uasPort, timeoutMs: 20_000 });
    t.after(() => uas.kill());
    // SIPp does not register: its binding is put in the location directly, as the registrar would.
    ipbx.location.add({
      extension: '2000',
      contact: `sip:2000@127.0.0.1:${uasPort}${protocol === 'tcp' ? ';transport=tcp' : ''}`,
      expiresAt: Date.now() + 60_000, q: 1, callId: 'sipp-uas', cseq: 1,
      protocol, source: { address: '127.0.0.1', port: uasPort }, flowId: '', registeredAt: Date.now(),
    });
    await listening(protocol, uasPort);

    const uac = runSipp({
      scenario: 'uac', transport: protocol, localPort: await freePort(), timeoutMs: 20_000,
      remote: `127.0.0.1:${ipbx.target(protocol).port}`, service: '2000', extraArgs: ['-d', '200'],
    });
    t.after(() => uac.kill());
    const caller = await uac.done;
    assert.equal(caller.code, 0, explain('the SIPp uac', caller));
    const callee = await uas.done;
    assert.equal(callee.code, 0, explain('the SIPp uas', callee));

    await ipbx.cdrsAtLeast(1);
    const cdr = ipbx.cdrs[0];
    assert.equal(cdr?.cause, 'answered');
    assert.equal(cdr.caller, 'sipp');
    assert.equal(cdr.callerName, 'SIPp Caller');
    assert.equal(cdr.callee, '2000');
    // The callee saw the B2BUA's own dialog, with the caller's account as From.
    assert.match(callee.messages, /From: "SIPp Caller" <sip:sipp@voiplab\.test>;tag=/);
    const callIds = [...new Set([...callee.messages.matchAll(/^Call-ID: (.+)$/gm)].map((m) => m[1]?.trim()))];
    const callerCallIds = new Set([...caller.messages.matchAll(/^Call-ID: (.+)$/gm)].map((m) => m[1]?.trim()));
    assert.ok(callIds.length > 0 && callIds.every((id) => !callerCallIds.has(id)), 'the caller\'s Call-ID never reached the callee');
    assert.deepEqual(ipbx.errors, []);
  });
}
