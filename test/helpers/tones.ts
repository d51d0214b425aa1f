// Tone WAVs for phones to play: moved to the scenario runner, which starts baresip and browser
// phones with them; the tests keep importing them from here.

export { silenceWav, toneWav, type ToneWavOptions } from '../../scenarios/runner/phones/tone-wav.ts';
