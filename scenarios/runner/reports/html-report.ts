// The report for people: one section per scenario with its verdict, each step with its timing,
// figures (post-dial delay, setup time, time to audio) and audio verdicts, and the SIP ladder of
// the messages the phones saw. One self-contained file, no scripts.

import { relative } from 'node:path';
import type { RunSummary, ScenarioResult, StepResult } from '../scenario-result.ts';
import { escapeXml as escape } from './junit-report.ts';
import { sipLadderSvg } from './sip-ladder.ts';

const TIMING_NAMES: Record<string, string> = { postDialDelayMs: 'post-dial delay', setupMs: 'setup time', timeToAudioMs: 'time to audio' };

function timings(step: StepResult): string {
  if (step.timings === undefined) return '';
  return Object.entries(step.timings).map(([k, v]) => `${TIMING_NAMES[k] ?? k} ${String(v)} ms`).join(', ');
}

function stepRow(step: StepResult): string {
  return `<tr class="${step.verdict}"><td>${step.number}</td><td>${step.line}</td><td>${escape(step.label)}</td><td>${step.verdict}</td>`
    + `<td>${step.verdict === 'skipped' ? '' : `${step.durationMs} ms`}</td><td>${escape(timings(step))}</td><td>${escape(step.message ?? '')}</td></tr>`;
}

/** The pcap's link, relative to the report's folder when known (so both can move together), or why there is none. */
function captureLine(result: ScenarioResult, reportDir: string | undefined): string {
  const capture = result.capture;
  if (capture === undefined) return '';
  if ('unavailable' in capture) return `<p class="capture">No packet capture: ${escape(capture.unavailable)}</p>`;
  const href = reportDir === undefined ? capture.file : relative(reportDir, capture.file);
  return `<p class="capture">Packet capture of the SIP traffic: <a href="${escape(encodeURI(href))}">${escape(href)}</a></p>`;
}

function section(result: ScenarioResult, reportDir?: string): string {
  const ladder = result.sip.length === 0 ? '<p>No SIP messages.</p>' : `<details><summary>SIP ladder (${result.sip.length} messages)</summary>${sipLadderSvg(result.phones, result.sip)}</details>`;
  return `<section class="${result.verdict}">
<h2>${result.verdict === 'passed' ? '✔' : '✘'} ${escape(result.name)}</h2>
<p class="id">${escape(result.id)} — ${result.durationMs} ms</p>
${result.description === undefined ? '' : `<p>${escape(result.description)}</p>`}
${result.failure === undefined ? '' : `<p class="failure">${escape(result.failure)}</p>`}
<table><thead><tr><th>#</th><th>line</th><th>step</th><th>verdict</th><th>time</th><th>figures</th><th>detail</th></tr></thead>
<tbody>${result.steps.map(stepRow).join('\n')}</tbody></table>
${ladder}
${captureLine(result, reportDir)}
</section>`;
}

/** `reportDir`: the folder the report is written to, for relative links to pcap files. */
export function htmlReport(summary: RunSummary, reportDir?: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>voiplab scenarios: ${summary.passed} passed, ${summary.failed} failed</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
tr.failed td { background: #fde7e9; } tr.skipped td { color: #888; } section.failed h2 { color: #b00020; } section.passed h2 { color: #1b5e20; }
.failure { font-weight: bold; color: #b00020; } .id { color: #666; font-family: monospace; }
</style></head><body>
<h1>voiplab scenarios: ${summary.passed} passed, ${summary.failed} failed</h1>
<p>Started ${escape(summary.startedAt)}, ${summary.durationMs} ms.</p>
${summary.scenarios.map((s) => section(s, reportDir)).join('\n')}
</body></html>
`;
}
