// The browser half of the e2e phone harness: a sip.js 0.21 phone in a Chromium page, driven by
// test/helpers/browser-phone.ts through `window.phone`. Bundled by esbuild at test time.
// Every method returns plain JSON-friendly data, since Playwright carries it across processes.
// Media stays on loopback: only the peer's UDP 127.0.0.1 ICE candidates are kept.

import {
  Invitation, Inviter, Registerer, RegistererState, SessionState, UserAgent, Web,
  type Info, type Session, type SessionDescriptionHandlerModifier, type LogLevel,
} from 'sip.js';
import type {
  CallSnapshot, DtmfOptions, HeardAudio, MediaEndpoint, MediaRoute, PhoneApi, RegisterOptions, RegistrationSnapshot,
} from './phone-api.ts';

/** Reported level of no audio at all, instead of -Infinity (which JSON cannot carry). */
export const SILENCE_DB = -120;

/** Host candidates only, so gathering ends at once; the cap is for hosts where it would not. */
const ICE_GATHERING_TIMEOUT_MS = 1000;
/** 48 kHz / 8192 ≈ 5.9 Hz per bin: fine enough to tell 1000 Hz from 1500 Hz with room to spare. */
const ANALYSER_FFT_SIZE = 8192;
/** Below this, bins are DC and hum rather than a tone. */
const MIN_TONE_HZ = 50;
const LISTEN_READ_INTERVAL_MS = 50;
const SIP_TRACE_LIMIT = 60;
const DTMF_INFO_DIGIT = /^[0-9A-D*#]$/;
/** RTCDTMFSender's default gap between RFC 4733 events. */
const DTMF_INTER_TONE_GAP_MS = 70;

const remoteAudio = document.getElementById('remote-audio') as HTMLAudioElement;

let userAgent: UserAgent | undefined;
let registerer: Registerer | undefined;
let domain = '';
let registration: RegistrationSnapshot = { state: 'unregistered', statusCode: null, reason: null };
let session: Inviter | Invitation | undefined;
let call: CallSnapshot = idleCall();
const sipTraceLines: string[] = [];

function idleCall(): CallSnapshot {
  return {
    state: 'idle', direction: null, remoteName: null, remoteNumber: null, statusCode: null, reason: null,
    endCause: null, onHold: false, mediaDirection: null, infoDigits: '',
  };
}

/** The page shows its state too, for screenshots of a failing test. */
function showState(): void {
  const status = (code: number | null) => (code === null ? '' : ` ${code}`);
  setText('registration-state', `${registration.state}${registration.state === 'failed' ? status(registration.statusCode) : ''}`);
  setText('call-state', call.endCause === null ? call.state : `${call.state} (${call.endCause}${status(call.statusCode)})`);
}

function setText(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element !== null) element.textContent = text;
}

// --- SDP and media -------------------------------------------------------------------------

/**
 * Drops every ICE candidate of the peer but UDP on 127.0.0.1. Modifiers run on the local
 * description before it is set (no candidates yet) and on the remote one, so it is the peer's
 * side that gets filtered: every connectivity check, hence all media, goes to 127.0.0.1. (Chromium
 * may still send from another of its host addresses, pairing its LAN candidate with the peer's
 * loopback one, which it prefers for its lower network cost; the packets stay on this host.)
 */
const keepLoopbackCandidates: SessionDescriptionHandlerModifier = (description) => {
  if (description.sdp === undefined) return Promise.resolve(description);
  const lines = description.sdp.split('\r\n').filter((line) => !line.startsWith('a=candidate:') || isLoopbackUdpCandidate(line));
  return Promise.resolve({ type: description.type, sdp: lines.join('\r\n') });
};

/** `a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ …` (RFC 8839 §5.1). */
function isLoopbackUdpCandidate(line: string): boolean {
  const fields = line.split(' ');
  return fields[2]?.toLowerCase() === 'udp' && fields[4] === '127.0.0.1';
}

/** The fake microphone's tone as is: no echo cancelling, noise suppression or gain riding it. */
const rawMicrophone: Web.MediaStreamFactory = () => navigator.mediaDevices.getUserMedia({
  audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  video: false,
});

function webHandler(of: Session | undefined): Web.SessionDescriptionHandler | undefined {
  const handler = of?.sessionDescriptionHandler;
  return handler instanceof Web.SessionDescriptionHandler ? handler : undefined;
}

