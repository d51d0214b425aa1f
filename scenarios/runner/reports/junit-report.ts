// JUnit XML for CI: one <testsuite> per scenario file, one <testcase> per scenario whose name is
// the stable id (file + scenario name), a <failure> naming the step and why, and the steps with
// their timings as the case's system-out.

import type { RunSummary, ScenarioResult } from '../scenario-result.ts';

export function escapeXml(text: string): string {
  // XML 1.0 has no place for most control characters, even escaped: drop them.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function stepLines(result: ScenarioResult): string {
  return result.steps.map((s) => {
    const timings = s.timings === undefined ? '' : ` ${Object.entries(s.timings).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`;
    return `${s.verdict.padEnd(7)} ${String(s.number).padStart(2)} ${s.label} (${s.durationMs} ms)${timings}${s.message === undefined ? '' : ` — ${s.message}`}`;
  }).join('\n');
}

function testCase(result: ScenarioResult): string {
  const failure = result.verdict === 'failed' ? `\n      <failure message="${escapeXml(result.failure ?? 'failed')}" type="SCENARIO_STEP_FAILED">${escapeXml(result.failure ?? '')}</failure>` : '';
  return `    <testcase classname="${escapeXml(result.file)}" name="${escapeXml(result.id)}" time="${seconds(result.durationMs)}">${failure}
      <system-out>${escapeXml(stepLines(result))}</system-out>
    </testcase>`;
}

export function junitReport(summary: RunSummary): string {
  const byFile = new Map<string, ScenarioResult[]>();
  for (const result of summary.scenarios) byFile.set(result.file, [...(byFile.get(result.file) ?? []), result]);
  const suites = [...byFile.entries()].map(([file, results]) => {
    const failures = results.filter((r) => r.verdict === 'failed').length;
    const time = results.reduce((ms, r) => ms + r.durationMs, 0);
    return `  <testsuite name="${escapeXml(file)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(time)}" timestamp="${summary.startedAt}">
${results.map(testCase).join('\n')}
  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="voiplab scenarios" tests="${summary.scenarios.length}" failures="${summary.failed}" errors="0" time="${seconds(summary.durationMs)}">
${suites.join('\n')}
</testsuites>
`;
}
