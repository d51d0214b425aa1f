// Opens the microphone for a call, and turns the browser's refusals into the phone's error codes
// (a user who denied the permission needs a different message from one without a microphone).

import type { PhoneErrorCode } from '../sip/phone-types.ts';

export class MicrophoneError extends Error {
  readonly code: PhoneErrorCode;

  constructor(code: PhoneErrorCode, detail: string) {
    super(detail);
    this.name = 'MicrophoneError';
    this.code = code;
  }
}

export interface MicrophoneOptions {
  /**
   * false turns off echo cancellation, noise suppression and automatic gain: test tones and music
   * then go through untouched (noise suppression treats a steady tone as noise and removes it).
   */
  audioProcessing: boolean;
  /** A deviceId from enumerateDevices(); the default input otherwise. */
  deviceId?: string | undefined;
}

export async function openMicrophone(options: MicrophoneOptions): Promise<MediaStream> {
  if (navigator.mediaDevices === undefined) {
    // Only secure contexts (https, or http on localhost/127.0.0.1) have mediaDevices.
    throw new MicrophoneError('no-microphone', 'navigator.mediaDevices is missing: the page needs https (or http on 127.0.0.1)');
  }
  const processing = options.audioProcessing;
  const audio: MediaTrackConstraints = { echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing };
  if (options.deviceId !== undefined && options.deviceId !== '') audio.deviceId = { exact: options.deviceId };
  try {
    return await navigator.mediaDevices.getUserMedia({ audio, video: false });
  } catch (err) {
    const name = err instanceof DOMException ? err.name : '';
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (name === 'NotAllowedError' || name === 'SecurityError') throw new MicrophoneError('microphone-denied', detail);
    throw new MicrophoneError('no-microphone', detail);
  }
}
