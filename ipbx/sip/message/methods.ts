// Methods defined by RFC 3261 and the common extensions (IANA SIP method registry): a UA that
// does not implement one of these answers 405; any other method is unknown and gets 501.

export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

export function isKnownMethod(method: string): boolean {
  return KNOWN_METHODS.has(method);
}
