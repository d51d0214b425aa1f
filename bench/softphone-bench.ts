// The browser softphone's weight and call set-up times, in one run:
//
// - Page weight: index.html, app.css and app.js as `voiplab serve` and scripts/build-softphone.ts
//   build them (esbuild, minified), raw and gzipped (what a server with compression sends).
// - Calls: two softphones (the real app at /phone/, each in its own Chromium with a fake
//   microphone tone) on an embedded IPBX with rtpengine media and a WSS listener. Alice calls bob
//   `calls` times; bob's page answers as soon as the call rings in. Per call, from the pages'
//   clocks (Date.now(), one machine, so the two Chromiums agree):
//     dial → ringing      alice's voiplab.call() until her 180 (CallSnapshot.ringingAt)
//     dial → answered     until alice's 200 OK (her connectedAt): includes bob's answer (microphone,
//                         SDP answer, ICE gathering) and the IPBX's rtpengine offer/answer
//     answer → first audio  from bob's answer() until each side's analyser first hears the other's
//                         tone (RMS ≥ -45 dBFS at the right frequency, 50 ms reads): ICE, DTLS, SRTP
// - Reference, measured in the same run and the same Chromium: the round trip of a SIP OPTIONS
//   over a plain WebSocket from alice's page to the IPBX's WSS listener (the IPBX answers OPTIONS
//   itself), half before the calls and half between them. The ratios say how many SIP round trips each step costs, so runs on different
//   machines compare; the first call (cold: first getUserMedia, first DTLS) is also reported
//   against the median of the others.
// Every wait is bounded; both Chromiums and the IPBX are closed at the end, failure or not.

import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import { bundleSoftphone, SOFTPHONE_FILES, type SoftphoneFileName } from '../softphone/build/softphone-bundle.ts';
import type { VoiplabApi } from '../softphone/src/automation/voiplab-api-types.ts';
import { withTimeout } from '../test/helpers/browser-phone.ts';
import type { IpbxHarness } from '../test/helpers/ipbx-harness.ts';
import { softphoneUrl, startSoftphoneIpbx } from '../test/helpers/softphone-ipbx.ts';
import { SoftphonePage } from '../test/helpers/softphone-page.ts';

export interface SoftphoneBenchOptions {
  /** Calls measured (the first included); at least 2. */
  calls: number;
  /** OPTIONS round trips for the reference before the calls, and as many again spread between them. */
  sipPings: number;
}

const DEFAULTS: SoftphoneBenchOptions = { calls: 10, sipPings: 20 };
const ALICE = { user: '1001', password: 'alice-secret-1001', displayName: 'Alice', toneHz: 1000 };
const BOB = { user: '1002', password: 'bob-secret-1002', displayName: 'Bob', toneHz: 1500 };
/** One call's set-up and first audio, on a loaded 2-core machine: generous, but bounded. */
const CALL_TIMEOUT_MS = 30_000;
const REGISTER_TIMEOUT_MS = 30_000;
const PING_TIMEOUT_MS = 10_000;
/** Between calls: both pages forget the ended call, rtpengine deletes its session. */
const PAUSE_BETWEEN_CALLS_MS = 500;
/** What "hearing the tone" means, as in test/helpers/softphone-page.ts. */
const TONE = { minLevelDb: -45, toleranceHz: 50, readMs: 50 };

interface Figures {
  samples: number[];
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
  /** median / the SIP OPTIONS round trip's median. */
  ratioToSipRoundTrip: number;
  /** The first call / the median of the others (cold start). */
  firstCallRatio: number;
}

export interface SoftphoneBenchResult {
  date: string;
  node: string;
  chromium: string;
  cores: number;
  cpu: string;
  options: SoftphoneBenchOptions;
  pageWeight: {
    files: Record<SoftphoneFileName, { bytes: number; gzipBytes: number }>;
    total: { bytes: number; gzipBytes: number };
    notes: string;
  };
  reference: { what: string; samples: number[]; medianMs: number; p90Ms: number };
  calls: {
    what: Record<'dialToRinging' | 'dialToAnswered' | 'answerToFirstAudioCaller' | 'answerToFirstAudioCallee', string>;
    dialToRinging: Figures;
    dialToAnswered: Figures;
    answerToFirstAudioCaller: Figures;
    answerToFirstAudioCallee: Figures;
  };
  durationMs: number;
}

