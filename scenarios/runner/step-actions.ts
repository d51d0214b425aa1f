// The steps that act (everything but `expect`): each drives one phone, of any kind, and is bounded
// by its `within` (the scenario's defaultWithin when absent). A step that cannot do what it says
// throws a StepFailure saying what the phone saw instead.

import { parseDuration } from './duration.ts';
import type { CallTimings } from './phone-emulator/emulated-call.ts';
import { dialledNumber, phoneNamed, type ScenarioContext } from './scenario-context.ts';
import { StepFailure } from './scenario-errors.ts';
import type { ScenarioStep, StepValue } from './scenario-schema.ts';
import { withinMs } from './within.ts';

/** Bound on `restart-target` without `within`: an IPBX with its rtpengine takes a few seconds to come back. */
const RESTART_WITHIN_MS = 30_000;

/** A step naming a phone, in either of its forms, with its bound. */
function target(context: ScenarioContext, value: string | { phone: string; within?: string }): { phone: string; ms: number } {
  if (typeof value === 'string') return { phone: value, ms: context.defaultWithinMs };
  return { phone: value.phone, ms: value.within === undefined ? context.defaultWithinMs : parseDuration(value.within) };
}

/** Runs an action step; returns the call timings when the step placed a call. */
export async function runAction(context: ScenarioContext, step: ScenarioStep): Promise<CallTimings | undefined> {
  if ('register' in step) {
    const value: StepValue<'register'> = step.register;
    const { phone, ms } = target(context, value);
    const expected = typeof value === 'string' ? undefined : value.status;
    const expires = typeof value === 'string' ? 3600 : value.expires ?? 3600;
    const refresh = typeof value === 'string' || value.refresh !== false;
    const status = await phoneNamed(context, phone).register(expires, ms, refresh);
    if (expected !== undefined && status !== expected) throw new StepFailure(`REGISTER was answered ${status}, expected ${expected}`);
    if (expected === undefined && (status < 200 || status >= 300)) throw new StepFailure(`REGISTER was answered ${status} (check the account's password)`);
    return undefined;
  }
  if ('unregister' in step) {
    const { phone, ms } = target(context, step.unregister);
    const status = await phoneNamed(context, phone).register(0, ms);
    if (status < 200 || status >= 300) throw new StepFailure(`REGISTER (expires 0) was answered ${status}`);
    return undefined;
  }
  if ('call' in step) {
    return (await phoneNamed(context, step.call.from).call(dialledNumber(context, step.call.to))).timings;
  }
  if ('answer' in step) {
    const { phone, ms } = target(context, step.answer);
    await phoneNamed(context, phone).answer(ms);
    return undefined;
  }
  if ('reject' in step) {
    const ms = step.reject.within === undefined ? context.defaultWithinMs : parseDuration(step.reject.within);
    await phoneNamed(context, step.reject.phone).reject(step.reject.code, ms);
    return undefined;
  }
  if ('cancel' in step) {
    const { phone, ms } = target(context, step.cancel);
    await phoneNamed(context, phone).cancel(ms);
    return undefined;
  }
  if ('hangup' in step) {
    const { phone, ms } = target(context, step.hangup);
    await phoneNamed(context, phone).hangup(ms);
    return undefined;
  }
  if ('hold' in step || 'resume' in step) {
    const hold = 'hold' in step;
    const { phone, ms } = target(context, 'hold' in step ? step.hold : step.resume);
    const status = await phoneNamed(context, phone).setHold(hold, ms);
    if (status < 200 || status >= 300) throw new StepFailure(`the re-INVITE was answered ${status}`);
    return undefined;
  }
  if ('transfer' in step) {
    const ms = step.transfer.within === undefined ? context.defaultWithinMs : parseDuration(step.transfer.within);
    const phone = phoneNamed(context, step.transfer.phone);
    const number = dialledNumber(context, step.transfer.to);
    const status = step.transfer.attended === true ? await phone.attendedTransfer(number, ms) : await phone.blindTransfer(number, ms);
    if (status !== 202 && (status < 200 || status >= 300)) throw new StepFailure(`the REFER was answered ${status}`);
    return undefined;
  }
  if ('dtmf' in step) {
    await phoneNamed(context, step.dtmf.phone).sendDtmf(step.dtmf.digits, step.dtmf.via ?? 'rfc4733', context.defaultWithinMs);
    return undefined;
  }
  if ('drop-network' in step || 'restore-network' in step) {
    const up = 'restore-network' in step;
    phoneNamed(context, target(context, up ? step['restore-network'] : step['drop-network']).phone).setNetwork(up);
    return undefined;
  }
  if ('restart-target' in step) {
    const { restart } = context.target;
    if (restart === undefined) throw new StepFailure(`the ${context.scenario.target.kind} target cannot be restarted (only the embedded one can)`);
    const value = step['restart-target'];
    const ms = value.within === undefined ? RESTART_WITHIN_MS : parseDuration(value.within);
    await withinMs(restart(value.down === undefined ? 0 : parseDuration(value.down)), ms, 'the target to restart');
    return undefined;
  }
  if ('wait' in step) {
    await new Promise((resolve) => setTimeout(resolve, parseDuration(step.wait)));
    return undefined;
  }
  throw new StepFailure(`unknown step ${Object.keys(step).join(', ')}`);
}