function audioTransceiver(): RTCRtpTransceiver | undefined {
  return webHandler(session)?.peerConnection?.getTransceivers().find((t) => t.receiver.track.kind === 'audio');
}

// --- Registration --------------------------------------------------------------------------

function logConnector(level: LogLevel, category: string, _label: string | undefined, content: string): void {
  if (category === 'sip.Transport' && /WebSocket (text |binary )?message/.test(content)) {
    sipTraceLines.push(content.trim().replace(/^(.*?:)\n\n/, '$1\n')); // "Sending WebSocket message:\n\nINVITE…"
    if (sipTraceLines.length > SIP_TRACE_LIMIT) sipTraceLines.shift();
  } else if (level === 'error' || level === 'warn') {
    // console.error is what the Node side collects for failure messages.
    console.error(`[${category}] ${content}`);
  }
}

async function register(options: RegisterOptions): Promise<void> {
  if (userAgent !== undefined) throw new Error('register: already registered; unregister() first');
  domain = options.domain;
  const uri = UserAgent.makeURI(`sip:${options.user}@${options.domain}`);
  if (uri === undefined) throw new Error(`register: bad user or domain: ${options.user}@${options.domain}`);
  registration = { state: 'registering', statusCode: null, reason: null };
  showState();
  const ua = new UserAgent({
    uri,
    displayName: options.displayName ?? '',
    authorizationUsername: options.user,
    authorizationPassword: options.password,
    transportOptions: { server: options.wsUrl, traceSip: true, keepAliveInterval: options.keepAliveSeconds ?? 0 },
    logBuiltinEnabled: false,
    logLevel: 'log',
    logConnector,
    sessionDescriptionHandlerFactory: Web.defaultSessionDescriptionHandlerFactory(rawMicrophone),
    sessionDescriptionHandlerFactoryOptions: { iceGatheringTimeout: ICE_GATHERING_TIMEOUT_MS, peerConnectionConfiguration: { iceServers: [] } },
    delegate: {
      onInvite: onIncomingInvite,
      // Without an error the disconnect was ours (unregister). With one, the IPBX or the network
      // dropped the WebSocket: the binding is gone with it (RFC 5626), so say so.
      onDisconnect: (error) => {
        if (error === undefined) return;
        registration = { state: 'failed', statusCode: null, reason: `WebSocket lost: ${error.message}` };
        showState();
      },
    },
  });
  userAgent = ua;
  try {
    await ua.start();
  } catch (err) {
    registration = { state: 'failed', statusCode: null, reason: `WebSocket ${options.wsUrl}: ${errorText(err)}` };
    await ua.stop().catch(() => undefined);
    userAgent = undefined;
    showState();
    return;
  }
  const reg = new Registerer(ua);
  registerer = reg;
  reg.stateChange.addListener((state) => {
    if (state === RegistererState.Registered) registration = { ...registration, state: 'registered' };
    // A refused REGISTER also ends in Unregistered: keep 'failed' and its status.
    else if (state === RegistererState.Unregistered && registration.state !== 'failed') registration = { ...registration, state: 'unregistered' };
    showState();
  });
  await reg.register({
    requestDelegate: {
      onAccept: (response) => {
        registration = { state: 'registered', statusCode: response.message.statusCode ?? null, reason: response.message.reasonPhrase ?? null };
        showState();
      },
      onReject: (response) => {
        registration = { state: 'failed', statusCode: response.message.statusCode ?? null, reason: response.message.reasonPhrase ?? null };
        showState();
      },
    },
  });
}

async function unregister(): Promise<void> {
  const ua = userAgent;
  const reg = registerer;
  if (ua === undefined) return;
  if (reg !== undefined && registration.state === 'registered') {
    registration = { ...registration, state: 'unregistering' };
    await reg.unregister();
  }
  await ua.stop();
  userAgent = undefined;
  registerer = undefined;
  registration = { ...registration, state: 'unregistered' };
  showState();
}

// --- Calls ---------------------------------------------------------------------------------

