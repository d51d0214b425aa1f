// `lab report [--out DIR]`: reads every group's live state and writes the report — README.md and
// index.html for the lab, group-NAME.md/.html per group, credentials.html to print (one page per
// student). The files hold passwords: the folder is created private (0700).

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { listClusterVms } from '../proxmox/index.ts';
import { credentialsHtml, groupHtml, labHtml } from '../report/report-html.ts';
import { groupMarkdown, labMarkdown } from '../report/report-markdown.ts';
import { groupReport, type GroupReport } from '../report/report-model.ts';
import { inspectGroup } from './inspect-group.ts';
import type { LabContext } from './lab-context.ts';
import { selectGroups } from './select-groups.ts';

export async function labReport(ctx: LabContext, options: { out?: string; only?: string[]; now?: Date }): Promise<{ dir: string; files: string[]; reports: GroupReport[] }> {
  const dir = resolve(options.out ?? `lab-report-${ctx.lab.lab}`);
  const cluster = await listClusterVms(ctx.proxmox);
  const reports: GroupReport[] = [];
  for (const desired of selectGroups(ctx, options.only ?? [])) {
    reports.push(groupReport(await inspectGroup(ctx, desired, cluster), ctx.lab.report?.softphoneUrl));
  }
  const generatedAt = (options.now ?? new Date()).toISOString();
  const files: Record<string, string> = {
    'README.md': labMarkdown(ctx.lab.lab, generatedAt, reports),
    'index.html': labHtml(ctx.lab.lab, generatedAt, reports),
    'credentials.html': credentialsHtml(ctx.lab.lab, reports, ctx.secrets.xivoAdminPassword),
  };
  for (const r of reports) {
    files[`group-${r.group}.md`] = `# Lab ${ctx.lab.lab}\n\n${groupMarkdown(r)}`;
    files[`group-${r.group}.html`] = groupHtml(ctx.lab.lab, r);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text, { mode: 0o600 });
  ctx.log(`wrote the report of ${reports.length} groups to ${dir} (${Object.keys(files).length} files; they hold passwords)`);
  return { dir, files: Object.keys(files), reports };
}
