// The B2BUA's media hook on rtpengine: one rtpengine call per B2BUA call (its id), one monologue
// per leg (its tag), so forks, re-INVITEs from either side and transfers map onto rtpengine's own
// offer/answer model. Every SDP crossing the IPBX is rewritten for the leg that receives it
// (leg-media-profile.ts); music on hold, prompts and DTMF injection are rtpengine's media player.
//
// rtpengine's `play media` plays *to* the monologue named by `from-tag` (`play DTMF` and `block
// DTMF` name the sender instead) — checked against a real rtpengine 10.5 — and refuses when
// nothing may flow towards it (its peer answered inactive or
// recvonly), which is why a hold offer is relayed as sendonly (see sdp-direction.ts).

import type { MediaHook, MediaLegInfo, RecordingParties } from '../b2bua/media-hook.ts';
import type { MediaControl, NgDictionary } from './media-control.ts';
import { MediaError } from './media-error.ts';
import { flagsFor, profileOf } from './leg-media-profile.ts';

/** Where finished recordings go (ipbx/media/recording); optional so calls work without it. */
export interface RecordingSink {
  finishCall(call: { callId: string; caller: string; callee: string; startedAt: number; endedAt: number }): Promise<unknown>;
}

export interface RtpengineMediaHookOptions {
  control: MediaControl;
  /** The music played to a held party; none = silence. */
  musicOnHoldFile?: string | undefined;
  recordings?: RecordingSink | undefined;
  now?: () => number;
  /** Failures after the fact (a recording that could not be finished). */
  report?: (err: unknown) => void;
}

/** Fingerprint hashes shown to browsers; sha-256 is rtpengine's default. */
type FingerprintHash = 'sha-256' | 'sha-384';

/** Legs whose DTLS role is remembered: far more than calls in flight. */
const MAX_REMEMBERED_ROLES = 20_000;

/** A hold can last long: the music repeats this many times (rtpengine stops it on `stop media`). */
const MUSIC_REPEATS = 1000;

/**
 * SDP of the IPBX's own player leg, on the discard port (RFC 863). It only sends (prompts), unless
 * the caller will be connected to someone later (a queue): then it is sendrecv, so that the
 * caller's answer does not say recvonly and its phone keeps sending (no re-INVITE is needed when
 * a member answers).
 */
function playerSdp(direction: 'sendonly' | 'sendrecv'): Buffer {
  return Buffer.from([
    'v=0', 'o=voiplab 1 1 IN IP4 127.0.0.1', 's=voiplab', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=audio 9 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', `a=${direction}`, '',
  ].join('\r\n'));
}

export class RtpengineMediaHook implements MediaHook {
  readonly bridgesMedia = true;
  readonly #control: MediaControl;
  readonly #musicOnHoldFile: string | undefined;
  readonly #recordings: RecordingSink | undefined;
  readonly #now: () => number;
  readonly #report: (err: unknown) => void;
  /** Calls being recorded, with their parties, until released. */
  readonly #recorded = new Map<string, RecordingParties>();
  /** Calls whose offers and answers ask rtpengine for DTMF injection. */
  readonly #injecting = new Set<string>();
  /**
   * Each WebRTC leg's own DTLS role (by tag), from the SDPs it sent: a leg keeps it for the life
   * of its DTLS association, across re-offers and transfers between calls. Oldest dropped past a cap.
   */
  readonly #dtlsRoles = new Map<string, 'active' | 'passive'>();
  /**
   * The call each WebRTC leg (by tag) last exchanged SDP in, and the fingerprint hash it was shown.
   * A leg moved into another call (an attended transfer) meets a new DTLS endpoint of rtpengine
   * behind the same certificate; a browser restarts DTLS only when the fingerprint changes
   * (webrtc:3618), new ICE credentials alone keep the old association and no SRTP flows. So an
   * offer to a moved leg asks for another hash (rtpengine 10.5 honours `DTLS-fingerprint` only
   * in an offer's SDP, toward a party new to the call; the answerer's hash follows the offerer's).
   */
  readonly #fingerprints = new Map<string, { callId: string; hash: FingerprintHash }>();

  constructor(options: RtpengineMediaHookOptions) {
    this.#control = options.control;
    this.#musicOnHoldFile = options.musicOnHoldFile;
    this.#recordings = options.recordings;
    this.#now = options.now ?? Date.now;
    this.#report = options.report ?? (() => undefined);
  }

