// Which party sent a recorded stream, and what its payload types mean. rtpengine's pcap holds
// the packets each party sent *to rtpengine*, so a packet's destination port is one rtpengine
// announced in an SDP it sent out: the SDP it sent to the callee names the ports the callee sends
// to, and the one it sent to the caller those the caller sends to. The payload types a party uses
// are those of the SDP it received, so the same SDP also says what each payload type is.
//
// Which SDP went to whom: rtpengine keeps each party's o= line, so an SDP carrying the o= of the
// first offer (the caller's) was shown to the callee; one with another o= was shown to the
// caller. When every o= is the same (a B2BUA that rewrites origins), an `offer` block is taken as
// going to the callee and an `answer` block to the caller, which holds unless the callee
// re-INVITEd while recording.

import type { RtpengineSdp } from './rtpengine-metadata.ts';
import { parseRtpmap, STATIC_PAYLOAD_TYPES, type RtpCodec } from './rtp-codecs.ts';

export type Leg = 'caller' | 'callee';

interface AnnouncedPort {
  leg: Leg;
  payloadTypes: Map<number, RtpCodec>;
}

interface SdpMedia {
  port: number;
  payloadTypes: Map<number, RtpCodec>;
}

export class CallLegs {
  /** rtpengine port → who sends to it; the latest SDP announcing a port wins. */
  readonly #ports = new Map<number, AnnouncedPort>();

  /** No SDP known (recording started after the answer): legs are then guessed from the capture. */
  static unknown(): CallLegs {
    return new CallLegs();
  }

  static fromSdps(sdps: readonly RtpengineSdp[]): CallLegs {
    const legs = new CallLegs();
    const origins = sdps.map((s) => originOf(s.lines));
    const firstOffer = sdps.findIndex((s) => s.mode === 'offer');
    const callerOrigin = firstOffer >= 0 ? origins[firstOffer] : undefined;
    const originsTell = callerOrigin !== undefined && new Set(origins).size > 1;
    sdps.forEach((sdp, i) => {
      const shownToCallee = originsTell ? origins[i] === callerOrigin : sdp.mode === 'offer';
      for (const media of audioMedia(sdp.lines)) {
        legs.#ports.set(media.port, { leg: shownToCallee ? 'callee' : 'caller', payloadTypes: media.payloadTypes });
      }
    });
    return legs;
  }

  /** Who sends to this rtpengine port, if an SDP said. */
  legOf(port: number): Leg | undefined {
    return this.#ports.get(port)?.leg;
  }

  /** Whether any SDP was known at all. */
  get known(): boolean {
    return this.#ports.size > 0;
  }

  /**
   * The codec of `payloadType` on packets sent to `port`: that port's SDP, then any SDP of the
   * call that maps the type (the same offer usually maps it for both sides), then RFC 3551.
   */
  codecOf(port: number, payloadType: number): RtpCodec | undefined {
    const own = this.#ports.get(port)?.payloadTypes.get(payloadType);
    if (own !== undefined) return own;
    for (const announced of this.#ports.values()) {
      const codec = announced.payloadTypes.get(payloadType);
      if (codec !== undefined) return codec;
    }
    return STATIC_PAYLOAD_TYPES.get(payloadType);
  }
}

/** The o= line without its version (which changes on every re-offer). */
function originOf(lines: readonly string[]): string | undefined {
  const line = lines.find((l) => l.startsWith('o='));
  if (line === undefined) return undefined;
  const fields = line.slice(2).trim().split(/\s+/);
  return [fields[0], fields[1], ...fields.slice(3)].join(' ');
}

function audioMedia(lines: readonly string[]): SdpMedia[] {
  const media: SdpMedia[] = [];
  let current: SdpMedia | undefined;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      const match = /^m=audio (\d{1,5})(?:\/\d+)? /.exec(line);
      const port = match === null ? 0 : Number(match[1]);
      // Port 0 is a refused stream; other media (video) are not recorded as audio.
      current = port > 0 && port <= 65535 ? { port, payloadTypes: new Map() } : undefined;
      if (current !== undefined) media.push(current);
      continue;
    }
    const rtpmap = current === undefined ? undefined : parseRtpmap(line);
    if (rtpmap !== undefined) current?.payloadTypes.set(rtpmap[0], rtpmap[1]);
  }
  return media;
}
