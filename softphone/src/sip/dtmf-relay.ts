// DTMF in SIP INFO as application/dtmf-relay (`Signal=5` / `Duration=160`), the de facto format
// of Cisco, Asterisk (dtmfmode=info) and most desk phones; no RFC defines it.

export const DTMF_DIGITS = /^[0-9A-D*#]$/;

export function dtmfRelayBody(digit: string, durationMs: number): string {
  return `Signal=${digit}\r\nDuration=${durationMs}\r\n`;
}

/** The digit of an INFO body, upper-cased; undefined when the body carries none. */
export function digitOfDtmfRelay(contentType: string, body: string): string | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/dtmf') return DTMF_DIGITS.test(body.trim().toUpperCase()) ? body.trim().toUpperCase() : undefined;
  if (type !== 'application/dtmf-relay') return undefined;
  const digit = /^\s*Signal\s*=\s*(\S)\s*$/im.exec(body)?.[1]?.toUpperCase();
  return digit !== undefined && DTMF_DIGITS.test(digit) ? digit : undefined;
}