function startCall(next: Inviter | Invitation, direction: 'outgoing' | 'incoming'): void {
  session = next;
  const identity = next.remoteIdentity; // From of an incoming INVITE, To of ours
  call = {
    ...idleCall(),
    state: direction === 'incoming' ? 'ringing' : 'calling',
    direction,
    remoteName: identity.displayName === '' ? null : identity.displayName,
    remoteNumber: identity.uri.user ?? null,
  };
  next.sessionDescriptionHandlerModifiers = [keepLoopbackCandidates];
  next.sessionDescriptionHandlerModifiersReInvite = [keepLoopbackCandidates];
  next.delegate = {
    onInfo: (info) => void onInfo(info),
    onBye: (bye) => {
      if (call.endCause === null) call.endCause = 'remote-hangup';
      void bye.accept();
    },
  };
  next.stateChange.addListener((state) => onSessionState(next, state));
  showState();
}

function onSessionState(which: Session, state: SessionState): void {
  if (which !== session) return; // a call already replaced by a newer one
  if (state === SessionState.Established) {
    call.state = 'connected';
    void playRemoteAudio();
  } else if (state === SessionState.Terminated) {
    call.state = 'ended';
    // sip.js ends an Inviter before it hands the final response to the invite() delegate (which
    // sets 'rejected' and the status), so the fallback cause waits until that has run.
    queueMicrotask(() => {
      if (call.endCause === null) call.endCause = call.direction === 'incoming' && call.statusCode === null ? 'cancelled' : 'failed';
      showState();
    });
  }
  showState();
}

function onIncomingInvite(invitation: Invitation): void {
  if (session !== undefined && session.state !== SessionState.Terminated) {
    void invitation.reject({ statusCode: 486 }); // one call at a time
    return;
  }
  startCall(invitation, 'incoming');
}

async function placeCall(number: string): Promise<void> {
  const ua = requireUserAgent();
  if (session !== undefined && session.state !== SessionState.Terminated) throw new Error('call: a call is already in progress');
  const target = UserAgent.makeURI(`sip:${number}@${domain}`);
  if (target === undefined) throw new Error(`call: bad number ${number}`);
  const inviter = new Inviter(ua, target);
  startCall(inviter, 'outgoing');
  await inviter.invite({
    requestDelegate: {
      onProgress: (response) => {
        const status = response.message.statusCode ?? 0;
        if (status >= 180 && call.state === 'calling') call.state = 'ringing';
        showState();
      },
      onAccept: (response) => {
        call.statusCode = response.message.statusCode ?? null;
        call.reason = response.message.reasonPhrase ?? null;
      },
      onReject: (response) => {
        call.statusCode = response.message.statusCode ?? null;
        call.reason = response.message.reasonPhrase ?? null;
        if (call.endCause === null) call.endCause = 'rejected';
      },
    },
  });
}

async function answer(): Promise<void> {
  const invitation = requireIncomingRinging('answer');
  call.statusCode = 200;
  await invitation.accept();
}

async function reject(statusCode = 486): Promise<void> {
  const invitation = requireIncomingRinging('reject');
  call.statusCode = statusCode;
  call.endCause = 'declined';
  await invitation.reject({ statusCode });
}

async function hangup(): Promise<void> {
  const current = session;
  if (current === undefined || current.state === SessionState.Terminated || current.state === SessionState.Terminating) return;
  if (current instanceof Invitation && current.state === SessionState.Initial) {
    await reject(486);
    return;
  }
  if (call.endCause === null) call.endCause = 'local-hangup';
  if (current.state === SessionState.Established) await current.bye();
  else if (current instanceof Inviter) await current.cancel();
  else throw new Error('hangup: the call is being answered; wait until it is connected');
}

/**
 * A re-INVITE offering sendonly (hold) or sendrecv (resume). Like sip.js's SessionManager, the
 * holder also mutes its own tracks: the held side hears silence (where a PBX phone would play
 * music) and the holder hears nothing, whatever the other end answers.
 */
async function setHold(hold: boolean): Promise<void> {
  const current = session;
  if (current === undefined || current.state !== SessionState.Established) throw new Error(`${hold ? 'hold' : 'unhold'}: no connected call (call state ${call.state})`);
  const options: Web.SessionDescriptionHandlerOptions = { hold };
  current.sessionDescriptionHandlerOptionsReInvite = options;
  await new Promise<void>((resolve, rejectReinvite) => {
    current.invite({
      requestDelegate: {
        onAccept: () => resolve(),
        onReject: (response) => rejectReinvite(new Error(`${hold ? 'hold' : 'unhold'}: re-INVITE refused with ${response.message.statusCode} ${response.message.reasonPhrase}`)),
      },
    }).catch(rejectReinvite);
  });
  const handler = webHandler(current);
  handler?.enableSenderTracks(!hold);
  handler?.enableReceiverTracks(!hold);
  call.onHold = hold;
}

