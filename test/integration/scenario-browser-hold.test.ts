// A browser held by a desk phone hears the music on hold; after resume it should hear the desk
// phone again. It does not yet: the browser's audio track stays silent once the stream it plays
// has switched from the desk phone's SSRC to rtpengine's player and back (Chromium binds an
// unsignaled remote track to the latest SSRC it saw). Marked todo until the IPBX keeps one SSRC
// towards browsers (or signals it); the music itself is checked in the example library.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { parseScenarioText } from '../../scenarios/runner/load-scenario.ts';
import { runScenario } from '../../scenarios/runner/run-scenario.ts';
import { CHROMIUM } from '../../scenarios/runner/phones/chromium.ts';

const HOLD_AND_RESUME = `name: browser held, then resumed
timeout: 90s
defaultWithin: 10s
accounts:
  - { extension: "1001", password: desk-secret-1001 }
  - { extension: "1002", password: web-secret-1002 }
phones:
  desk: { account: "1001", tone: 1500 }
  web: { account: "1002", kind: browser, tone: 1000 }
steps:
  - register: desk
  - register: web
  - call: { from: desk, to: web }
  - answer: web
  - expect: { phone: web, hears: 1500, within: 15s }
  - hold: desk
  - expect: { phone: web, hears: 440, listen: 300ms, within: 8s }
  - resume: desk
  - expect: { phone: web, hears: 1500, within: 8s }
`;

test('a browser hears the desk phone again after being held with music', {
  skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`,
  todo: 'after music on hold the browser hears silence (SSRC switch back to the relayed stream)',
  timeout: 120_000,
}, async () => {
  const result = await runScenario(parseScenarioText(HOLD_AND_RESUME, 'browser-hold.yaml'));
  assert.equal(result.verdict, 'passed', result.failure);
});
