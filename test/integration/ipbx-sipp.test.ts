// SIPp through a real IPBX (startIpbx from its config file), over UDP and TCP: SIPp registers as
// 1002 with digest (401, REGISTER with credentials, 200) from the port it then answers calls on,
// and a second SIPp calls it as 1001 with digest (INVITE, 407, INVITE with credentials). Every
// call flow of the issue: answer, busy (486), no answer (480 after calls.noAnswerTimeout), caller
// CANCEL (487) and unknown number (404). Each SIPp must exit 0 (every message it expected came,
// in order), and the CDR API must give the flow's cause.
//
// The called SIPp runs ipbx-register-wait.xml (a UAC scenario: REGISTER, then wait) with the
// callee's part as its out-of-call scenario (-oocsf ipbx-uas-*.xml): the IPBX's INVITE carries a
// Call-ID of its own, which SIPp hands to that scenario. The two share a SIPp global variable, so
// the registering scenario only ends (and SIPp only exits 0) once the callee's part has played.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { freePort, runSipp, type SippResult } from '../helpers/sipp.ts';

const scenario = (name: string) => fileURLToPath(new URL(`./sipp/${name}`, import.meta.url));
const DOMAIN = 'voiplab.test';
const CALLER = { extension: '1001', password: 'alice-secret-1001' };
const CALLEE = { extension: '1002', password: 'bob-secret-1002' };
const NO_ANSWER_SECONDS = 3;
const SIPP_TIMEOUT_MS = 20_000;

interface CdrView { id: string; caller: string; callee: string; cause: string; status: number | null; answeredAt: number | null }

function explain(who: string, result: SippResult): string {
  return `${who} exited ${result.code}\n--- errors ---\n${result.errors.slice(-3000)}\n--- stderr ---\n${result.stderr.slice(-1000)}\n--- messages ---\n${result.messages.slice(-5000)}`;
}

/** Polls `probe` until it returns a value (not undefined); bounded. */
async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(25);
  }
}

