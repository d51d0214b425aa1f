// Call recordings' listing: one row per WAV in <dataDir>/recordings, written when the call's
// recording is converted, queried by the API, removed with its file.

export interface Recording {
  id: string;
  /** The B2BUA call id (also rtpengine's call-id). */
  callId: string;
  /** Extension of the calling account. */
  caller: string;
  /** The number dialled. */
  callee: string;
  /** Epoch ms of the call's start and end. */
  startedAt: number;
  endedAt: number;
  /** Length of the audio, ms. */
  durationMs: number;
  /** Size of the WAV, bytes. */
  sizeBytes: number;
  /** 8000 or 16000 Hz. */
  sampleRate: number;
  /** 2: left the caller, right the callee. */
  channels: number;
  /** The WAV's file name inside the recordings folder. */
  file: string;
}

export interface RecordingQuery {
  limit: number;
  offset: number;
  /** Matches caller or callee. */
  extension?: string | undefined;
  callId?: string | undefined;
}

export interface RecordingStore {
  insert(recording: Recording): void;
  get(id: string): Recording | undefined;
  /** Newest first. */
  query(q: RecordingQuery): { total: number; items: Recording[] };
  /** Up to `limit` recordings of calls started before `startedBefore` (epoch ms), oldest first. */
  startedBefore(startedBefore: number, limit: number): Recording[];
  /** False when there was no such row. */
  remove(id: string): boolean;
}
