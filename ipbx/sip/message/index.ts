// Public entry of the SIP message layer.
export { SipParseError, SIP_PARSE_ERROR_CODES, type SipParseErrorCode, type PartialMessage } from './sip-parse-error.ts';
export { HeaderList, type HeaderEntry } from './header-list.ts';
export { canonicalKey, displayName, isListHeader } from './header-names.ts';
export { splitList } from './split-list.ts';
export { parseHeaderParams, formatHeaderParams, quoteString, unquote, readQuotedString, isToken, type HeaderParams } from './header-params.ts';
export { SipUri, TelUri, AbsoluteUri, parseUri, parseHostPort, uriEquals, unescapeUriPart, isSipUri, type Uri, type UriParams } from './uri.ts';
export { NameAddr, parseNameAddr } from './name-addr.ts';
export { Via, parseVia, BRANCH_MAGIC_COOKIE } from './via.ts';
export { parseCSeq, formatCSeq, type CSeq } from './cseq.ts';
export { parseMediaType, type MediaType } from './content-type.ts';
export { SipRequest, SipResponse, type SipMessage } from './sip-message.ts';
export { parseMessage, findHeadEnd, DEFAULT_PARSE_LIMITS, type ParseLimits, type ParseOptions, type ParseResult } from './parse-message.ts';
export { serializeMessage, serializeHead } from './serialize-message.ts';
export { createResponse, createErrorResponse, randomToken, type ResponseOptions } from './create-response.ts';
export { reasonPhrase } from './reason-phrases.ts';
export { KNOWN_METHODS, isKnownMethod } from './methods.ts';
