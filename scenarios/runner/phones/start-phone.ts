// Starts a scenario's phone of any kind: the built-in desk phone (`phone`), a baresip process
// (`baresip`) or the softphone in Chromium (`browser`), bound to its account and the target.

import { parseDuration } from '../duration.ts';
import type { SipTrace } from '../phone-emulator/sip-trace.ts';
import { ScenarioError } from '../scenario-errors.ts';
import type { Scenario, ScenarioPhone as PhoneSpec } from '../scenario-schema.ts';
import type { ScenarioTarget } from '../targets/scenario-target.ts';
import { BaresipScenarioPhone } from './baresip-scenario-phone.ts';
import { BrowserScenarioPhone } from './browser-scenario-phone.ts';
import { DeskScenarioPhone } from './desk-scenario-phone.ts';
import type { ScenarioPhone } from './scenario-phone.ts';

/** baresip hangs up when its microphone file ends: the file outlasts the scenario by this much. */
const AUDIO_MARGIN_S = 60;

export async function startScenarioPhone(scenario: Scenario, name: string, target: ScenarioTarget, trace: SipTrace): Promise<ScenarioPhone> {
  const phone: PhoneSpec | undefined = scenario.phones[name];
  if (phone === undefined) throw new ScenarioError('SCENARIO_FILE_INVALID', `no phone is named ${name}`);
  const account = scenario.accounts.find((a) => a.extension === phone.account);
  const identity = {
    name, user: phone.account, password: phone.password ?? account?.password ?? '', domain: target.domain,
    ...(account?.displayName === undefined ? {} : { displayName: account.displayName }),
    ...(phone.tone === undefined ? {} : { toneHz: phone.tone }),
  };
  switch (phone.kind) {
    case 'phone':
      return DeskScenarioPhone.start({ ...identity, protocol: phone.transport, proxy: target.proxy(phone.transport), trace });
    case 'baresip':
      return BaresipScenarioPhone.start({
        ...identity, protocol: phone.transport, proxy: target.proxy(phone.transport),
        audioSeconds: Math.ceil(parseDuration(scenario.timeout) / 1000) + AUDIO_MARGIN_S,
      });
    case 'browser': {
      const pageUrl = target.softphoneUrl;
      if (pageUrl === undefined) throw new ScenarioError('SCENARIO_PHONE_KIND_UNSUPPORTED', `phone ${name}: kind browser needs a softphone page, and the ${scenario.target.kind} target serves none`);
      return BrowserScenarioPhone.start({
        ...identity, pageUrl,
        ...(target.wssUrl === undefined ? {} : { webSocketUrl: target.wssUrl }),
        ...(target.certificate === undefined ? {} : { trustCertificate: target.certificate }),
      });
    }
  }
}
