// `voiplab lab <plan|up|status|reset|down|report> FILE`: provisions XiVO VMs on Proxmox VE for a
// class from one lab file (docs/lab.md). Secrets come from environment variables the file names.

import { LabError, LabFileError } from '../lab/lab-error.ts';
import { openLab } from '../lab/commands/lab-context.ts';
import { labDown } from '../lab/commands/lab-down.ts';
import { labPlan } from '../lab/commands/lab-plan.ts';
import { labReport } from '../lab/commands/lab-report.ts';
import { labReset } from '../lab/commands/lab-reset.ts';
import { labStatus } from '../lab/commands/lab-status.ts';
import { labUp } from '../lab/commands/lab-up.ts';
import { formatIssue } from '../ipbx/config/config-errors.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from './cli-io.ts';
import { LAB_USAGE } from './usage.ts';
import { parseCommandArgs } from './cli-options.ts';

const OPTIONS = {
  group: { type: 'string', multiple: true },
  yes: { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ACTIONS = ['plan', 'up', 'status', 'reset', 'down', 'report'] as const;
type Action = (typeof ACTIONS)[number];

export async function labCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  if (values.help === true) {
    for (const line of LAB_USAGE) io.out(`usage: ${line}`);
    return EXIT_OK;
  }
  const [action, file, ...extra] = positionals;
  if (action === undefined) throw new UsageError(`missing action: ${ACTIONS.join(', ')}\nusage: ${LAB_USAGE.join('\n       ')}`);
  if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown lab action '${action}' (${ACTIONS.join(', ')})`);
  if (file === undefined || extra.length > 0) throw new UsageError(`usage: ${LAB_USAGE.find((l) => l.startsWith(`voiplab lab ${action} `)) ?? ''}`);
  if (values.yes === true && action !== 'down') throw new UsageError('--yes belongs to lab down');
  if (values.out !== undefined && action !== 'report') throw new UsageError('--out belongs to lab report');
  const only = values.group ?? [];
  try {
    const ctx = await openLab(file, { env: io.env, log: io.out });
    await run(action as Action, ctx, only, values.yes === true, values.out);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof LabFileError) {
      for (const issue of err.issues) io.err(formatIssue(issue));
      return EXIT_FAILURE;
    }
    if (err instanceof LabError) {
      io.err(`voiplab lab ${action}: ${err.code}: ${err.message}`);
      return EXIT_FAILURE;
    }
    throw err;
  }
}

async function run(action: Action, ctx: Awaited<ReturnType<typeof openLab>>, only: string[], yes: boolean, out: string | undefined): Promise<void> {
  switch (action) {
    case 'plan': await labPlan(ctx, only); return;
    case 'up': await labUp(ctx, only); return;
    case 'status': await labStatus(ctx, only); return;
    case 'reset': await labReset(ctx, only); return;
    case 'down': await labDown(ctx, { yes, only }); return;
    case 'report': await labReport(ctx, { only, ...(out === undefined ? {} : { out }) }); return;
  }
}
