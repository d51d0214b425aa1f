// The `expect` step: polls what a phone (or the IPBX's API) shows until every part of the
// expectation holds, or fails at its bound with what was seen last. Audio verdicts are the phone
// kind's own on the latest `listen` window of audio it received (Goertzel detectors of
// scenarios/audio for the desk phone and baresip, the page's analyser for a browser).

import { parseDuration } from './duration.ts';
import type { ScenarioPhone } from './phones/scenario-phone.ts';
import { phoneNamed, type ScenarioContext } from './scenario-context.ts';
import { StepFailure } from './scenario-errors.ts';
import type { Expectation } from './scenario-schema.ts';
import { pollUntil } from './within.ts';

const DEFAULT_LISTEN_MS = 600;

/** One check: undefined when it holds, else what was seen. `final` when waiting cannot change it. */
type Check = () => Promise<{ seen: string; final?: boolean } | undefined> | { seen: string; final?: boolean } | undefined;

function callCheck(phone: ScenarioPhone, e: Expectation): Check {
  return async () => {
    const call = await phone.observeCall();
    if (call === undefined) return { seen: `${phone.name} has no call` };
    const seen = `${phone.name}'s call is ${call.description}`;
    if (call.state !== e.call) return { seen, final: call.state === 'ended' };
    if (e.cause !== undefined && call.cause !== e.cause) return { seen, final: true };
    if (e.status !== undefined && call.status !== e.status) return { seen, final: true };
    return undefined;
  };
}

function registrationCheck(phone: ScenarioPhone, e: Expectation): Check {
  return async () => {
    const registration = await phone.observeRegistration();
    const seen = `${phone.name} is ${registration.state}${registration.detail === undefined ? '' : ` (${registration.detail})`}${registration.status === undefined ? '' : ` (last REGISTER answered ${registration.status})`}`;
    if (registration.state !== e.registration) return { seen };
    if (e.status !== undefined && registration.status !== e.status) return { seen };
    return undefined;
  };
}

function hearsCheck(phone: ScenarioPhone, frequencyHz: number, listenMs: number, measured: string[]): Check {
  return async () => {
    const verdict = await phone.hears(frequencyHz, listenMs);
    if (!verdict.holds) return { seen: verdict.summary };
    measured.push(verdict.summary);
    return undefined;
  };
}

function silenceCheck(phone: ScenarioPhone, listenMs: number, since: number, measured: string[]): Check {
  return async () => {
    // Missing packets are silence too: a phone that receives nothing hears nothing.
    if (performance.now() - since < listenMs) return { seen: `listened for less than ${listenMs} ms` };
    const verdict = await phone.hearsSilence(listenMs);
    if (!verdict.holds) return { seen: verdict.summary };
    measured.push(verdict.summary);
    return undefined;
  };
}

function dtmfCheck(phone: ScenarioPhone, digits: string): Check {
  return async () => {
    const received = await phone.receivedDigits();
    if (received.includes(digits.toUpperCase())) return undefined;
    const hint = phone.kind === 'browser' ? ' (a browser sees only SIP INFO digits: RFC 4733 events never reach the page)' : '';
    return { seen: `${phone.name} received ${received === '' ? 'no digits' : `the digits "${received}"`}${hint}` };
  };
}

interface CdrItem { caller: string; callee: string; cause: string; status: number | null }

function cdrCheck(context: ScenarioContext, wanted: NonNullable<Expectation['cdr']>): Check {
  return async () => {
    const api = context.target.api;
    if (api === undefined) return { seen: 'the target has no API to read CDRs from', final: true };
    const page = await api('/api/v1/cdrs?limit=100') as { items: CdrItem[] };
    const match = page.items.find((c) => (wanted.caller === undefined || c.caller === wanted.caller) && (wanted.callee === undefined || c.callee === wanted.callee)
      && (wanted.cause === undefined || c.cause === wanted.cause) && (wanted.status === undefined || c.status === wanted.status));
    if (match !== undefined) return undefined;
    const listed = page.items.map((c) => `${c.caller}→${c.callee} ${c.cause}${c.status === null ? '' : ` ${c.status}`}`).join('; ');
    return { seen: `the IPBX has ${page.items.length} CDRs${listed === '' ? '' : `: ${listed}`}` };
  };
}

interface QueueStatusBody { waiting: unknown[]; today: { answered: number; abandoned: number; overflowed: number } }

function queueCheck(context: ScenarioContext, wanted: NonNullable<Expectation['queue']>): Check {
  return async () => {
    const api = context.target.api;
    if (api === undefined) return { seen: 'the target has no API to read queues from', final: true };
    let status: QueueStatusBody;
    try {
      status = await api(`/api/v1/queues/${encodeURIComponent(wanted.name)}/status`) as QueueStatusBody;
    } catch (err) {
      return { seen: `queue ${wanted.name} could not be read: ${(err as Error).message}` };
    }
    const now = { waiting: status.waiting.length, ...status.today };
    const wrong = (['waiting', 'answered', 'abandoned', 'overflowed'] as const).filter((k) => wanted[k] !== undefined && wanted[k] !== now[k]);
    if (wrong.length === 0) return undefined;
    return { seen: `queue ${wanted.name} has ${wrong.map((k) => `${k} ${now[k]}`).join(', ')}` };
  };
}

/** Waits (bounded) until the expectation holds; returns what audio checks measured, for the report. */
export async function checkExpectation(context: ScenarioContext, e: Expectation): Promise<string | undefined> {
  const ms = e.within === undefined ? context.defaultWithinMs : parseDuration(e.within);
  const listenMs = e.listen === undefined ? DEFAULT_LISTEN_MS : parseDuration(e.listen);
  const phone = e.phone === undefined ? undefined : phoneNamed(context, e.phone);
  const measured: string[] = [];
  const checks: Check[] = [];
  const since = performance.now();
  if (phone !== undefined) {
    if (e.call !== undefined) checks.push(callCheck(phone, e));
    if (e.registration !== undefined) checks.push(registrationCheck(phone, e));
    if (e.hears !== undefined) checks.push(hearsCheck(phone, e.hears, listenMs, measured));
    if (e.silence === true) checks.push(silenceCheck(phone, listenMs, since, measured));
    if (e.dtmf !== undefined) checks.push(dtmfCheck(phone, e.dtmf));
  }
  if (e.cdr !== undefined) checks.push(cdrCheck(context, e.cdr));
  if (e.queue !== undefined) checks.push(queueCheck(context, e.queue));
  let last: { seen: string; final?: boolean } | undefined;
  try {
    await pollUntil(async () => {
      measured.length = 0;
      for (const check of checks) {
        last = await check();
        if (last?.final === true) throw new StepFailure(last.seen);
        if (last !== undefined) return undefined;
      }
      return true;
    }, ms, () => `not within ${ms} ms: ${last?.seen ?? 'nothing seen'}`);
  } catch (err) {
    if (err instanceof StepFailure) throw err;
    throw new StepFailure((err as Error).message);
  }
  return measured.length === 0 ? undefined : measured.join('; ');
}
