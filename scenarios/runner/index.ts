// Public entry of the scenario runner: load scenario files, run them, write reports.

export { SCENARIO_ERROR_CODES, ScenarioError, ScenarioFileError, StepFailure, type ScenarioErrorCode } from './scenario-errors.ts';
export { ScenarioSchema, STEP_KINDS, type Scenario, type ScenarioStep, type Expectation } from './scenario-schema.ts';
export { scenarioSchemaJson } from './scenario-schema-json.ts';
export { loadScenarioFile, parseScenarioText, type LoadedScenario } from './load-scenario.ts';
export { findScenarioFiles } from './find-scenario-files.ts';
export { runScenario, scenarioId, type ProgressEvent, type RunScenarioOptions } from './run-scenario.ts';
export { runScenarios, type RunScenariosOptions } from './run-scenarios.ts';
export type { RunSummary, ScenarioResult, StepResult, Verdict } from './scenario-result.ts';
export { parseReportOption, writeReports, type ReportKind, type ReportTargets } from './reports/report-options.ts';
export { junitReport } from './reports/junit-report.ts';
export { jsonReport } from './reports/json-report.ts';
export { htmlReport } from './reports/html-report.ts';
export { DeskPhone, type DeskPhoneOptions, type RegistrationState } from './phone-emulator/desk-phone.ts';
