// When the bytes of a growing file arrived: its size, sampled over time. baresip writes what a
// phone hears to a WAV as RTP comes in, so the bytes appended since a moment are the audio
// received since then; a file that stopped growing means no audio arrived (silence).

export interface SizeNote {
  /** performance.now() of the sample. */
  at: number;
  size: number;
}

export class GrowthLog {
  readonly #notes: SizeNote[] = [];
  readonly #keepMs: number;

  /** Notes older than `keepMs` (behind the latest) are dropped, except the one a window may start on. */
  constructor(keepMs = 60_000) {
    this.#keepMs = keepMs;
  }

  /** Records the size seen at `at`; only changes are kept (plus the first note). */
  note(at: number, size: number): void {
    const last = this.#notes.at(-1);
    if (last !== undefined && at < last.at) throw new RangeError(`GrowthLog.note: time ${at} is before the last note (${last.at})`);
    if (last === undefined || size !== last.size) this.#notes.push({ at, size });
    while (this.#notes.length > 2 && (this.#notes[1]?.at ?? Infinity) < at - this.#keepMs) this.#notes.shift();
  }

  /** When the log began: the file was first seen then. */
  get since(): number | undefined {
    return this.#notes[0]?.at;
  }

  /** The size at `time` (the last change at or before it); undefined before the first note. */
  sizeAt(time: number): number | undefined {
    let size: number | undefined;
    for (const n of this.#notes) {
      if (n.at > time) break;
      size = n.size;
    }
    return size;
  }

  /** When the file first grew past its size at `time`; undefined if it has not. */
  firstGrowthAfter(time: number): number | undefined {
    const base = this.sizeAt(time) ?? 0;
    return this.#notes.find((n) => n.at > time && n.size > base)?.at;
  }
}
