// Reports of a run: JUnit XML that parses and carries stable ids and the failing step, one JSON
// document, HTML with steps, figures and a SIP ladder; and the --report option's syntax.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlReport, jsonReport, junitReport, parseReportOption, ScenarioError, type RunSummary } from '../../scenarios/runner/index.ts';

/** A small well-formedness check: balanced tags, quoted attributes, known entities, one root. */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|&(?!(?:amp|lt|gt|quot|apos|#\d+);)|<(?![A-Za-z/])/g;
  for (const m of body.matchAll(token)) {
    assert.ok(m[2] !== undefined, `stray markup at ${m.index}: ${body.slice(m.index, m.index + 20)}`);
    if (m[1] === '/') assert.equal(stack.pop(), m[2], `mismatched </${m[2]}> at ${m.index}`);
    else if (m[4] !== '/') {
      if (stack.length === 0) roots++;
      stack.push(m[2]);
    } else if (stack.length === 0) roots++;
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'one root element');
}

const SUMMARY: RunSummary = {
  startedAt: '2026-01-01T00:00:00.000Z', durationMs: 2500, passed: 1, failed: 1,
  scenarios: [
    {
      id: 'ex/basic.yaml#basic call', file: 'ex/basic.yaml', name: 'basic call', verdict: 'passed', durationMs: 1200, phones: ['alice', 'bob'],
      steps: [{ number: 1, line: 9, kind: 'call', label: 'call alice → bob', verdict: 'passed', startMs: 10, durationMs: 1, timings: { postDialDelayMs: 12, setupMs: 40, timeToAudioMs: 20 } }],
      sip: [
        { atMs: 10, phone: 'alice', direction: 'sent', label: 'INVITE', callId: 'c1', cseq: '1 INVITE' },
        { atMs: 15, phone: 'bob', direction: 'received', label: 'INVITE', callId: 'c2', cseq: '1 INVITE' },
        { atMs: 16, phone: 'bob', direction: 'sent', label: '486 Busy Here', callId: 'c2', cseq: '1 INVITE' },
      ],
    },
    {
      id: 'ex/fail.yaml#tone <nobody> sends & "more"', file: 'ex/fail.yaml', name: 'tone <nobody> sends & "more"', verdict: 'failed', durationMs: 1300, phones: ['alice'],
      failure: 'step 2 (line 12) expect alice hears 700 Hz: not within 1000 ms: 700 Hz not detected',
      steps: [
        { number: 1, line: 11, kind: 'register', label: 'register alice', verdict: 'passed', startMs: 0, durationMs: 5 },
        { number: 2, line: 12, kind: 'expect', label: 'expect alice hears 700 Hz', verdict: 'failed', startMs: 5, durationMs: 1000, message: 'not within 1000 ms: 700 Hz not detected' },
        { number: 3, line: 13, kind: 'hangup', label: 'hangup alice', verdict: 'skipped', startMs: 0, durationMs: 0 },
      ],
      sip: [],
    },
  ],
};

test('JUnit XML is well formed, with one case per scenario named by its stable id, and the failure', () => {
  const xml = junitReport(SUMMARY);
  assertWellFormedXml(xml);
  assert.match(xml, /<testsuites name="voiplab scenarios" tests="2" failures="1"/);
  assert.match(xml, /<testcase classname="ex\/basic.yaml" name="ex\/basic.yaml#basic call" time="1.200">/);
  assert.match(xml, /name="ex\/fail.yaml#tone &lt;nobody&gt; sends &amp; &quot;more&quot;"/);
  assert.match(xml, /<failure message="step 2 \(line 12\) expect alice hears 700 Hz: not within 1000 ms: 700 Hz not detected"/);
  assert.match(xml, /postDialDelayMs=12 setupMs=40 timeToAudioMs=20/);
});

test('the JSON report is one document holding the whole summary', () => {
  const parsed = JSON.parse(jsonReport(SUMMARY)) as RunSummary & { format: string; version: number };
  assert.equal(parsed.format, 'voiplab-scenario-report');
  assert.equal(parsed.version, 1);
  assert.deepEqual(parsed.scenarios, SUMMARY.scenarios);
});

test('the HTML report shows steps, figures, verdicts and a SIP ladder, escaped', () => {
  const html = htmlReport(SUMMARY);
  assert.match(html, /<h1>voiplab scenarios: 1 passed, 1 failed<\/h1>/);
  assert.match(html, /post-dial delay 12 ms, setup time 40 ms, time to audio 20 ms/);
  assert.match(html, /<svg [^>]*>.*<text [^>]*>alice<\/text>.*<text [^>]*>IPBX<\/text>.*<text [^>]*>bob<\/text>/s);
  assert.match(html, /486 Busy Here/);
  assert.match(html, /tone &lt;nobody&gt; sends &amp; &quot;more&quot;/);
  assert.doesNotMatch(html, /<nobody>/);
});

test('--report takes kind=PATH items, comma-separated or repeated', () => {
  assert.deepEqual(parseReportOption(['junit=out/j.xml,html=out/r.html', 'json=r.json']), { junit: 'out/j.xml', html: 'out/r.html', json: 'r.json' });
  assert.throws(() => parseReportOption(['xml=out.xml']), (err: unknown) => err instanceof ScenarioError && err.code === 'SCENARIO_REPORT_OPTION' && /junit, json, html/.test(err.message));
  assert.throws(() => parseReportOption(['junit=']), ScenarioError);
});