async function sendDtmf(digits: string, options: DtmfOptions = {}): Promise<void> {
  const current = session;
  if (current === undefined || current.state !== SessionState.Established) throw new Error(`sendDtmf: no connected call (call state ${call.state})`);
  const durationMs = options.durationMs ?? 160;
  if (options.info !== true) {
    const handler = webHandler(current);
    if (handler === undefined || !handler.sendDtmf(digits, { duration: durationMs, interToneGap: DTMF_INTER_TONE_GAP_MS })) throw new Error('sendDtmf: the audio sender has no RTCDTMFSender (telephone-event not negotiated?)');
    return;
  }
  // One INFO per digit, each after the previous one is answered, so the far end gets them in order.
  for (const digit of digits) {
    if (!DTMF_INFO_DIGIT.test(digit)) throw new Error(`sendDtmf: "${digit}" is not a DTMF digit`);
    await new Promise<void>((resolve, rejectInfo) => {
      current.info({
        requestOptions: { body: { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: `Signal=${digit}\r\nDuration=${durationMs}\r\n` } },
        requestDelegate: {
          onAccept: () => resolve(),
          onReject: (response) => rejectInfo(new Error(`sendDtmf: INFO for "${digit}" refused with ${response.message.statusCode} ${response.message.reasonPhrase}`)),
        },
      }).catch(rejectInfo);
    });
  }
}

