// Call recordings, from rtpengine's raw files to a listed WAV, and their retention.
//
// When a recorded call ends (after the ng `delete`), finishCall() waits for rtpengine to finish
// the call's files (its metadata moves to metadata/), converts the capture into
// <dataDir>/recordings/<id>.wav (stereo: left the caller, right the callee), lists it in the
// store, and deletes rtpengine's raw files (they hold SRTP keys and duplicate the audio). A
// failure is logged with MEDIA_RECORDING_FAILED and leaves the raw files for a later look; it
// never rejects, so the IPBX cannot be brought down by a recording.
//
// Retention: recordings of calls started more than retentionDays ago are deleted, file and row,
// at start and then on an unref'd timer; so are rtpengine leftovers that old (calls whose
// finishCall never came, e.g. the IPBX was down when they ended).

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Recording, RecordingQuery, RecordingStore } from '../../store/recording-store.ts';
import { MediaError } from '../media-error.ts';
import { CallLegs } from './call-legs.ts';
import type { RecordingSampleRate } from './payload-decoder.ts';
import type { RecordingArchive } from './recording-archive.ts';
import { convertPcapFiles } from './recording-converter.ts';
import { parseRtpengineMetadata, type RtpengineSdp } from './rtpengine-metadata.ts';
import { findCallFiles, listSpoolFiles, pcapOf, spoolFolders, type SpoolFolders } from './rtpengine-spool.ts';

export interface FinishedCall {
  /** The call-id rtpengine knows the call by. */
  callId: string;
  callerExtension: string;
  calleeNumber: string;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
}

export interface RecordingServiceOptions {
  /** rtpengine's `--recording-dir` (with `--recording-method=pcap`). */
  recordingDir: string;
  /** voiplab's data folder: WAVs go to <dataDir>/recordings. */
  dataDir: string;
  store: RecordingStore;
  /** Default 90 (media.recording.retentionDays). */
  retentionDays?: number | undefined;
  /** Default: 16 kHz when a party spoke a wideband codec (opus), else 8 kHz. */
  sampleRate?: RecordingSampleRate | undefined;
  /** Epoch ms; Date.now by default. */
  now?: (() => number) | undefined;
  log?: ((line: string) => void) | undefined;
  /**
   * How long finishCall() waits for rtpengine to finish a call's files. Default 45 s: rtpengine
   * destroys a deleted call after its delete delay (30 s unless `--delete-delay=0`, which the
   * embedded rtpengine uses, or `delete delay: 0` in the ng delete).
   */
  filesTimeoutMs?: number | undefined;
  /** How often the spool is looked at while waiting (default 200 ms). */
  pollIntervalMs?: number | undefined;
  /** How often the retention sweep runs (default 1 h). */
  sweepIntervalMs?: number | undefined;
  /** Recording ids; random UUIDs by default. */
  newId?: (() => string) | undefined;
}

