// The microphone's level, for the meter next to the device choice: RMS of the input over the
// last analyser frame, in 0..1 (as a <meter> wants it), polled by the UI.

export class LevelMeter {
  readonly #context = new AudioContext();
  readonly #analyser: AnalyserNode;
  readonly #samples: Float32Array<ArrayBuffer>;

  constructor(stream: MediaStream) {
    this.#analyser = this.#context.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#samples = new Float32Array(this.#analyser.fftSize);
    this.#context.createMediaStreamSource(stream).connect(this.#analyser);
    void this.#context.resume().catch(() => undefined);
  }

  /** RMS of the last frame; speech is about 0.05 to 0.3. */
  level(): number {
    this.#analyser.getFloatTimeDomainData(this.#samples);
    let sum = 0;
    for (const sample of this.#samples) sum += sample * sample;
    return Math.sqrt(sum / this.#samples.length);
  }

  close(): void {
    void this.#context.close().catch(() => undefined);
  }
}
