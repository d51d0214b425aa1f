// Errors of the scenario runner. A bad scenario file lists every problem at once as
// `file:line:column: field: message` (the config area's issue shape); a failed step is not an
// error but a verdict (see scenario-result.ts), so these are what stops a run from starting.

import type { ConfigIssue } from '../../ipbx/config/index.ts';
import { formatIssue } from '../../ipbx/config/index.ts';
import { CodedError } from '../../ipbx/sip/index.ts';

/** Every code with what it means; one row per code belongs in docs/errors.md. */
export const SCENARIO_ERROR_CODES = {
  SCENARIO_FILE_INVALID: 'A scenario file breaks the schema (scenarios/scenario.schema.json) or a consistency rule (a phone naming an unknown account, a step naming an unknown phone); each issue names the file, line, column and field.',
  SCENARIO_FILE_UNREADABLE: 'A scenario file or folder given to `voiplab run` cannot be read, or a folder holds no .yaml/.yml file.',
  SCENARIO_PHONE_KIND_UNSUPPORTED: 'A phone of the scenario cannot be started here: its kind needs a program that is not installed (baresip: apt-get install baresip; browser: Chromium and playwright-core), or a browser phone\'s target serves no softphone page.',
  SCENARIO_TARGET_FAILED: 'The target could not be started or reached (embedded: rtpengine missing, no free port, a restart failed; sip: its host does not resolve), or the environment variable holding a password is not set; the message says why.',
  SCENARIO_STEP_FAILED: 'A step or expectation of a scenario did not hold; the message names the step and what was seen instead.',
  SCENARIO_REPORT_OPTION: 'A --report option is not of the form kind=PATH with kind junit, json or html.',
} as const;

export type ScenarioErrorCode = keyof typeof SCENARIO_ERROR_CODES;

export class ScenarioError extends CodedError<ScenarioErrorCode> {
  override readonly name: string = 'ScenarioError';
}

/** A scenario file that cannot be run: every issue, placed in the file. */
export class ScenarioFileError extends ScenarioError {
  override readonly name = 'ScenarioFileError';
  readonly issues: ConfigIssue[];

  constructor(code: ScenarioErrorCode, issues: ConfigIssue[], options?: ErrorOptions) {
    const [first] = issues;
    super(code, issues.length === 1 && first !== undefined ? formatIssue(first) : `${issues.length} problems:\n${issues.map(formatIssue).join('\n')}`, options);
    this.issues = issues;
  }
}

/** A step whose expectation did not hold; the runner turns it into the step's failure message. */
export class StepFailure extends ScenarioError {
  override readonly name = 'StepFailure';

  constructor(message: string) {
    super('SCENARIO_STEP_FAILED', message);
  }
}
