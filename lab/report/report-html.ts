// The report as standalone HTML pages (no external assets): the lab overview, one page per group,
// and the printable credentials sheet — one page per student with their group's accounts.

import { smokeText } from '../commands/smoke-check.ts';
import type { GroupReport } from './report-model.ts';

export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:.3em .6em;text-align:left}code{font-size:1.1em}
.sheet{page-break-after:always;break-after:page}.sheet:last-child{page-break-after:auto}@media print{body{margin:0}a{color:inherit}}`;

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>\n<body>\n${body}\n</body></html>\n`;
}

function accountsTable(r: GroupReport): string {
  const rows = r.accounts.map((a) => `<tr><td>${escapeHtml(a.extension)}</td><td>${escapeHtml(a.name)}</td><td>${a.kind}</td><td>${escapeHtml(a.username)}</td><td><code>${escapeHtml(a.password)}</code></td><td>${escapeHtml(a.connect)}</td><td>${a.softphoneLink === undefined ? '—' : `<a href="${escapeHtml(a.softphoneLink)}">open</a>`}</td></tr>`);
  return `<table><thead><tr><th>extension</th><th>name</th><th>type</th><th>SIP user</th><th>password</th><th>connect</th><th>softphone</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function groupSection(r: GroupReport): string {
  return [
    `<h2>Group ${escapeHtml(r.group)}</h2>`,
    '<ul>',
    `<li>Students: ${escapeHtml(r.students.join(', '))}</li>`,
    `<li>VM: ${escapeHtml(r.vm)}</li>`,
    `<li>Address: ${escapeHtml(r.address)}${r.adminUrl === undefined ? '' : ` (web administration: <a href="${escapeHtml(r.adminUrl)}">${escapeHtml(r.adminUrl)}</a>, user root)`}</li>`,
    `<li>Check: <strong>${r.smoke.check}</strong>: ${escapeHtml(r.smoke.detail)}</li>`,
    `<li>Smoke scenario: <strong>${r.smoke.scenario.verdict}</strong>: ${escapeHtml(r.smoke.scenario.detail)}</li>`,
    '</ul>',
    accountsTable(r),
    r.huntGroups.length === 0 ? '' : `<ul>${r.huntGroups.map((h) => `<li>${escapeHtml(h)}</li>`).join('')}</ul>`,
  ].join('\n');
}

export function groupHtml(lab: string, r: GroupReport): string {
  return page(`Lab ${lab}: group ${r.group}`, groupSection(r));
}

export function labHtml(lab: string, generatedAt: string, reports: GroupReport[]): string {
  const rows = reports.map((r) => `<tr><td><a href="group-${escapeHtml(r.group)}.html">${escapeHtml(r.group)}</a></td><td>${escapeHtml(r.students.join(', '))}</td><td>${escapeHtml(r.vm)}</td><td>${escapeHtml(r.address)}</td><td>${r.smoke.check}</td><td>${escapeHtml(smokeText(r.smoke.scenario))}</td></tr>`);
  return page(`Lab ${lab}`, `<h1>Lab ${escapeHtml(lab)}</h1>\n<p>Generated ${escapeHtml(generatedAt)}. Passwords are secrets: share each group's page with its students only. <a href="credentials.html">Printable credentials sheets</a>.</p>\n<table><thead><tr><th>group</th><th>students</th><th>VM</th><th>address</th><th>check</th><th>smoke scenario</th></tr></thead><tbody>${rows.join('')}</tbody></table>\n${reports.map(groupSection).join('\n')}`);
}

/** One printed page per student: who they are, where their XiVO is, and the accounts to configure. */
export function credentialsHtml(lab: string, reports: GroupReport[], adminPassword: string): string {
  const sheets = reports.flatMap((r) => r.students.map((student) => [
    '<section class="sheet">',
    `<h1>${escapeHtml(student)}</h1>`,
    `<p>Lab ${escapeHtml(lab)}, group <strong>${escapeHtml(r.group)}</strong>. Your XiVO: <strong>${escapeHtml(r.address)}</strong>${r.adminUrl === undefined ? '' : ` — web administration <code>${escapeHtml(r.adminUrl)}</code>, user <code>root</code>, password <code>${escapeHtml(adminPassword)}</code>`}.</p>`,
    accountsTable(r),
    '<p>Desk phones: register the SIP user and password on the XiVO address, UDP port 5060. Browser softphone: use the WebRTC account and the wss:// address.</p>',
    '</section>',
  ].join('\n')));
  return page(`Lab ${lab}: credentials`, sheets.join('\n'));
}
