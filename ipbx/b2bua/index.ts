// Public entry of the B2BUA: the class the composition root builds, and the contracts it keeps.
export { B2bua, DEFAULT_MAX_CALLS, type B2buaOptions } from './b2bua.ts';
export type { ActiveCall, CallControl } from './call-control.ts';
export { passthroughMedia, type MediaHook, type MediaLegInfo } from './media-hook.ts';
export type { Call } from './call.ts';
export type { Leg, LegRole } from './leg.ts';
export type { DialogEntry } from './dialog-table.ts';
export type { CallEnd, EndCause } from './end-cause.ts';