/** Nearest rank: with 10 samples, p90 is the 9th smallest. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function figures(samples: number[], referenceMs: number): Figures {
  const median = percentile(samples, 50);
  const warm = percentile(samples.slice(1), 50);
  return {
    samples, medianMs: median, p90Ms: percentile(samples, 90), minMs: Math.min(...samples), maxMs: Math.max(...samples),
    ratioToSipRoundTrip: referenceMs > 0 ? round2(median / referenceMs) : 0,
    firstCallRatio: warm > 0 ? round2((samples[0] ?? 0) / warm) : 0,
  };
}

async function pageWeight(): Promise<SoftphoneBenchResult['pageWeight']> {
  const bundle = await bundleSoftphone({ minify: true });
  const names = Object.keys(SOFTPHONE_FILES) as SoftphoneFileName[];
  const files = Object.fromEntries(names.map((name) => [name, { bytes: bundle[name].byteLength, gzipBytes: gzipSync(bundle[name]).byteLength }])) as SoftphoneBenchResult['pageWeight']['files'];
  const sum = (pick: (f: { bytes: number; gzipBytes: number }) => number) => names.reduce((total, name) => total + pick(files[name]), 0);
  return { files, total: { bytes: sum((f) => f.bytes), gzipBytes: sum((f) => f.gzipBytes) }, notes: 'esbuild, minified, as voiplab serve bundles it; gzip level 6 (zlib default), file by file' };
}

// --- In the pages (plain functions: Playwright sends their source; only window.voiplab is used) ---

interface CallerTimes { dialAt: number; ringingAt: number | null; connectedAt: number | null; firstAudioAt: number; failure: string | null }
interface CalleeTimes { incomingAt: number; answerAt: number; firstAudioAt: number; failure: string | null }
interface PageArgs { target: string; toneHz: number; timeoutMs: number; tone: typeof TONE }

async function callAndListen({ target, toneHz, timeoutMs, tone }: PageArgs): Promise<CallerTimes> {
  const voiplab = (globalThis as unknown as { voiplab: VoiplabApi }).voiplab;
  const deadline = Date.now() + timeoutMs;
  const dialAt = Date.now();
  const id = await voiplab.call(target);
  const times: CallerTimes = { dialAt, ringingAt: null, connectedAt: null, firstAudioAt: 0, failure: null };
  for (;;) {
    const call = voiplab.state().calls.find((c) => c.id === id);
    if (call?.state === 'connected') {
      times.ringingAt = call.ringingAt;
      times.connectedAt = call.connectedAt;
      break;
    }
    if (call === undefined || call.state === 'ended' || Date.now() > deadline) return { ...times, failure: `call ${call?.state ?? 'gone'} (${call?.statusCode ?? '-'})` };
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  while (Date.now() < deadline) {
    const heard = await voiplab.listen(tone.readMs, id);
    if (heard.hasTrack && heard.levelDb >= tone.minLevelDb && Math.abs(heard.frequencyHz - toneHz) <= tone.toleranceHz) return { ...times, firstAudioAt: Date.now() };
  }
  return { ...times, failure: `never heard ${toneHz} Hz` };
}

async function answerAndListen({ toneHz, timeoutMs, tone }: PageArgs): Promise<CalleeTimes> {
  const voiplab = (globalThis as unknown as { voiplab: VoiplabApi }).voiplab;
  const deadline = Date.now() + timeoutMs;
  const times: CalleeTimes = { incomingAt: 0, answerAt: 0, firstAudioAt: 0, failure: null };
  let id: string | undefined;
  while (id === undefined) {
    const call = voiplab.state().calls.find((c) => c.state === 'incoming');
    if (call !== undefined) {
      id = call.id;
      times.incomingAt = call.startedAt;
    } else if (Date.now() > deadline) {
      return { ...times, failure: 'no incoming call' };
    } else {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  times.answerAt = Date.now();
  await voiplab.answer(id);
  while (Date.now() < deadline) {
    const heard = await voiplab.listen(tone.readMs, id);
    if (heard.hasTrack && heard.levelDb >= tone.minLevelDb && Math.abs(heard.frequencyHz - toneHz) <= tone.toleranceHz) return { ...times, firstAudioAt: Date.now() };
  }
  return { ...times, failure: `never heard ${toneHz} Hz` };
}

/** SIP OPTIONS over a WebSocket of its own (subprotocol sip, RFC 7118), one at a time; round trips in ms. */
async function sipPings({ url, domain, count, timeoutMs }: { url: string; domain: string; count: number; timeoutMs: number }): Promise<number[]> {
  const socket = new WebSocket(url, 'sip');
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`cannot open ${url}`));
  });
  const rtts: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const branch = `z9hG4bK${Math.random().toString(36).slice(2)}${i}`;
      const request = [
        `OPTIONS sip:${domain} SIP/2.0`, `Via: SIP/2.0/WSS bench.invalid;branch=${branch}`, 'Max-Forwards: 70',
        `From: <sip:bench@${domain}>;tag=b${i}`, `To: <sip:${domain}>`, `Call-ID: bench-ping-${branch}`, `CSeq: ${i + 1} OPTIONS`,
        'Content-Length: 0', '', '',
      ].join('\r\n');
      const sentAt = performance.now();
      const answered = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('OPTIONS: no answer')), timeoutMs);
        socket.onmessage = (event: MessageEvent) => {
          if (String(event.data).includes(branch)) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      socket.send(request);
      await answered;
      rtts.push(performance.now() - sentAt);
    }
  } finally {
    socket.close();
  }
  return rtts;
}

