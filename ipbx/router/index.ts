// Public entry of the dialplan router.

export type { RouteDecision, Router } from './route-target.ts';
export { createRouter } from './create-router.ts';
export { compilePattern, MAX_DIALLED_LENGTH, type DialplanPattern } from './dialplan-pattern.ts';
export { normalizeDialled, stripTelSeparators } from './normalize-dialled.ts';
export { DialplanError, DIALPLAN_ERROR_CODES, type DialplanErrorCode } from './router-errors.ts';