async function onInfo(info: Info): Promise<void> {
  const body = info.request.body ?? '';
  const contentType = info.request.getHeader('content-type')?.toLowerCase() ?? '';
  const signal = /^Signal\s*=\s*([0-9A-D*#])\s*$/im.exec(body);
  if (contentType.startsWith('application/dtmf-relay') && signal?.[1] !== undefined) {
    call.infoDigits += signal[1].toUpperCase();
    await info.accept();
  } else {
    await info.reject({ statusCode: 415 });
  }
}

function requireUserAgent(): UserAgent {
  if (userAgent === undefined || registration.state !== 'registered') throw new Error(`not registered (registration ${registration.state})`);
  return userAgent;
}

function requireIncomingRinging(action: string): Invitation {
  const current = session;
  if (!(current instanceof Invitation) || current.state !== SessionState.Initial) throw new Error(`${action}: no incoming call ringing (call state ${call.state})`);
  return current;
}

// --- Listening -----------------------------------------------------------------------------

let audioContext: AudioContext | undefined;
let analyser: AnalyserNode | undefined;
let analysedTrack: MediaStreamTrack | undefined;
let analysedSource: MediaStreamAudioSourceNode | undefined;

function remoteAudioTrack(): MediaStreamTrack | undefined {
  return webHandler(session)?.remoteMediaStream.getAudioTracks()[0];
}

/** Chromium quirk: a remote WebRTC track reaches WebAudio only while a media element plays it. */
async function playRemoteAudio(): Promise<void> {
  const track = remoteAudioTrack();
  if (track === undefined) return;
  const current = remoteAudio.srcObject instanceof MediaStream ? remoteAudio.srcObject.getAudioTracks()[0] : undefined;
  if (current === track) return;
  remoteAudio.srcObject = new MediaStream([track]);
  remoteAudio.muted = true;
  await remoteAudio.play().catch((err: unknown) => console.error(`remote audio element: ${errorText(err)}`));
}

async function analyserOf(track: MediaStreamTrack): Promise<AnalyserNode> {
  audioContext ??= new AudioContext();
  if (audioContext.state !== 'running') await audioContext.resume();
  if (analyser === undefined) {
    analyser = audioContext.createAnalyser();
    analyser.fftSize = ANALYSER_FFT_SIZE;
    analyser.smoothingTimeConstant = 0; // the window is averaged here instead
  }
  if (track !== analysedTrack) {
    await playRemoteAudio();
    analysedSource?.disconnect();
    analysedSource = audioContext.createMediaStreamSource(new MediaStream([track]));
    analysedSource.connect(analyser);
    analysedTrack = track;
  }
  return analyser;
}

/** Dominant frequency and level of the remote audio, averaged (in power) over `windowMs`. */
async function listen(windowMs = 300): Promise<HeardAudio> {
  const track = remoteAudioTrack();
  if (track === undefined || track.readyState === 'ended') return { frequencyHz: 0, levelDb: SILENCE_DB, hasTrack: false };
  const node = await analyserOf(track);
  const sampleRate = node.context.sampleRate;
  const spectrumDb = new Float32Array(node.frequencyBinCount);
  const samples = new Float32Array(node.fftSize);
  const power = new Float64Array(node.frequencyBinCount);
  let squareSum = 0;
  let sampleCount = 0;
  const reads = Math.max(1, Math.round(windowMs / LISTEN_READ_INTERVAL_MS));
  for (let read = 0; read < reads; read++) {
    await new Promise((resolve) => setTimeout(resolve, LISTEN_READ_INTERVAL_MS));
    node.getFloatFrequencyData(spectrumDb);
    for (let bin = 0; bin < power.length; bin++) power[bin] = (power[bin] ?? 0) + 10 ** ((spectrumDb[bin] ?? -Infinity) / 10);
    node.getFloatTimeDomainData(samples);
    for (const sample of samples) squareSum += sample * sample;
    sampleCount += samples.length;
  }
  const binHz = sampleRate / node.fftSize;
  let peakBin = 0;
  for (let bin = Math.ceil(MIN_TONE_HZ / binHz); bin < power.length; bin++) {
    if ((power[bin] ?? 0) > (power[peakBin] ?? 0)) peakBin = bin;
  }
  const meanSquare = squareSum / sampleCount;
  const levelDb = meanSquare > 0 ? Math.max(SILENCE_DB, 10 * Math.log10(meanSquare)) : SILENCE_DB;
  return { frequencyHz: peakBin * binHz, levelDb, hasTrack: true };
}

// --- Media route ---------------------------------------------------------------------------

/** The fields read here of the 'transport', 'candidate-pair' and '*-candidate' stats. */
interface RouteStats {
  type: string;
  selectedCandidatePairId?: string;
  localCandidateId?: string;
  remoteCandidateId?: string;
  address?: string;
  port?: number;
  protocol?: string;
}

async function mediaRoute(): Promise<MediaRoute | null> {
  const peerConnection = webHandler(session)?.peerConnection;
  if (peerConnection === undefined) return null;
  // RTCStatsReport is a maplike; without the dom.iterable lib only its forEach is typed.
  const stats = new Map<string, RouteStats>();
  let pairId: string | undefined;
  (await peerConnection.getStats()).forEach((report: RouteStats, id: string) => {
    stats.set(id, report);
    if (report.type === 'transport' && report.selectedCandidatePairId !== undefined) pairId = report.selectedCandidatePairId;
  });
  const pair = pairId === undefined ? undefined : stats.get(pairId);
  const local = pair?.localCandidateId === undefined ? undefined : stats.get(pair.localCandidateId);
  const remote = pair?.remoteCandidateId === undefined ? undefined : stats.get(pair.remoteCandidateId);
  if (local?.address === undefined || remote?.address === undefined) return null;
  const endpoint = (candidate: RouteStats): MediaEndpoint => ({ address: candidate.address ?? '', port: candidate.port ?? 0 });
  const localCandidates = [...stats.values()].filter((r) => r.type === 'local-candidate' && r.protocol === 'udp').map(endpoint);
  return { local: endpoint(local), remote: endpoint(remote), localCandidates };
}

// --- window.phone --------------------------------------------------------------------------

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const phone: PhoneApi = {
  register,
  unregister,
  call: placeCall,
  answer,
  reject,
  hangup,
  hold: () => setHold(true),
  unhold: () => setHold(false),
  sendDtmf,
  state: () => ({
    registration: { ...registration },
    call: { ...call, mediaDirection: audioTransceiver()?.currentDirection ?? null },
  }),
  listen,
  mediaRoute,
  sipTrace: () => [...sipTraceLines],
};

// The Node side names the phone in the URL (?name=alice): shown on the page and in its title.
const phoneName = new URLSearchParams(location.search).get('name');
if (phoneName !== null) {
  document.title = `${phoneName}: voiplab browser phone`;
  setText('phone-name', phoneName);
}

Object.assign(window, { phone });
