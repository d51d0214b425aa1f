// Errors of the media plane (rtpengine control, its process, prompts, recordings). Each code has a
// row in docs/errors.md.

import { CodedError } from '../sip/coded-error.ts';

export const MEDIA_ERROR_CODES = {
  MEDIA_NG_TIMEOUT: 'rtpengine did not answer an ng command after every retry',
  MEDIA_NG_ERROR: 'rtpengine answered an ng command with result "error" (its error-reason is in the message)',
  MEDIA_NG_BAD_REPLY: 'an ng reply was not valid bencode or did not match the protocol',
  MEDIA_NG_CLOSED: 'the ng client was closed while a command was outstanding',
  MEDIA_BENCODE_INVALID: 'a bencode value could not be encoded or decoded',
  MEDIA_NO_INSTANCE: 'no rtpengine instance is up to take a new call',
  MEDIA_RTPENGINE_MISSING: 'the rtpengine binary is not installed (Debian package rtpengine-daemon)',
  MEDIA_RTPENGINE_FAILED: 'the embedded rtpengine process exited and could not be restarted',
  MEDIA_SESSION_LOST: 'a call lost its media session (its rtpengine restarted or stopped answering)',
  MEDIA_PROMPT_MISSING: 'a prompt or music-on-hold file named by the config does not exist',
  MEDIA_RECORDING_NOT_FOUND: 'no recording with that id',
  MEDIA_RECORDING_FAILED: 'a call recording could not be written or converted to WAV',
} as const;
export type MediaErrorCode = keyof typeof MEDIA_ERROR_CODES;

export class MediaError extends CodedError<MediaErrorCode> {
  override readonly name = 'MediaError';
}