for (const protocol of ['udp', 'tcp'] as const) {
  describe(`SIPp → IPBX → SIPp over ${protocol.toUpperCase()} (digest on both sides)`, () => {
    let ipbx: IpbxHarness;
    const remote = () => `127.0.0.1:${ipbx.port(protocol)}`;

    before(async () => {
      ipbx = await startHarness({
        protocols: [protocol],
        // maxContacts 1: each test's SIPp registers from a new port and replaces the previous one,
        // so no call forks to a SIPp that has already exited.
        accounts: [{ ...CALLER, displayName: 'Alice' }, { ...CALLEE, displayName: 'Bob', maxContacts: 1 }],
        extra: { calls: { noAnswerTimeout: NO_ANSWER_SECONDS } },
      });
    });
    after(() => ipbx.close());

    async function cdrCount(): Promise<number> {
      const body = await (await ipbx.api('/api/v1/cdrs?limit=1')).json() as { total: number };
      return body.total;
    }

    /** The CDR written after `before` CDRs existed (the newest), waiting for it. */
    function nextCdr(before: number): Promise<CdrView> {
      return until(async () => {
        const body = await (await ipbx.api('/api/v1/cdrs?limit=1')).json() as { total: number; items: CdrView[] };
        return body.total > before ? body.items[0] : undefined;
      }, 'the call\'s CDR');
    }

    /** SIPp registers as 1002 from its own port, then plays `uas` for the call it gets there. */
    async function registeredCallee(uas: string): Promise<{ done: Promise<SippResult>; kill: () => void; port: number }> {
      const port = await freePort();
      const sipp = runSipp({
        scenario: scenario('ipbx-register-wait.xml'), remote: remote(), transport: protocol, localPort: port,
        fields: [[CALLEE.extension, '', DOMAIN]], timeoutMs: SIPP_TIMEOUT_MS,
        extraArgs: ['-au', CALLEE.extension, '-ap', CALLEE.password, '-oocsf', scenario(uas)],
      });
      try {
        await until(async () => {
          const body = await (await ipbx.api(`/api/v1/registrations?extension=${CALLEE.extension}`)).json() as { items: Array<{ contact: string; protocol: string }> };
          return body.items.find((b) => b.contact.includes(`@127.0.0.1:${port}`) && b.protocol === protocol);
        }, `SIPp's registration of ${CALLEE.extension} from port ${port}`, 10_000);
      } catch (err) {
        sipp.kill();
        const result = await sipp.done;
        throw new Error(`${(err as Error).message}\n${explain('the registering SIPp', result)}`, { cause: err });
      }
      return { done: sipp.done, kill: sipp.kill, port };
    }

    function call(uac: string, number: string): Promise<SippResult> {
      return freePort().then((port) => runSipp({
        scenario: scenario(uac), remote: remote(), transport: protocol, localPort: port, service: number,
        fields: [[CALLER.extension, '', DOMAIN]], timeoutMs: SIPP_TIMEOUT_MS,
        extraArgs: ['-au', CALLER.extension, '-ap', CALLER.password],
      }).done);
    }

    async function flow(uac: string, uas: string | undefined, number = CALLEE.extension) {
      const before = await cdrCount();
      const callee = uas === undefined ? undefined : await registeredCallee(uas);
      const caller = await call(uac, number);
      if (caller.code !== 0) callee?.kill(); // it would wait for its call until SIPp's own timeout
      assert.equal(caller.code, 0, explain('the calling SIPp', caller));
      const calleeResult = await callee?.done;
      if (calleeResult !== undefined) assert.equal(calleeResult.code, 0, explain('the called SIPp', calleeResult));
      const cdr = await nextCdr(before);
      return { caller, callee: calleeResult, calleePort: callee?.port, cdr };
    }

    test('answer: INVITE, 407, INVITE with credentials, 100, 180, 200, ACK, BYE relayed; CDR "answered"', async () => {
      const { caller, callee, calleePort, cdr } = await flow('ipbx-uac-call.xml', 'ipbx-uas-answer.xml');
      // The callee registered with digest: 401, REGISTER with credentials, 200 listing its contact (RFC 3261 §10.2, §22.4).
      const registers = (callee?.messages ?? '').split(/-{20,}/).filter((m) => /^REGISTER /m.test(m));
      const cseqs = new Set(registers.map((m) => `${/^CSeq: (\d+)/m.exec(m)?.[1] ?? '?'}${/^Authorization: Digest/m.test(m) ? ' with credentials' : ''}`));
      assert.deepEqual([...cseqs].sort(), ['1', '2 with credentials'], 'one REGISTER challenged, then one with credentials (retransmissions aside)');
      assert.match(callee?.messages ?? '', /SIP\/2\.0 401 Unauthorized[\s\S]*WWW-Authenticate: Digest realm="voiplab\.test"[^\r\n]*algorithm=MD5/);
      assert.match(callee?.messages ?? '', /Authorization: Digest username="1002"/);
      assert.match(callee?.messages ?? '', /SIP\/2\.0 200 OK[\s\S]*Contact: <sip:1002@127\.0\.0\.1:\d+;transport=(UDP|TCP)>;expires=\d+/i);
      // The call came back to the port SIPp registered from, over the same transport.
      assert.match(callee?.messages ?? '', new RegExp(`^INVITE sip:1002@127\\.0\\.0\\.1:${calleePort ?? 0}`, 'm'));
      assert.match(caller.messages, /SIP\/2\.0 407 Proxy Authentication Required[\s\S]*Proxy-Authenticate: Digest realm="voiplab\.test"/);
      assert.match(caller.messages, /Proxy-Authorization: Digest username="1001"/);
      // The callee's leg is the B2BUA's own dialog, with the caller's identity from the account.
      assert.match(callee?.messages ?? '', /From: "Alice" <sip:1001@voiplab\.test>;tag=/);
      assert.doesNotMatch(callee?.messages ?? '', /Proxy-Authorization/, 'credentials stay on the caller\'s leg');
      assert.equal(cdr.cause, 'answered');
      assert.equal(cdr.status, 200);
      assert.equal(cdr.caller, CALLER.extension);
      assert.equal(cdr.callee, CALLEE.extension);
      assert.notEqual(cdr.answeredAt, null);
    });

    test('busy: the callee\'s 486 reaches the caller; CDR "busy"', async () => {
      const { cdr } = await flow('ipbx-uac-busy.xml', 'ipbx-uas-busy.xml');
      assert.equal(cdr.cause, 'busy');
      assert.equal(cdr.status, 486);
      assert.equal(cdr.answeredAt, null);
    });

    test(`no answer: after calls.noAnswerTimeout (${NO_ANSWER_SECONDS} s) the callee gets CANCEL and the caller 480; CDR "no-answer"`, async () => {
      const { callee, cdr } = await flow('ipbx-uac-no-answer.xml', 'ipbx-uas-ring.xml');
      assert.match(callee?.messages ?? '', /^CANCEL sip:/m);
      assert.equal(cdr.cause, 'no-answer');
      assert.equal(cdr.status, 480);
    });

    test('caller CANCEL after 180: 200 to the CANCEL, 487 to the INVITE, CANCEL relayed to the callee; CDR "cancelled"', async () => {
      const { callee, cdr } = await flow('ipbx-uac-cancel.xml', 'ipbx-uas-ring.xml');
      assert.match(callee?.messages ?? '', /^CANCEL sip:/m);
      assert.equal(cdr.cause, 'cancelled');
      assert.equal(cdr.status, 487);
    });

    test('unknown number: authenticated first (407), then 404; CDR "unknown-number"', async () => {
      const { caller, cdr } = await flow('ipbx-uac-unknown.xml', undefined, '5555');
      assert.match(caller.messages, /SIP\/2\.0 407 /);
      assert.equal(cdr.cause, 'unknown-number');
      assert.equal(cdr.status, 404);
      assert.equal(cdr.callee, '5555');
    });
  });
}
