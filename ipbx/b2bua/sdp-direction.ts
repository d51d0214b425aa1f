// Whether an SDP offer puts the call on hold: RFC 3264 §8.4 ("a=sendonly" or "a=inactive"), or
// the RFC 2543 way older desk phones still use ("c=IN IP4 0.0.0.0"). Only the call state
// shown to the API depends on it; the SDP itself goes through the media hook untouched.

const HOLD_DIRECTIONS = new Set(['sendonly', 'inactive']);

export function isHoldOffer(sdp: Buffer): boolean {
  if (sdp.length === 0) return false;
  let audioSeen = false;
  let held = false;
  for (const raw of sdp.toString('utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) audioSeen = true;
    if (line.startsWith('a=') && HOLD_DIRECTIONS.has(line.slice(2))) held = true;
    else if (audioSeen && (line === 'a=sendrecv' || line === 'a=recvonly')) return false;
    if (/^c=IN IP4 0\.0\.0\.0$/.test(line)) held = true;
  }
  return held;
}

const DIRECTION_LINE = /^a=(sendrecv|sendonly|recvonly|inactive)\r?$/gm;

/** Every direction attribute says inactive (RFC 3264 §5.1: no media either way). */
export function isInactive(sdp: Buffer): boolean {
  const directions = [...sdp.toString('utf8').matchAll(DIRECTION_LINE)].map((m) => m[1]);
  return directions.length > 0 && directions.every((d) => d === 'inactive');
}

/** The SDP with each direction attribute (session and media level) replaced by `direction`. */
export function withDirection(sdp: Buffer, direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'): Buffer {
  return Buffer.from(sdp.toString('utf8').replace(DIRECTION_LINE, (line) => `a=${direction}${line.endsWith('\r') ? '\r' : ''}`), 'utf8');
}
