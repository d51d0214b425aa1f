// The run as one JSON document: the RunSummary model as is, with a format version for consumers.

import type { RunSummary } from '../scenario-result.ts';

export const JSON_REPORT_VERSION = 1;

export function jsonReport(summary: RunSummary): string {
  return `${JSON.stringify({ format: 'voiplab-scenario-report', version: JSON_REPORT_VERSION, ...summary }, null, 2)}\n`;
}