  async offer(sdp: Buffer, from: MediaLegInfo, to: MediaLegInfo): Promise<Buffer> {
    this.#noteDtlsRole(from, sdp);
    const reply = await this.#command('offer', {
      'call-id': from.callId, 'from-tag': from.legTag, 'to-tag': to.legTag, sdp: sdp.toString('utf8'),
      ...flagsFor(profileOf(to.protocol), 'offer', this.#injecting.has(from.callId)),
      ...this.#fingerprintFor(to),
    });
    // The offerer sees rtpengine's fingerprint in the answer, hashed as its own (sha-256 for browsers).
    this.#noteFingerprint(from, this.#fingerprints.get(from.legTag)?.callId === from.callId ? undefined : 'sha-256');
    return sdpOf(reply);
  }

  async answer(sdp: Buffer, from: MediaLegInfo, to: MediaLegInfo): Promise<Buffer> {
    // rtpengine names the parties as the offer did: from-tag is the offerer (`to` here).
    const reply = await this.#command('answer', {
      'call-id': from.callId, 'from-tag': to.legTag, 'to-tag': from.legTag, sdp: sdp.toString('utf8'),
      ...flagsFor(profileOf(to.protocol), 'answer', this.#injecting.has(from.callId)),
      ...roleFacing(this.#dtlsRoles.get(to.legTag)),
    });
    this.#noteDtlsRole(from, sdp);
    return sdpOf(reply);
  }

  async release(callId: string): Promise<void> {
    const parties = this.#recorded.get(callId);
    this.#recorded.delete(callId);
    this.#injecting.delete(callId);
    try {
      // No delete delay: the ports are free again at once and a recording's files are final.
      await this.#command('delete', { 'call-id': callId, 'delete delay': 0 });
    } catch (err) {
      // A call rtpengine never saw (a call rejected before any offer) has nothing to delete.
      if (!(err instanceof MediaError && err.code === 'MEDIA_NG_ERROR')) throw err;
    }
    if (parties !== undefined && this.#recordings !== undefined) {
      // rtpengine closes its recording files on delete; the WAV is made from them afterwards.
      this.#recordings.finishCall({ callId, ...parties, endedAt: this.#now() }).catch(this.#report);
    }
  }

  /**
   * Music on hold for a held desk phone. A held browser hears silence instead: the stream it gets
   * would switch from the peer's SSRC to the player's and back, and Chromium keeps playing the
   * newest SSRC it has seen, so after resume it would never hear its peer again (a caller waiting
   * in a queue is fine: the player's SSRC comes first, see playMusic).
   */
  async hold(held: MediaLegInfo): Promise<void> {
    if (profileOf(held.protocol) === 'webrtc') return;
    await this.playMusic(held);
  }

  resume(held: MediaLegInfo): Promise<void> {
    return this.#musicOnHoldFile === undefined || profileOf(held.protocol) === 'webrtc' ? Promise.resolve() : this.stop(held);
  }

  async playMusic(to: MediaLegInfo): Promise<void> {
    if (this.#musicOnHoldFile === undefined) return;
    await this.play(to, this.#musicOnHoldFile, MUSIC_REPEATS);
  }

  async answerLocally(offer: Buffer, caller: MediaLegInfo, playerTag: string, keepsSending = false): Promise<Buffer> {
    const player: MediaLegInfo = { callId: caller.callId, leg: 'b', legTag: playerTag, protocol: 'udp' };
    await this.offer(offer, caller, player);
    return this.answer(playerSdp(keepsSending ? 'sendrecv' : 'sendonly'), player, caller);
  }

  async play(to: MediaLegInfo, file: string, repeat = 1): Promise<number> {
    const reply = await this.#command('play media', {
      'call-id': to.callId, 'from-tag': to.legTag, file, ...(repeat > 1 ? { 'repeat-times': repeat } : {}),
    });
    return typeof reply['duration'] === 'number' ? reply['duration'] : 0;
  }

  async stop(to: MediaLegInfo): Promise<void> {
    try {
      await this.#command('stop media', { 'call-id': to.callId, 'from-tag': to.legTag });
    } catch (err) {
      // Nothing playing any more (the file ended) is what stopping wanted.
      if (!(err instanceof MediaError && err.code === 'MEDIA_NG_ERROR')) throw err;
    }
  }

  enableDtmfInjection(callId: string): void {
    this.#injecting.add(callId);
  }

  async blockDtmf(from: MediaLegInfo): Promise<void> {
    // rtpengine still reports the blocked digits in its DTMF log, which is where INFO comes from.
    await this.#command('block DTMF', { 'call-id': from.callId, 'from-tag': from.legTag });
  }

  async sendDtmf(from: MediaLegInfo, digit: string, durationMs: number): Promise<void> {
    // Unlike play media, play DTMF names the sender: the digit joins the stream `from` sends
    // (checked on rtpengine 10.5), which is why injection needs that stream flowing.
    await this.#command('play DTMF', {
      'call-id': from.callId, 'from-tag': from.legTag, code: digit, duration: Math.min(Math.max(durationMs, 40), 5000),
    });
  }

  async record(callId: string, parties: RecordingParties): Promise<void> {
    await this.#command('start recording', { 'call-id': callId });
    this.#recorded.set(callId, parties);
  }

  /** The `DTLS-fingerprint` of an offer to `to`: another hash than before when it has moved into this call. */
  #fingerprintFor(to: MediaLegInfo): NgDictionary {
    if (profileOf(to.protocol) !== 'webrtc') return {};
    const known = this.#fingerprints.get(to.legTag);
    const hash: FingerprintHash = known === undefined ? 'sha-256' : known.callId === to.callId ? known.hash : known.hash === 'sha-256' ? 'sha-384' : 'sha-256';
    this.#noteFingerprint(to, hash);
    return hash === 'sha-256' ? {} : { 'DTLS-fingerprint': hash };
  }

  /** Records the call a WebRTC leg is in and its hash (`undefined`: as it was). */
  #noteFingerprint(leg: MediaLegInfo, hash: FingerprintHash | undefined): void {
    if (profileOf(leg.protocol) !== 'webrtc') return;
    const kept = hash ?? this.#fingerprints.get(leg.legTag)?.hash ?? 'sha-256';
    this.#fingerprints.delete(leg.legTag);
    this.#fingerprints.set(leg.legTag, { callId: leg.callId, hash: kept });
    if (this.#fingerprints.size > MAX_REMEMBERED_ROLES) {
      const oldest = this.#fingerprints.keys().next().value;
      if (oldest !== undefined) this.#fingerprints.delete(oldest);
    }
  }

  /** Remembers the DTLS role a WebRTC leg took in an SDP it sent (offers say actpass: no role yet). */
  #noteDtlsRole(leg: MediaLegInfo, sdp: Buffer): void {
    if (profileOf(leg.protocol) !== 'webrtc') return;
    const setup = dtlsSetupOf(sdp);
    if (setup !== 'active' && setup !== 'passive') return;
    this.#dtlsRoles.delete(leg.legTag);
    this.#dtlsRoles.set(leg.legTag, setup);
    if (this.#dtlsRoles.size > MAX_REMEMBERED_ROLES) {
      const oldest = this.#dtlsRoles.keys().next().value;
      if (oldest !== undefined) this.#dtlsRoles.delete(oldest);
    }
  }

  async #command(command: Parameters<MediaControl['command']>[0], params: NgDictionary): Promise<NgDictionary> {
    try {
      return await this.#control.command(command, params);
    } catch (err) {
      // The caller of a call whose media cannot be set up is told why: 488 when rtpengine refused
      // the SDP, 503 when no rtpengine answered.
      if (err instanceof MediaError && err.sipStatus === undefined) {
        throw new MediaError(err.code, err.message, { sipStatus: err.code === 'MEDIA_NG_ERROR' ? 488 : 503, cause: err });
      }
      throw err;
    }
  }
}

function sdpOf(reply: NgDictionary): Buffer {
  const sdp = reply['sdp'];
  if (typeof sdp === 'string') return Buffer.from(sdp, 'utf8');
  if (Buffer.isBuffer(sdp)) return sdp;
  throw new MediaError('MEDIA_NG_BAD_REPLY', 'rtpengine answered without an SDP', { sipStatus: 503 });
}

/** The `a=setup` value of an SDP (RFC 4145), if any. */
function dtlsSetupOf(sdp: Buffer): string | undefined {
  return /^a=setup:(\w+)/m.exec(sdp.toString('utf8'))?.[1]?.toLowerCase();
}

/**
 * rtpengine's DTLS role in an answer to a leg whose own role is `legRole` (RFC 5763 §5: one active,
 * one passive). A browser re-offering on a running DTLS association says `actpass` but keeps its
 * role (JSEP); rtpengine, meeting that leg's monologue anew in this call (after a transfer), would
 * answer with its default (active) and Chromium drops the call ("Failed to set SSL role").
 */
function roleFacing(legRole: 'active' | 'passive' | undefined): NgDictionary {
  if (legRole === 'active') return { DTLS: 'passive' };
  if (legRole === 'passive') return { DTLS: 'active' };
  return {};
}
