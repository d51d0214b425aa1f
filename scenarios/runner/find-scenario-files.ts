// The scenario files named on the command line: files as given, folders searched (not recursively)
// for .yaml/.yml files, in name order so runs and reports are stable.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ScenarioFileError } from './scenario-errors.ts';

const SCENARIO_FILE = /\.ya?ml$/i;

export async function findScenarioFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch((err: unknown) => {
      throw new ScenarioFileError('SCENARIO_FILE_UNREADABLE', [{ file: path, line: 0, column: 0, field: '', message: `cannot read: ${(err as Error).message}` }], { cause: err });
    });
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const inFolder = (await readdir(path)).filter((name) => SCENARIO_FILE.test(name)).sort().map((name) => join(path, name));
    if (inFolder.length === 0) throw new ScenarioFileError('SCENARIO_FILE_UNREADABLE', [{ file: path, line: 0, column: 0, field: '', message: 'the folder holds no .yaml or .yml scenario file' }]);
    files.push(...inFolder);
  }
  return files;
}
