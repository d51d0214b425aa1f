// /metrics: Prometheus text exposition format 0.0.4, checked line by line with a strict parser
// of the format (HELP, TYPE, samples, label escaping), plus the API's own series.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, assertError, buildTestApi } from '../helpers/api-fakes.ts';
import { renderPrometheus } from '../../ipbx/api/index.ts';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|NaN|[+-]Inf)';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:\\\\[\\\\"n]|[^"\\\\\\n])*"';
const HELP_RE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_RE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_RE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?\\})? (${VALUE})$`);

interface Sample { name: string; labels: Record<string, string>; value: number }

/** A strict reader of the 0.0.4 text format: throws on the first line that breaks it. */
function parsePrometheus(text: string): { types: Map<string, string>; help: Map<string, string>; samples: Sample[] } {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  text.slice(0, -1).split('\n').forEach((line, i) => {
    const h = HELP_RE.exec(line);
    const t = TYPE_RE.exec(line);
    const s = SAMPLE_RE.exec(line);
    if (h?.[1] !== undefined) {
      assert.ok(!help.has(h[1]) && !types.has(h[1]), `line ${i + 1}: HELP once, before TYPE`);
      help.set(h[1], h[2] ?? '');
    } else if (t?.[1] !== undefined) {
      assert.ok(!types.has(t[1]), `line ${i + 1}: one TYPE per family`);
      assert.ok(!samples.some((x) => x.name === t[1]), `line ${i + 1}: TYPE before its samples`);
      types.set(t[1], t[2] ?? '');
    } else if (s?.[1] !== undefined) {
      assert.ok(types.has(s[1]), `line ${i + 1}: ${s[1]} has a TYPE line`);
      const labels: Record<string, string> = {};
      for (const m of (s[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\[\\"n]|[^"\\])*)"/g)) {
        labels[m[1] ?? ''] = (m[2] ?? '').replace(/\\(["\\n])/g, (_all, c: string) => (c === 'n' ? '\n' : c));
      }
      const raw = s[3] ?? '';
      samples.push({ name: s[1], labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
    } else {
      assert.fail(`line ${i + 1} is not HELP, TYPE or a sample: ${JSON.stringify(line)}`);
    }
  });
  return { types, help, samples };
}

describe('metrics', () => {
  const t = buildTestApi({}, {
    registrations_active: 3,
    sip_requests_total: { 'method=REGISTER': 10, 'method=INVITE': 2 },
    calls_by_state: { ringing: 1, answered: 2 },
    voiplab_bans_total: 0,
    'odd-name.x': 1.5,
    escapes: { 'path=a"b\\c\nd,kind=x': 1 },
    limits: { 'kind=inf': Infinity, 'kind=nan': NaN },
  });
  after(() => t.app.close());

  test('GET /metrics (with the token) is Prometheus text 0.0.4 that parses line by line', async () => {
    const res = await t.app.inject({ url: '/metrics', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const { types, help, samples } = parsePrometheus(res.body);
    for (const name of types.keys()) {
      assert.match(name, /^voiplab_/);
      assert.ok(help.has(name), `${name} has HELP`);
      assert.equal(types.get(name), name.endsWith('_total') ? 'counter' : 'gauge');
    }
    const value = (name: string, labels: Record<string, string> = {}) => samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    assert.equal(value('voiplab_registrations_active'), 3);
    assert.equal(value('voiplab_sip_requests_total', { method: 'REGISTER' }), 10);
    assert.equal(value('voiplab_sip_requests_total', { method: 'INVITE' }), 2);
    assert.equal(value('voiplab_calls_by_state', { key: 'answered' }), 2);
    assert.equal(value('voiplab_bans_total'), 0, 'no double prefix');
    assert.equal(value('voiplab_odd_name_x'), 1.5);
    assert.equal(value('voiplab_escapes', { path: 'a"b\\c\nd', kind: 'x' }), 1);
    assert.equal(value('voiplab_limits', { kind: 'inf' }), Infinity);
    assert.ok(Number.isNaN(value('voiplab_limits', { kind: 'nan' })));
    assert.equal(value('voiplab_build_info', { version: '0.1.0-test' }), 1);
    assert.equal(value('voiplab_api_event_clients'), 0);
    assert.equal(value('voiplab_api_event_clients_dropped_total'), 0);
  });

  test('without the token: 401 with WWW-Authenticate: Bearer', async () => {
    const res = await t.app.inject({ url: '/metrics' });
    assertError(res, 401, 'IPBX_API_UNAUTHORIZED');
    assert.match(String(res.headers['www-authenticate']), /^Bearer/);
  });

  test('an empty set renders as an empty exposition', () => {
    assert.equal(renderPrometheus({}), '');
  });
});

describe('metrics that fail', () => {
  test('a throwing metrics source is a 500 without internals, logged', async (ctx) => {
    const t = buildTestApi({ metrics: () => { throw new Error('sqlite: database is locked at /var/lib/voiplab/store.db'); } });
    ctx.after(() => t.app.close());
    const res = await t.app.inject({ url: '/metrics', headers: AUTH });
    assertError(res, 500, 'IPBX_API_INTERNAL');
    assert.equal(res.json<{ error: string }>().error, 'internal_error');
    assert.ok(!res.body.includes('sqlite') && !res.body.includes('/var/lib'), res.body);
    assert.equal(t.logs.length, 1);
    assert.match(t.logs[0] ?? '', /GET \/metrics failed: Error: sqlite: database is locked/);
  });
});