const DAY_MS = 86_400_000;
/** Rows deleted per store query, and at most per sweep (the next sweep takes the rest). */
const SWEEP_BATCH = 200;
const SWEEP_MAX = 10_000;
/** Ids become file names: nothing but these. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export class RecordingService implements RecordingArchive {
  /** Where the WAVs are: <dataDir>/recordings. */
  readonly recordingsDir: string;
  readonly #spool: SpoolFolders;
  readonly #store: RecordingStore;
  readonly #retentionMs: number;
  readonly #sampleRate: RecordingSampleRate | undefined;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #filesTimeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #sweepIntervalMs: number;
  readonly #newId: () => string;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #closing = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<{ recordings: number; rawFiles: number }> | undefined;

  constructor(options: RecordingServiceOptions) {
    const retentionDays = options.retentionDays ?? 90;
    if (!(retentionDays > 0) || !Number.isFinite(retentionDays)) throw new RangeError(`retentionDays must be a positive number of days (got ${retentionDays})`);
    this.recordingsDir = join(options.dataDir, 'recordings');
    this.#spool = spoolFolders(options.recordingDir);
    this.#store = options.store;
    this.#retentionMs = retentionDays * DAY_MS;
    this.#sampleRate = options.sampleRate;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? ((line) => void process.stderr.write(`${line}\n`));
    this.#filesTimeoutMs = positive(options.filesTimeoutMs ?? 45_000, 'filesTimeoutMs');
    this.#pollIntervalMs = positive(options.pollIntervalMs ?? 200, 'pollIntervalMs');
    this.#sweepIntervalMs = positive(options.sweepIntervalMs ?? 3_600_000, 'sweepIntervalMs');
    this.#newId = options.newId ?? randomUUID;
  }

  /** Creates the recordings folder, clears a crash's half-written WAVs, sweeps once, and starts the retention timer. */
  async start(): Promise<void> {
    await mkdir(this.recordingsDir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.recordingsDir)) {
      if (name.endsWith('.part')) await rm(join(this.recordingsDir, name), { force: true });
    }
    await this.sweep();
    if (this.#closing.signal.aborted || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.sweep(), this.#sweepIntervalMs);
    this.#timer.unref();
  }

  /**
   * Turns the call's rtpengine recording into a listed WAV. Resolves undefined when the call was
   * not recorded, or when that failed (logged as MEDIA_RECORDING_FAILED); never rejects.
   */
  finishCall(call: FinishedCall): Promise<Recording | undefined> {
    const work = this.#finish(call).catch((err: unknown) => {
      this.#log(`recordings: ${err instanceof MediaError ? err.code : 'MEDIA_RECORDING_FAILED'} call ${call.callId}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
    return work;
  }

  /** Deletes what is past retention: recordings (file and row) and rtpengine leftovers. Runs one at a time. */
  sweep(): Promise<{ recordings: number; rawFiles: number }> {
    this.#sweeping ??= this.#sweep().catch((err: unknown) => {
      this.#log(`recordings: retention sweep failed: ${err instanceof Error ? err.message : String(err)}`);
      return { recordings: 0, rawFiles: 0 };
    }).finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  query(q: RecordingQuery): { total: number; items: Recording[] } {
    return this.#store.query(q);
  }

  get(id: string): Recording | undefined {
    return ID_PATTERN.test(id) ? this.#store.get(id) : undefined;
  }

  audioFile(id: string): string | undefined {
    const recording = this.get(id);
    if (recording === undefined) return undefined;
    const file = join(this.recordingsDir, basename(recording.file));
    return existsSync(file) ? file : undefined;
  }

  async remove(id: string): Promise<boolean> {
    const recording = this.get(id);
    if (recording === undefined) return false;
    await rm(join(this.recordingsDir, basename(recording.file)), { force: true });
    return this.#store.remove(id);
  }

  /** Stops the timer and the waits for rtpengine, and lets conversions under way finish. */
  async close(): Promise<void> {
    this.#closing.abort();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await Promise.allSettled([...this.#inFlight, ...(this.#sweeping === undefined ? [] : [this.#sweeping])]);
  }

  async #finish(call: FinishedCall): Promise<Recording | undefined> {
    const metadataFiles = await this.#waitForFiles(call.callId);
    if (metadataFiles === undefined) return undefined;

    const sdps: RtpengineSdp[] = [];
    const pcaps: string[] = [];
    for (const file of metadataFiles) {
      sdps.push(...parseRtpengineMetadata(await readText(file)).sdps);
      const pcap = pcapOf(this.#spool, file);
      if (pcap !== undefined && existsSync(pcap)) pcaps.push(pcap);
    }
    if (pcaps.length === 0) throw new MediaError('MEDIA_RECORDING_FAILED', `rtpengine's metadata ${metadataFiles.join(', ')} has no capture beside it in ${this.#spool.pcaps}`);

    const id = this.#newId();
    if (!ID_PATTERN.test(id)) throw new MediaError('MEDIA_RECORDING_FAILED', `recording id "${id}" is not usable as a file name`);
    const file = `${id}.wav`;
    const partial = join(this.recordingsDir, `.${file}.part`);
    await mkdir(this.recordingsDir, { recursive: true, mode: 0o700 });
    const legs = sdps.length === 0 ? CallLegs.unknown() : CallLegs.fromSdps(sdps);
    let recording: Recording;
    try {
      const converted = await convertPcapFiles(pcaps, legs, partial, { sampleRate: this.#sampleRate });
      for (const warning of converted.warnings) this.#log(`recordings: call ${call.callId}: ${warning}`);
      await rename(partial, join(this.recordingsDir, file));
      const { size } = await stat(join(this.recordingsDir, file));
      recording = {
        id, callId: call.callId, caller: call.callerExtension, callee: call.calleeNumber, startedAt: call.startedAt, endedAt: call.endedAt,
        durationMs: converted.durationMs, sizeBytes: size, sampleRate: converted.sampleRate, channels: converted.channels, file,
      };
      this.#store.insert(recording);
    } catch (err) {
      await rm(partial, { force: true });
      await rm(join(this.recordingsDir, file), { force: true });
      throw err instanceof MediaError ? err : new MediaError('MEDIA_RECORDING_FAILED', `${join(this.recordingsDir, file)}: ${(err as Error).message}`, { cause: err });
    }
    for (const raw of [...metadataFiles, ...pcaps]) await rm(raw, { force: true });
    return recording;
  }

  /**
   * The call's finished metadata files, once rtpengine has destroyed the call; undefined when
   * the call was not recorded (nothing in the spool). Throws when rtpengine takes too long.
   */
  async #waitForFiles(callId: string): Promise<string[] | undefined> {
    // Real time, not the injected clock: a test clock that stands still must not make this wait forever.
    const deadline = Date.now() + this.#filesTimeoutMs;
    for (;;) {
      const files = await findCallFiles(this.#spool, callId);
      if (files.finished.length > 0) return files.finished;
      if (files.unfinished.length === 0) return undefined;
      if (Date.now() >= deadline) {
        throw new MediaError('MEDIA_RECORDING_FAILED', `rtpengine did not finish the recording within ${this.#filesTimeoutMs} ms (${files.unfinished.join(', ')} still open: is its delete delay longer? run it with --delete-delay=0); the raw files are left in place`);
      }
      if (this.#closing.signal.aborted) throw new MediaError('MEDIA_RECORDING_FAILED', 'the recording service closed while waiting for rtpengine to finish the recording; the raw files are left in place');
      await sleep(this.#pollIntervalMs, this.#closing.signal);
    }
  }

  async #sweep(): Promise<{ recordings: number; rawFiles: number }> {
    const cutoff = this.#now() - this.#retentionMs;
    let recordings = 0;
    while (recordings < SWEEP_MAX && !this.#closing.signal.aborted) {
      const batch = this.#store.startedBefore(cutoff, SWEEP_BATCH);
      if (batch.length === 0) break;
      for (const recording of batch) {
        await rm(join(this.recordingsDir, basename(recording.file)), { force: true });
        this.#store.remove(recording.id);
        recordings++;
      }
    }
    let rawFiles = 0;
    for (const raw of await listSpoolFiles(this.#spool)) {
      if (raw.modifiedAt >= cutoff) continue;
      await rm(raw.path, { force: true });
      rawFiles++;
    }
    if (recordings + rawFiles > 0) this.#log(`recordings: retention (${this.#retentionMs / DAY_MS} days) deleted ${recordings} recording(s) and ${rawFiles} raw rtpengine file(s)`);
    return { recordings, rawFiles };
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new MediaError('MEDIA_RECORDING_FAILED', `${file}: cannot read rtpengine's metadata (${(err as Error).message})`, { cause: err });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number of ms (got ${value})`);
  return value;
}
