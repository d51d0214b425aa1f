// Reads a lab file: YAML with positions kept, then the schema (defaults filled) and the consistency
// rules; every problem comes back at once as a LabFileError whose issues read
// `file:line:column: field: message` (the config area's locator and issue placing, reused).

import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigIssue } from '../../ipbx/config/config-errors.ts';
import { placeIssue } from '../../ipbx/config/validate-config.ts';
import { yamlLocator } from '../../ipbx/config/yaml-locate.ts';
import { LabFileError } from '../lab-error.ts';
import type { LabFile } from './lab-schema.ts';
import { validateLabSchema } from './lab-schema-validator.ts';
import { checkLabSemantics } from './lab-semantic-checks.ts';

export function parseLabText(text: string, file: string): LabFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new LabFileError('LAB_FILE_INVALID', document.errors.map((e) => {
      const pos = e.linePos?.[0];
      const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return { file, line: pos?.line ?? 0, column: pos?.col ?? 0, field: '', message };
    }));
  }
  if (document.contents === null) {
    throw new LabFileError('LAB_FILE_INVALID', [{ file, line: 1, column: 1, field: '', message: 'the file is empty; a lab needs at least lab, proxmox, source, groups and xivo (see docs/lab.md)' }]);
  }
  const data: unknown = document.toJS();
  const locate = yamlLocator(document, lineCounter);
  const schemaIssues = validateLabSchema(data);
  const issues = schemaIssues.length > 0 ? schemaIssues : checkLabSemantics(data as LabFile);
  if (issues.length > 0) throw new LabFileError('LAB_FILE_INVALID', sortByPlace(issues.map((i) => placeIssue(i, file, locate))));
  return data as LabFile;
}

export async function loadLabFile(file: string): Promise<LabFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LabFileError('LAB_FILE_UNREADABLE', [{ file, line: 0, column: 0, field: '', message: `cannot read the lab file: ${(err as Error).message}` }], { cause: err });
  }
  return parseLabText(text, file);
}

function sortByPlace(issues: ConfigIssue[]): ConfigIssue[] {
  const key = (i: ConfigIssue): number => (i.line === 0 ? Number.MAX_SAFE_INTEGER : i.line * 10_000 + i.column);
  return issues.sort((a, b) => key(a) - key(b));
}