// --- The run --------------------------------------------------------------------------------

export async function runSoftphoneBench(options: Partial<SoftphoneBenchOptions> = {}): Promise<SoftphoneBenchResult> {
  const o = { ...DEFAULTS, ...options };
  if (o.calls < 2) throw new Error('softphone bench: --calls must be at least 2 (the first call is the cold one)');
  const started = Date.now();
  const weight = await pageWeight();
  let harness: IpbxHarness | undefined;
  let alice: SoftphonePage | undefined;
  let bob: SoftphonePage | undefined;
  try {
    const ipbx = await startSoftphoneIpbx([ALICE, BOB]);
    harness = ipbx;
    const wssPort = ipbx.wssPort;
    const urlOf = (account: typeof ALICE) => softphoneUrl(harness!, { user: account.user, password: account.password, name: account.displayName, audioProcessing: '0' });
    const launched = await Promise.allSettled([
      SoftphonePage.launch({ name: 'alice', url: urlOf(ALICE), toneHz: ALICE.toneHz, trustCertificate: harness.certificate }),
      SoftphonePage.launch({ name: 'bob', url: urlOf(BOB), toneHz: BOB.toneHz, trustCertificate: harness.certificate }),
    ]);
    [alice, bob] = launched.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    for (const r of launched) if (r.status === 'rejected') throw r.reason;
    const [a, b] = [alice!, bob!];
    await Promise.all([a.waitForRegistered(REGISTER_TIMEOUT_MS), b.waitForRegistered(REGISTER_TIMEOUT_MS)]);
    // A string: it runs in the page, whose DOM types this Node-side file does not have.
    const chromium = String(await a.page.evaluate('navigator.userAgent')).replace(/.*(Chrom(e|ium)\/[\d.]+).*/, '$1');

    // Half the reference before the calls, half between them, so that a change in the machine's load lands on both.
    const ping = (count: number) => withTimeout(a.page.evaluate(sipPings, { url: `wss://127.0.0.1:${wssPort}`, domain: harness!.domain, count, timeoutMs: PING_TIMEOUT_MS }),
      PING_TIMEOUT_MS * 2, 'softphone bench: SIP OPTIONS pings');
    const pings = await ping(Math.ceil(o.sipPings / 2));
    const pingsPerGap = Math.max(1, Math.round(o.sipPings / 2 / o.calls));

    const samples = { dialToRinging: [] as number[], dialToAnswered: [] as number[], answerToFirstAudioCaller: [] as number[], answerToFirstAudioCallee: [] as number[] };
    for (let i = 0; i < o.calls; i++) {
      pings.push(...await ping(pingsPerGap));
      const [caller, callee] = await withTimeout(Promise.all([
        a.page.evaluate(callAndListen, { target: BOB.user, toneHz: BOB.toneHz, timeoutMs: CALL_TIMEOUT_MS, tone: TONE }),
        b.page.evaluate(answerAndListen, { target: '', toneHz: ALICE.toneHz, timeoutMs: CALL_TIMEOUT_MS, tone: TONE }),
      ]), CALL_TIMEOUT_MS + 5000, `softphone bench: call ${i + 1}`);
      const failure = caller.failure ?? callee.failure;
      if (failure !== null || caller.ringingAt === null || caller.connectedAt === null) {
        throw new Error(`softphone bench: call ${i + 1} failed (${failure ?? 'no 180 seen'}): the timing would mean nothing\n${await a.diagnostics()}\n${await b.diagnostics()}`);
      }
      samples.dialToRinging.push(caller.ringingAt - caller.dialAt);
      samples.dialToAnswered.push(caller.connectedAt - caller.dialAt);
      samples.answerToFirstAudioCaller.push(caller.firstAudioAt - callee.answerAt);
      samples.answerToFirstAudioCallee.push(callee.firstAudioAt - callee.answerAt);
      await a.page.evaluate(() => (globalThis as unknown as { voiplab: VoiplabApi }).voiplab.hangup());
      await Promise.all([a.waitForCall('ended'), b.waitForCall('ended')]);
      await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_CALLS_MS));
    }
    const referenceMs = percentile(pings, 50);
    return {
      date: new Date().toISOString(),
      node: process.version,
      chromium,
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      options: o,
      pageWeight: weight,
      reference: {
        what: 'SIP OPTIONS round trip over a WebSocket from the caller\'s page to the IPBX\'s WSS listener (answered by the IPBX)',
        samples: pings.map((ms) => round2(ms)), medianMs: round2(referenceMs), p90Ms: round2(percentile(pings, 90)),
      },
      calls: {
        what: {
          dialToRinging: 'caller: voiplab.call() → 180 Ringing received',
          dialToAnswered: 'caller: voiplab.call() → 200 OK received (callee answers as soon as its call rings in)',
          answerToFirstAudioCaller: 'callee\'s answer() → the caller first hears the callee\'s tone (50 ms analyser reads)',
          answerToFirstAudioCallee: 'callee\'s answer() → the callee first hears the caller\'s tone (50 ms analyser reads)',
        },
        dialToRinging: figures(samples.dialToRinging, referenceMs),
        dialToAnswered: figures(samples.dialToAnswered, referenceMs),
        answerToFirstAudioCaller: figures(samples.answerToFirstAudioCaller, referenceMs),
        answerToFirstAudioCallee: figures(samples.answerToFirstAudioCallee, referenceMs),
      },
      durationMs: Date.now() - started,
    };
  } finally {
    await Promise.allSettled([alice?.close(), bob?.close()]);
    await harness?.close();
  }
}

export function summarizeSoftphoneBench(result: SoftphoneBenchResult): string[] {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const line = (name: string, f: Figures) => `  ${name.padEnd(28)} median ${String(f.medianMs).padStart(5)} ms, p90 ${String(f.p90Ms).padStart(5)} ms (×${f.ratioToSipRoundTrip} SIP round trips; first call ×${f.firstCallRatio})`;
  return [
    `softphone page weight: ${kib(result.pageWeight.total.bytes)} (${kib(result.pageWeight.total.gzipBytes)} gzipped); app.js ${kib(result.pageWeight.files['app.js'].bytes)}`,
    `SIP OPTIONS round trip (reference): median ${result.reference.medianMs} ms`,
    `${result.options.calls} calls between two softphones (${result.chromium}) through the IPBX with rtpengine:`,
    line('dial → ringing', result.calls.dialToRinging),
    line('dial → answered', result.calls.dialToAnswered),
    line('answer → caller hears', result.calls.answerToFirstAudioCaller),
    line('answer → callee hears', result.calls.answerToFirstAudioCallee),
  ];
}
