// /api/v1/recordings against a real RecordingService and SQLite store in a temp folder: the
// listing (paged like the other lists, filtered by extension and call id), one recording's
// metadata, its WAV as a download, deletion of file and row; 404 MEDIA_RECORDING_NOT_FOUND for
// unknown ids, 401 without the token; no routes at all when the IPBX has no recordings.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingService } from '../../ipbx/media/recording/recording-service.ts';
import { openDatabase, type Db } from '../../ipbx/store/open-database.ts';
import type { Recording } from '../../ipbx/store/recording-store.ts';
import { SqliteRecordingStore } from '../../ipbx/store/sqlite-recording-store.ts';
import { parseWav, sine, toInt16, writeWav } from '../../scenarios/audio/index.ts';
import { AUTH, assertBadField, assertError, buildTestApi, type TestApi } from '../helpers/api-fakes.ts';

const T0 = Date.parse('2024-05-01T08:00:00Z');

describe('recordings API', () => {
  let root: string;
  let db: Db;
  let store: SqliteRecordingStore;
  let service: RecordingService;
  let t: TestApi;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'voiplab-api-recordings-'));
    db = openDatabase(join(root, 'data'));
    store = new SqliteRecordingStore(db);
    // Calls of 2024 are far older than 90 days: retention is made long enough to keep them.
    service = new RecordingService({ recordingDir: join(root, 'spool'), dataDir: join(root, 'data'), store, retentionDays: 3650 * 3, log: () => undefined });
    await service.start();
    const samples = toInt16(sine({ frequencyHz: 1000, sampleRate: 8000, durationMs: 100 }));
    const stereo = new Int16Array(samples.length * 2);
    samples.forEach((s, i) => { stereo[2 * i] = s; });
    for (let i = 0; i < 30; i++) {
      const id = `rec-${String(i).padStart(2, '0')}`;
      await writeWav(join(service.recordingsDir, `${id}.wav`), { sampleRate: 8000, channels: 2, samples: stereo });
      const recording: Recording = {
        id, callId: `call-${i % 10}`, caller: i % 2 === 0 ? '1001' : '1003', callee: i % 3 === 0 ? '1002' : '2000',
        startedAt: T0 + i * 60_000, endedAt: T0 + i * 60_000 + 5_000, durationMs: 100, sizeBytes: 44 + stereo.length * 2, sampleRate: 8000, channels: 2, file: `${id}.wav`,
      };
      store.insert(recording);
    }
    t = buildTestApi({ recordings: service });
  });

  after(async () => {
    await t.app.close();
    await service.close();
    db.close();
    rmSync(root, { recursive: true, force: true });
  });

  const get = (url: string) => t.app.inject({ url: `/api/v1/recordings${url}`, headers: AUTH });

  test('every route wants the admin token', async () => {
    for (const [method, url] of [['GET', ''], ['GET', '/rec-01'], ['GET', '/rec-01/audio'], ['DELETE', '/rec-01']] as const) {
      assertError(await t.app.inject({ method, url: `/api/v1/recordings${url}` }), 401, 'IPBX_API_UNAUTHORIZED');
    }
    assert.ok(store.get('rec-01'), 'nothing was deleted');
  });

  test('the listing: newest first, limit 50 and offset 0 by default, a total of all', async () => {
    const res = await get('');
    assert.equal(res.statusCode, 200);
    const body = res.json<{ total: number; items: Array<Record<string, unknown>> }>();
    assert.equal(body.total, 30);
    assert.equal(body.items.length, 30);
    assert.equal(body.items[0]?.['id'], 'rec-29');
    assert.deepEqual(body.items[0], {
      id: 'rec-29', callId: 'call-9', caller: '1003', callee: '2000', startedAt: T0 + 29 * 60_000, endedAt: T0 + 29 * 60_000 + 5_000,
      durationMs: 100, sizeBytes: 44 + 1600 * 2, sampleRate: 8000, channels: 2,
    }, 'the file name on the server is not shown');
  });

  test('limit and offset page through; extension matches caller or callee; callId filters', async () => {
    const page = (await get('?limit=10&offset=25')).json<{ total: number; items: Array<{ id: string }> }>();
    assert.equal(page.total, 30);
    assert.deepEqual(page.items.map((r) => r.id), ['rec-04', 'rec-03', 'rec-02', 'rec-01', 'rec-00']);
    const byExtension = (await get('?extension=1002&limit=500')).json<{ total: number; items: Array<{ caller: string; callee: string }> }>();
    assert.equal(byExtension.total, 10);
    assert.ok(byExtension.items.every((r) => r.caller === '1002' || r.callee === '1002'));
    const byCall = (await get('?callId=call-3')).json<{ total: number; items: Array<{ id: string }> }>();
    assert.deepEqual(byCall.items.map((r) => r.id), ['rec-23', 'rec-13', 'rec-03']);
    const both = (await get('?callId=call-3&extension=1002')).json<{ total: number; items: Array<{ id: string }> }>();
    assert.deepEqual(both.items.map((r) => r.id), ['rec-03'], 'both filters apply');
  });

  test('bad query values are 400s naming the field', async () => {
    for (const [query, field] of [['?limit=0', 'limit'], ['?limit=501', 'limit'], ['?offset=-1', 'offset'], ['?extension=a%20b', 'extension'], ['?callId=', 'callId'], ['?page=2', 'page']] as const) {
      assertBadField(await get(query), field);
    }
  });

  test('one recording\'s metadata; an unknown id is 404 MEDIA_RECORDING_NOT_FOUND', async () => {
    const res = await get('/rec-07');
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ callId: string }>().callId, 'call-7');
    const missing = await get('/rec-99');
    assertError(missing, 404, 'MEDIA_RECORDING_NOT_FOUND');
    assert.equal(missing.json<{ error: string; message: string }>().error, 'not_found');
    assert.match(missing.json<{ message: string }>().message, /rec-99/);
    assertError(await get('/..%2F..%2Fetc%2Fpasswd'), 404, 'MEDIA_RECORDING_NOT_FOUND');
    assertBadField(await get(`/${'x'.repeat(65)}`), 'id');
  });

  test('the audio is the WAV file, as a download', async () => {
    const res = await get('/rec-05/audio');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'audio/wav');
    assert.equal(res.headers['content-disposition'], 'attachment; filename="recording-rec-05.wav"');
    assert.equal(Number(res.headers['content-length']), 44 + 3200);
    assert.deepEqual(res.rawPayload, readFileSync(join(service.recordingsDir, 'rec-05.wav')));
    const wav = parseWav(res.rawPayload);
    assert.equal(wav.channels, 2);
    assertError(await get('/rec-99/audio'), 404, 'MEDIA_RECORDING_NOT_FOUND');
  });

  test('a listed recording whose file is gone is a 404 for its audio, not a 500', async () => {
    unlinkSync(join(service.recordingsDir, 'rec-06.wav'));
    assertError(await get('/rec-06/audio'), 404, 'MEDIA_RECORDING_NOT_FOUND');
    assert.equal((await get('/rec-06')).statusCode, 200, 'its listing is still there, to be deleted');
  });

  test('DELETE removes the file and the listing; a second DELETE is a 404', async () => {
    const del = () => t.app.inject({ method: 'DELETE', url: '/api/v1/recordings/rec-08', headers: AUTH });
    const res = await del();
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assert.equal(existsSync(join(service.recordingsDir, 'rec-08.wav')), false);
    assertError(await get('/rec-08'), 404, 'MEDIA_RECORDING_NOT_FOUND');
    assert.equal((await get('')).json<{ total: number }>().total, 29);
    assertError(await del(), 404, 'MEDIA_RECORDING_NOT_FOUND');
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v1/recordings/rec-06', headers: AUTH })).statusCode, 204, 'a listing without its file can be deleted');
  });

  test('the routes are in the OpenAPI document, the audio as audio/wav', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json', headers: AUTH })).json<{ paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> }>();
    assert.deepEqual(Object.keys(doc.paths).filter((p) => p.includes('recordings')).sort(), ['/api/v1/recordings', '/api/v1/recordings/{id}', '/api/v1/recordings/{id}/audio']);
    assert.ok(doc.paths['/api/v1/recordings/{id}/audio']?.['get']?.responses['200']?.content?.['audio/wav']);
    assert.ok(doc.paths['/api/v1/recordings/{id}']?.['delete']?.responses['401']);
  });

  test('an IPBX without recordings does not serve the routes', async () => {
    const bare = buildTestApi();
    try {
      assertError(await bare.app.inject({ url: '/api/v1/recordings', headers: AUTH }), 404, 'IPBX_API_NOT_FOUND');
      assertError(await bare.app.inject({ url: '/api/v1/recordings' }), 401, 'IPBX_API_UNAUTHORIZED');
    } finally {
      await bare.app.close();
    }
  });
});
