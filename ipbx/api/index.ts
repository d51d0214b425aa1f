// Public entry of the HTTP API.

export { buildApp } from './build-app.ts';
export type { ApiApp, ApiDeps, ApiLimits, MetricValues } from './api-deps.ts';
export { API_ERROR_CODES, ApiError, type ApiErrorCode } from './api-errors.ts';
export { renderPrometheus, PROMETHEUS_CONTENT_TYPE } from './metrics-text.ts';
