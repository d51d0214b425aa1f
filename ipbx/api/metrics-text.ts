// Prometheus text exposition format 0.0.4: `# HELP`, `# TYPE`, then one sample per line.
// Names get the `voiplab_` prefix; `*_total` names are counters, the rest gauges (Prometheus naming
// conventions). A nested record is a labelled family: each key is a label set written
// `name=value[,name=value]`, or a bare value that becomes `key="value"`.

import type { MetricValues } from './api-deps.ts';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function renderPrometheus(values: MetricValues, help: Readonly<Record<string, string>> = {}): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const name = metricName(key);
    const text = help[key] ?? name.slice('voiplab_'.length).replaceAll('_', ' ');
    lines.push(`# HELP ${name} ${text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}`);
    lines.push(`# TYPE ${name} ${name.endsWith('_total') ? 'counter' : 'gauge'}`);
    if (typeof value === 'number') {
      lines.push(`${name} ${sampleValue(value)}`);
      continue;
    }
    for (const [labelKey, sample] of Object.entries(value)) lines.push(`${name}{${labels(labelKey)}} ${sampleValue(sample)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function metricName(key: string): string {
  const clean = key.replace(/[^a-zA-Z0-9_:]/g, '_');
  return clean.startsWith('voiplab_') ? clean : `voiplab_${clean}`;
}

function labels(labelKey: string): string {
  const pairs = labelKey.includes('=')
    ? labelKey.split(',').map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)] as const;
    })
    : [['key', labelKey] as const];
  return pairs.map(([name, value]) => `${labelName(name)}="${escapeLabel(value)}"`).join(',');
}

function labelName(name: string): string {
  const clean = name.trim().replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(clean) ? clean : `_${clean}`;
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function sampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
