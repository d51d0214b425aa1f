// The `sip` target against foreign servers: Kamailio (a registrar and stateful proxy with no media
// relay, so the phones' RTP flows directly between them) and a voiplab IPBX started on its own.
// Passwords come from the environment, never the file. A server that does not answer fails the
// register step with a message naming it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { freePort } from '../../scenarios/runner/phones/free-port.ts';
import { parseScenarioText, runScenario } from '../../scenarios/runner/index.ts';
import { rtpengineMedia, startHarness, type IpbxHarness } from '../helpers/ipbx-harness.ts';
import { kamailioMissing, startKamailio, type Kamailio } from '../helpers/kamailio.ts';

const PASSWORD_VARIABLES = { VOIPLAB_TEST_ALICE_PW: 'alice-secret-1001', VOIPLAB_TEST_BOB_PW: 'bob-secret-1002' };

/** A call both ways with tones: the proof that signalling and media work through the target. */
function callScenario(name: string, target: string, bobTransport: 'udp' | 'tcp'): string {
  return `name: ${name}
target: ${target}
accounts:
  - { extension: "1001", passwordEnv: VOIPLAB_TEST_ALICE_PW }
  - { extension: "1002", password: "\${VOIPLAB_TEST_BOB_PW}" }
phones:
  alice: { account: "1001", tone: 1000 }
  bob: { account: "1002", tone: 1500, transport: ${bobTransport} }
steps:
  - register: alice
  - register: bob
  - expect: { phone: alice, registration: registered }
  - call: { from: alice, to: bob }
  - expect: { phone: bob, call: ringing }
  - expect: { phone: alice, call: ringing }
  - answer: bob
  - expect: { phone: alice, call: connected }
  - expect: { phone: alice, hears: 1500, within: 3s }
  - expect: { phone: bob, hears: 1000, within: 3s }
  - hangup: alice
  - expect: { phone: bob, call: ended, cause: remote-hangup }
  - call: { from: alice, to: "9999" }
  - expect: { phone: alice, call: ended, cause: rejected, status: 404 }
`;
}

function failures(result: Awaited<ReturnType<typeof runScenario>>): string {
  return `${result.failure ?? ''}\n${result.steps.map((s) => `${s.verdict} ${s.label} ${s.message ?? ''}`).join('\n')}`;
}

before(() => { Object.assign(process.env, PASSWORD_VARIABLES); });
after(() => { for (const name of Object.keys(PASSWORD_VARIABLES)) Reflect.deleteProperty(process.env, name); });

test('sip target: two desk phones register with Kamailio, call, and hear each other (RTP directly between them)', { skip: kamailioMissing, timeout: 60_000 }, async (t) => {
  const kamailio: Kamailio = await startKamailio('kamailio.test');
  t.after(() => kamailio.stop());
  const scenario = callScenario('call through kamailio', `{ kind: sip, host: 127.0.0.1, port: ${kamailio.port}, domain: kamailio.test }`, 'tcp');
  const result = await runScenario(parseScenarioText(scenario, 'kamailio.yaml'));
  assert.equal(result.verdict, 'passed', failures(result));
  // Kamailio's own headers reached the phones: the messages went through it, not around it.
  assert.ok(result.sip.some((m) => m.phone === 'bob' && m.direction === 'received' && m.label === 'INVITE'), 'bob received the INVITE');
  const call = result.steps.find((s) => s.kind === 'call');
  assert.ok(call?.timings?.timeToAudioMs !== undefined, `timings: ${JSON.stringify(call?.timings)}`);
});

test('sip target: a voiplab IPBX started on its own, reached over UDP', { skip: existsSync('/usr/bin/rtpengine') ? false : 'rtpengine is not installed', timeout: 60_000 }, async (t) => {
  const ipbx: IpbxHarness = await startHarness({ domain: 'pbx.example', extra: { media: rtpengineMedia() } });
  t.after(() => ipbx.close());
  const scenario = callScenario('call through a separate voiplab', `{ kind: sip, host: 127.0.0.1, port: ${ipbx.port('udp')}, transports: [udp], domain: pbx.example }`, 'udp');
  const result = await runScenario(parseScenarioText(scenario, 'voiplab.yaml'));
  assert.equal(result.verdict, 'passed', failures(result));
  // The IPBX is a B2BUA: it answered the phones' first requests with digest challenges.
  assert.ok(result.sip.some((m) => m.label.startsWith('401 ')), 'REGISTER was challenged');
});

const registerOnly = (port: number, transport: 'udp' | 'tcp'): string => `name: nobody answers
target: { kind: sip, host: 127.0.0.1, port: ${port}, domain: nowhere.test }
accounts: [{ extension: "1001", passwordEnv: VOIPLAB_TEST_ALICE_PW }]
phones:
  alice: { account: "1001", transport: ${transport} }
steps:
  - register: { phone: alice, within: 1500ms }
`;

test('sip target: a server that does not answer fails the register step, naming the server', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const udp = await runScenario(parseScenarioText(registerOnly(port, 'udp'), 'udp.yaml'));
  assert.equal(udp.failure, `step 1 (line 7) register alice: timed out after 1500 ms waiting for the response of the SIP server at udp 127.0.0.1:${port} to alice's REGISTER`);
  const tcp = await runScenario(parseScenarioText(registerOnly(port, 'tcp'), 'tcp.yaml'));
  assert.equal(tcp.failure, `step 1 (line 7) register alice: alice's REGISTER got no answer from the SIP server at tcp 127.0.0.1:${port}: it could not be sent (connection refused?)`);
});

test('sip target: a password variable that is not set stops the scenario before anything starts, naming it', { timeout: 30_000 }, async () => {
  const text = registerOnly(5060, 'udp').replace('VOIPLAB_TEST_ALICE_PW', 'VOIPLAB_TEST_UNSET_PW');
  const result = await runScenario(parseScenarioText(text, 'unset.yaml'));
  assert.equal(result.failure, 'could not start: account 1001: the environment variable VOIPLAB_TEST_UNSET_PW (its password) is not set');
  assert.deepEqual(result.sip, [], 'nothing was sent');
});
