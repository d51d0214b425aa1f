// rtpengine's metadata file for a pcap recording (`<recording-dir>/metadata/rtpengine-meta-*.txt`),
// as rtpengine 10.5 writes it (checked by experiment):
//
//   /recording-dir/pcaps/<call-id>-<16 hex>.pcap        the capture
//   (blank lines)
//   Timestamp started ms: 1795901092087.269             one block per SDP rtpengine sent out
//   SDP mode: offer                                      while recording: offer or answer
//   SDP before RTP packet: 1
//   (blank)
//   v=0 … (the SDP rtpengine sent, CRLF lines)
//   …
//   Timestamp terminated ms(first monologue): …
//   call start time: 2026-11-28T21:25:32                 local time, no zone
//   call end time: 2026-11-28T21:25:34
//   (blank lines)
//   <the ng `metadata` string, if any>
//
// SDP blocks exist only for offers/answers made while recording was on: `record call: yes` in
// the offer gives both, `start recording` between offer and answer gives the answer only, and
// after the answer gives none. They carry SRTP keys (a=crypto), one more reason the raw files are
// deleted once converted.

export interface RtpengineSdp {
  /** `offer`: rtpengine's SDP towards the callee of that exchange; `answer`: towards its offerer. */
  mode: string;
  /** The SDP's lines, without line ends. */
  lines: string[];
}

export interface RtpengineMetadata {
  /** The capture named on the first line (absolute, rtpengine's view of the path). */
  pcapFile: string | undefined;
  sdps: RtpengineSdp[];
  /** rtpengine's `call start time`/`call end time` (local time, no zone), as written. */
  callStartTime: string | undefined;
  callEndTime: string | undefined;
  /** What the ng `metadata` key carried (the last lines of the file), or ''. */
  metadata: string;
}

const SDP_LINE = /^[a-z]=/;

export function parseRtpengineMetadata(text: string): RtpengineMetadata {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  const first = lines[0]?.trim() ?? '';
  const result: RtpengineMetadata = {
    pcapFile: first.endsWith('.pcap') ? first : undefined,
    sdps: [],
    callStartTime: undefined,
    callEndTime: undefined,
    metadata: '',
  };
  let endTimeLine = -1;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const mode = /^SDP mode: (\S+)/.exec(line);
    if (mode !== null) {
      // The SDP starts after the "SDP before RTP packet" line and a blank one, and ends at the
      // first line that is not an SDP line.
      let j = i + 1;
      while (j < lines.length && !SDP_LINE.test(lines[j] ?? '')) j++;
      const sdp: string[] = [];
      while (j < lines.length && SDP_LINE.test(lines[j] ?? '')) sdp.push(lines[j++] ?? '');
      result.sdps.push({ mode: mode[1] ?? '', lines: sdp });
      i = j - 1;
      continue;
    }
    const start = /^call start time: (.*)$/.exec(line);
    if (start !== null) result.callStartTime = start[1]?.trim();
    const end = /^call end time: (.*)$/.exec(line);
    if (end !== null) {
      result.callEndTime = end[1]?.trim();
      endTimeLine = i;
    }
  }
  if (endTimeLine >= 0) result.metadata = lines.slice(endTimeLine + 1).join('\n').trim();
  return result;
}
