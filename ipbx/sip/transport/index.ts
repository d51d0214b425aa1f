// Public entry of the SIP transport layer.
export { isReliable, viaTransport, type TransportProtocol, type Endpoint, type SendTarget, type MessageSource, type IncomingMessage, type SipTransportLayer } from './transport-types.ts';
export {
  TransportLayer,
  type TransportLayerOptions,
  type ListenerOptions,
  type TransportLimits,
  type BoundEndpoint,
  type TransportCounters,
  type TransportLayerEvents,
  type MessageHandler,
} from './transport-layer.ts';
export { TransportError, FramingError, TRANSPORT_ERROR_CODES, type TransportErrorCode, type FramingErrorCode } from './transport-errors.ts';
export { StreamFramer, readContentLength, DEFAULT_FRAMER_LIMITS, type FramerLimits, type StreamFramerOptions, type StreamFramerEvents } from './stream-framer.ts';
export { FlowRegistry, DEFAULT_IDLE_TIMEOUT_MS, type Flow, type FlowInfo, type FlowStatus, type FlowClosedEvent, type FlowCloseReason, type FlowRegistryEvents } from './flow-registry.ts';
export { stampVia } from './via-received.ts';
export { isStunMessage, stunBindingResponse } from './stun-keepalive.ts';
export { normalizeAddress, sameIpAddress } from './ip-address.ts';
export { SIP_SUBPROTOCOL } from './ws-transport.ts';
export type { TlsOptions } from './tcp-transport.ts';
