// The ringtone of incoming calls, synthesized with WebAudio (no audio file to ship): the
// European 425 Hz cadence, 1 s on, 3 s off, quiet enough not to startle.

const TONE_HZ = 425;
const ON_S = 1;
const PERIOD_MS = 4000;
const GAIN = 0.08;

export class Ringtone {
  #context: AudioContext | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  start(): void {
    if (this.#timer !== undefined) return;
    this.#context ??= new AudioContext();
    // Browsers start an AudioContext suspended until the page had a user gesture; resume() may
    // then stay pending, and the call screen still shows the call.
    void this.#context.resume().catch(() => undefined);
    this.#ring();
    this.#timer = setInterval(() => this.#ring(), PERIOD_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #ring(): void {
    const context = this.#context;
    if (context === undefined || context.state !== 'running') return;
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = TONE_HZ;
    gain.gain.value = GAIN;
    oscillator.connect(gain).connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + ON_S);
  }
}
