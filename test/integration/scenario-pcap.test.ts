// `voiplab run --pcap DIR`: one pcap per scenario of its SIP traffic with the target, linked from
// the HTML report (relative to it) and named in the JSON report; tshark reads the calls back from
// it. Without a capture tool, or with one that cannot capture, the scenario still passes and the
// reports say why there is no capture.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.ts';
import type { CliIo } from '../../cli/cli-io.ts';
import { htmlReport, loadScenarioFile, runScenario, type RunSummary } from '../../scenarios/runner/index.ts';

const UNKNOWN_NUMBER = fileURLToPath(new URL('../../scenarios/examples/unknown-number.yaml', import.meta.url));
const noRtpengine = existsSync('/usr/bin/rtpengine') ? false : 'rtpengine (Debian rtpengine-daemon) is not installed';
const noCapture = existsSync('/usr/bin/dumpcap') && existsSync('/usr/bin/tshark') ? noRtpengine : 'dumpcap and tshark (Debian tshark) are not installed';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'voiplab-pcap-test-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

test('voiplab run --pcap writes the scenario\'s SIP traffic to a pcap the reports link to', { skip: noCapture, timeout: 60_000 }, async () => {
  const out: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => out.push(l), env: {} };
  const pcapDir = join(dir, 'pcap');
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  const code = await main(['run', UNKNOWN_NUMBER, '--pcap', pcapDir, '--report', `json=${json},html=${html}`], io);
  assert.equal(code, 0, out.join('\n'));
  const file = join(pcapDir, 'unknown-number--unknown-number-is-answered-404.pcap');
  assert.ok(out.includes(`  pcap ${file}`), out.join('\n'));
  const summary = JSON.parse(await readFile(json, 'utf8')) as RunSummary;
  assert.deepEqual(summary.scenarios[0]?.capture, { file });
  assert.match(await readFile(html, 'utf8'), /<a href="pcap\/unknown-number--unknown-number-is-answered-404\.pcap">/);
  // The capture holds the calls the phones made: REGISTER (challenged, then accepted), INVITE, 404.
  const lines = execFileSync('tshark', ['-r', file, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Method', '-e', 'sip.Status-Code'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n').map((l) => l.trim()).filter((l) => l !== '');
  assert.ok(lines.includes('REGISTER'), lines.join(' | '));
  assert.ok(lines.includes('INVITE'), lines.join(' | '));
  assert.ok(lines.includes('404'), lines.join(' | '));
});

test('without a capture tool, or one that cannot capture, the scenario passes and the reports say why', { skip: noRtpengine, timeout: 60_000 }, async () => {
  const loaded = await loadScenarioFile(UNKNOWN_NUMBER);
  const missing = await runScenario(loaded, { pcapDir: join(dir, 'none'), captureTools: ['/nonexistent/dumpcap'] });
  assert.equal(missing.verdict, 'passed', missing.failure);
  assert.deepEqual(missing.capture, { unavailable: 'no capture tool: none of /nonexistent/dumpcap is installed (Debian package tshark)' });
  const summary: RunSummary = { startedAt: new Date().toISOString(), durationMs: missing.durationMs, passed: 1, failed: 0, scenarios: [missing] };
  assert.match(htmlReport(summary), /No packet capture: no capture tool: none of \/nonexistent\/dumpcap is installed/);
  // /bin/false stands for a tool that may not capture (no permission): it exits before capturing.
  const refused = await runScenario(loaded, { pcapDir: join(dir, 'none'), captureTools: ['/bin/false'] });
  assert.equal(refused.verdict, 'passed', refused.failure);
  assert.deepEqual(refused.capture, { unavailable: '/bin/false cannot capture on lo: it exited at once' });
});
