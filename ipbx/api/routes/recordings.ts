// /recordings: call recordings, newest first, paged and filtered; their metadata, their audio
// (a stereo WAV: left the caller, right the callee) and their deletion. An unknown id is a 404
// with MEDIA_RECORDING_NOT_FOUND, the media plane's code for it (docs/errors.md).

import { Type } from '@sinclair/typebox';
import { open } from 'node:fs/promises';
import { AccountSchema } from '../../config/config-schema.ts';
import type { RecordingArchive } from '../../media/recording/recording-archive.ts';
import type { ApiApp } from '../api-deps.ts';
import { errorWord } from '../api-errors.ts';
import { ErrorSchema, type ErrorBody } from '../error-schema.ts';

const RecordingSchema = Type.Object({
  id: Type.String(),
  callId: Type.String({ description: 'The call id (as in CDRs and /calls)' }),
  caller: Type.String({ description: 'Extension of the calling account' }),
  callee: Type.String({ description: 'The number dialled' }),
  startedAt: Type.Integer({ description: 'Epoch ms, start of the call' }),
  endedAt: Type.Integer({ description: 'Epoch ms, end of the call' }),
  durationMs: Type.Integer({ description: 'Length of the audio, ms' }),
  sizeBytes: Type.Integer({ description: 'Size of the WAV file' }),
  sampleRate: Type.Integer({ description: '8000, or 16000 when a party spoke a wideband codec' }),
  channels: Type.Integer({ description: '2: left the caller, right the callee' }),
});

const RecordingQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  extension: Type.Optional(AccountSchema.properties.extension),
  callId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
}, { additionalProperties: false });

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** Sets the 404 and gives its body (the error handler knows API codes only, not the media plane's). */
function notFound(reply: { code(status: number): unknown }, id: string): ErrorBody {
  reply.code(404);
  return { error: errorWord(404), code: 'MEDIA_RECORDING_NOT_FOUND', message: `no recording has id ${id}` };
}

export function registerRecordingRoutes(api: ApiApp, recordings: RecordingArchive): void {
  const tags = ['recordings'];

  api.get('/recordings', {
    schema: {
      tags, summary: 'Call recordings, newest first, paged and filtered', querystring: RecordingQuerySchema,
      response: { 200: Type.Object({ total: Type.Integer({ description: 'Recordings matching the filters' }), items: Type.Array(RecordingSchema) }), 400: ErrorSchema, 401: ErrorSchema },
    },
  }, (request) => {
    const { limit, offset, extension, callId } = request.query;
    return recordings.query({ limit, offset, extension, callId });
  });

  api.get('/recordings/:id', {
    schema: {
      tags, summary: 'One recording\'s metadata', params: IdParams,
      response: { 200: RecordingSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
    },
  }, (request, reply) => {
    const recording = recordings.get(request.params.id);
    return recording ?? notFound(reply, request.params.id);
  });

  api.get('/recordings/:id/audio', {
    schema: {
      tags, summary: 'Download a recording: WAV, 16-bit PCM stereo (left the caller, right the callee)', params: IdParams,
      response: {
        200: { description: 'The WAV file', content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } },
        400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema,
      },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const file = recordings.audioFile(id);
    // Opened before answering: a file deleted meanwhile is a 404, not a broken download.
    const handle = file === undefined ? undefined : await open(file, 'r').catch(() => undefined);
    if (handle === undefined) return reply.send(notFound(reply, id));
    const { size } = await handle.stat();
    return reply
      .header('content-type', 'audio/wav')
      .header('content-length', size)
      .header('content-disposition', `attachment; filename="recording-${id}.wav"`)
      .send(handle.createReadStream());
  });

  api.delete('/recordings/:id', {
    schema: {
      tags, summary: 'Delete a recording (its file and its listing)', params: IdParams,
      response: { 204: Type.Null({ description: 'Deleted' }), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
    },
  }, async (request, reply) => {
    if (!(await recordings.remove(request.params.id))) return reply.send(notFound(reply, request.params.id));
    return reply.code(204).send(null);
  });
}
