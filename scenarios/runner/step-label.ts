// One line per step for progress lines and reports: `call alice → bob`, `expect bob hears 440 Hz`.

import type { Expectation, ScenarioStep } from './scenario-schema.ts';

export function stepKind(step: ScenarioStep): string {
  return Object.keys(step)[0] ?? '?';
}

export function expectationLabel(e: Expectation): string {
  const parts: string[] = [];
  if (e.call !== undefined) parts.push(`call ${e.call}${e.cause === undefined ? '' : ` (${e.cause})`}`);
  if (e.status !== undefined) parts.push(`status ${e.status}`);
  if (e.registration !== undefined) parts.push(`registration ${e.registration}`);
  if (e.hears !== undefined) parts.push(`hears ${e.hears} Hz`);
  if (e.silence === true) parts.push('hears silence');
  if (e.dtmf !== undefined) parts.push(`received DTMF ${e.dtmf}`);
  if (e.cdr !== undefined) parts.push(`a CDR ${Object.entries(e.cdr).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
  if (e.queue !== undefined) parts.push(`queue ${e.queue.name} ${Object.entries(e.queue).filter(([k]) => k !== 'name').map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
  return `${e.phone === undefined ? '' : `${e.phone} `}${parts.join(', ')}`;
}

export function stepLabel(step: ScenarioStep): string {
  const kind = stepKind(step);
  const value: unknown = Object.values(step)[0];
  if (typeof value === 'string') return `${kind} ${value}`;
  if (kind === 'expect') return `expect ${expectationLabel(value as Expectation)}`;
  const v = value as { phone?: string; from?: string; to?: string; code?: number; digits?: string; via?: string; status?: number; attended?: boolean; down?: string; expires?: number; refresh?: boolean };
  switch (kind) {
    case 'call': return `call ${v.from ?? '?'} → ${v.to ?? '?'}`;
    case 'transfer': return `transfer ${v.phone ?? '?'}'s call to ${v.to ?? '?'}${v.attended === true ? ' (attended)' : ''}`;
    case 'restart-target': return `restart the target${v.down === undefined ? '' : ` (down ${v.down})`}`;
    case 'reject': return `reject ${v.phone ?? '?'} with ${v.code ?? '?'}`;
    case 'dtmf': return `dtmf ${v.phone ?? '?'} sends ${v.digits ?? '?'}${v.via === 'info' ? ' (SIP INFO)' : ''}`;
    case 'register': return `register ${v.phone ?? '?'}${v.expires === undefined ? '' : ` for ${v.expires} s`}${v.refresh === false ? ' without refresh' : ''}${v.status === undefined ? '' : ` expecting ${v.status}`}`;
    default: return `${kind} ${v.phone ?? '?'}`;
  }
}
