// The report as Markdown: a summary table of every group, then one section per group.

import { smokeText } from '../commands/smoke-check.ts';
import type { GroupReport } from './report-model.ts';

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function groupMarkdown(r: GroupReport): string {
  const lines = [
    `## Group ${r.group}`, '',
    `- Students: ${r.students.join(', ')}`,
    `- VM: ${r.vm}`,
    `- Address: ${r.address}${r.adminUrl === undefined ? '' : ` (web administration: ${r.adminUrl}, user root)`}`,
    `- Check: ${r.smoke.check}: ${r.smoke.detail}`,
    `- Smoke scenario: ${smokeText(r.smoke.scenario)}`,
    '',
    '| extension | name | type | SIP user | password | connect | softphone |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.accounts.map((a) => `| ${cell(a.extension)} | ${cell(a.name)} | ${a.kind} | ${cell(a.username)} | \`${a.password}\` | ${cell(a.connect)} | ${a.softphoneLink === undefined ? '—' : `[open](${a.softphoneLink})`} |`),
  ];
  if (r.huntGroups.length > 0) lines.push('', ...r.huntGroups.map((h) => `- ${h}`));
  return `${lines.join('\n')}\n`;
}

export function labMarkdown(lab: string, generatedAt: string, reports: GroupReport[]): string {
  const summary = [
    `# Lab ${lab}`, '', `Generated ${generatedAt}. Passwords are secrets: share each group's section with its students only.`, '',
    '| group | students | VM | address | check | smoke scenario |',
    '| --- | --- | --- | --- | --- | --- |',
    ...reports.map((r) => `| ${r.group} | ${cell(r.students.join(', '))} | ${cell(r.vm)} | ${cell(r.address)} | ${r.smoke.check} | ${cell(smokeText(r.smoke.scenario))} |`),
    '',
  ];
  return `${summary.join('\n')}\n${reports.map(groupMarkdown).join('\n')}`;
}
