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
