// Public entry of the UA core.
export { SipStack, isLocalResponse, type SipStackOptions, type SendOptions, type NewRequestOptions, type StackTransport } from './sip-stack.ts';
export { IncomingRequest, ResponseError } from './incoming-request.ts';
export { resolveTarget, nextHopUri, uriTransport, bareHost, TargetError } from './resolve-target.ts';
export { checkRequest, type UasPolicy } from './uas-checks.ts';
