// What the HTTP API needs of recordings: their listing and their audio files. RecordingService
// implements it; tests can give the API anything else that does.

import type { Recording, RecordingQuery } from '../../store/recording-store.ts';

export interface RecordingArchive {
  /** Newest first. */
  query(q: RecordingQuery): { total: number; items: Recording[] };
  get(id: string): Recording | undefined;
  /** Absolute path of the recording's WAV; undefined when there is no such recording or its file is gone. */
  audioFile(id: string): string | undefined;
  /** Deletes the WAV and its listing; false when there was no such recording. */
  remove(id: string): Promise<boolean>;
}
