// Reads a scenario file: YAML with positions kept, then the schema (defaults filled) and the
// consistency rules; every problem comes back at once as a ScenarioFileError whose issues read
// `file:line:column: field: message` (the config area's locator and issue placing, reused).

import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigIssue } from '../../ipbx/config/index.ts';
import { placeIssue } from '../../ipbx/config/validate-config.ts';
import { yamlLocator } from '../../ipbx/config/yaml-locate.ts';
import { ScenarioFileError } from './scenario-errors.ts';
import type { Scenario } from './scenario-schema.ts';
import { checkScenarioSemantics } from './scenario-semantic-checks.ts';
import { validateScenarioSchema } from './scenario-validator.ts';

/** A scenario with where it came from: the file is half of its stable test id. */
export interface LoadedScenario {
  file: string;
  scenario: Scenario;
  /** 1-based line of each step, for failure messages (`step 4 (line 21)`). */
  stepLines: number[];
}

export function parseScenarioText(text: string, file: string): LoadedScenario {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ScenarioFileError('SCENARIO_FILE_INVALID', document.errors.map((e) => {
      const pos = e.linePos?.[0];
      const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return { file, line: pos?.line ?? 0, column: pos?.col ?? 0, field: '', message };
    }));
  }
  if (document.contents === null) {
    throw new ScenarioFileError('SCENARIO_FILE_INVALID', [{ file, line: 1, column: 1, field: '', message: 'the file is empty; a scenario needs name, accounts, phones and steps (see docs/scenarios.md)' }]);
  }
  const data: unknown = document.toJS();
  const locate = yamlLocator(document, lineCounter);
  const schemaIssues = validateScenarioSchema(data);
  const issues = schemaIssues.length > 0 ? schemaIssues : checkScenarioSemantics(data as Scenario);
  if (issues.length > 0) throw new ScenarioFileError('SCENARIO_FILE_INVALID', sortByPlace(issues.map((i) => placeIssue(i, file, locate))));
  const scenario = data as Scenario;
  return { file, scenario, stepLines: scenario.steps.map((_, i) => locate(['steps', i]).line) };
}

export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ScenarioFileError('SCENARIO_FILE_UNREADABLE', [{ file, line: 0, column: 0, field: '', message: `cannot read the scenario file: ${(err as Error).message}` }], { cause: err });
  }
  return parseScenarioText(text, file);
}

function sortByPlace(issues: ConfigIssue[]): ConfigIssue[] {
  const key = (i: ConfigIssue): number => (i.line === 0 ? Number.MAX_SAFE_INTEGER : i.line * 10_000 + i.column);
  return issues.sort((a, b) => key(a) - key(b));
}
