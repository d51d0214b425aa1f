// `--group NAME` (repeatable) limits a command to some groups; an unknown name is an error, not a
// silent no-op.

import { LabError } from '../lab-error.ts';
import type { DesiredGroup } from '../plan/desired-state.ts';
import type { LabContext } from './lab-context.ts';

export function selectGroups(ctx: LabContext, only: string[]): DesiredGroup[] {
  const unknown = only.filter((name) => !ctx.groups.some((g) => g.name === name));
  if (unknown.length > 0) throw new LabError('LAB_BAD_OPTION', `--group ${unknown.join(', ')}: no such group in ${ctx.file} (groups: ${ctx.groups.map((g) => g.name).join(', ')})`);
  return only.length === 0 ? ctx.groups : ctx.groups.filter((g) => only.includes(g.name));
}
