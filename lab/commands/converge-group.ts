// `lab up` for one group: observe, plan and apply the VM part (pool, clone — or create from a cloud
// image and install XiVO —, configure, clean snapshot, start), wait for the guest agent and the VM's address, wait for XiVO to answer, then observe,
// plan and apply the XiVO part (wizard, accounts, call groups, queues), check the result and run
// the smoke scenario against it. Every step is skipped when already done, so a rerun after any
// failure resumes (the smoke scenario runs every time: it checks, it does not build).

import { LabError } from '../lab-error.ts';
import { pollUntil } from '../http/poll.ts';
import type { DesiredGroup } from '../plan/desired-state.ts';
import { describeVmAction, planVm } from '../plan/plan-vm.ts';
import { templateVmidOf } from '../plan/vm-source.ts';
import { describeXivoAction, planXivo } from '../plan/plan-xivo.ts';
import { listClusterVms, waitForAgent, waitForIpv4, type VmRef } from '../proxmox/index.ts';
import { wizardConfigured, wizardDiscover, type WizardInput, type XivoClient } from '../xivo/index.ts';
import { applyVmAction } from './apply-vm.ts';
import { applyXivoAction } from './apply-xivo.ts';
import type { LabContext } from './lab-context.ts';
import { observeVm, observeXivo, poolsFor } from './observe.ts';
import { smokeCheck, smokeText, type SmokeResult } from './smoke-check.ts';
import { NO_SMOKE, runSmokeScenario, type SmokeOutcome } from './smoke-scenario.ts';
import type { LoadedScenario } from '../../scenarios/runner/index.ts';

export interface ConvergeResult {
  vm: VmRef;
  address: string;
  changes: string[];
  smoke: SmokeResult;
}

export async function convergeGroup(ctx: LabContext, desired: DesiredGroup, say: (line: string) => void, smokeScenario: LoadedScenario | undefined): Promise<ConvergeResult> {
  const changes: string[] = [];
  const seen = await observeVm(ctx.proxmox, desired, templateVmidOf(ctx.source), await listClusterVms(ctx.proxmox), await poolsFor(ctx.proxmox, [desired]));
  const vmPlan = planVm(desired, ctx.source, seen);
  if (vmPlan.blockers[0] !== undefined) throw vmPlan.blockers[0];
  vmPlan.notes.forEach((n) => say(`note: ${n}`));
  let ref: VmRef | undefined = seen.vm === undefined ? undefined : { node: seen.vm.node, vmid: seen.vm.vmid };
  for (const action of vmPlan.actions) {
    say(describeVmAction(action, desired));
    ref = await applyVmAction(ctx, desired, action, ref, say);
    changes.push(describeVmAction(action, desired));
  }
  if (ref === undefined) throw new Error('no VM after the VM plan');
  say(`waiting for the guest agent of VM ${ref.vmid}`);
  await waitForAgent(ctx.proxmox, ref, ctx.waits.agent);
  const ip = await waitForIpv4(ctx.proxmox, ref, ctx.waits.agent);
  if (!desired.ip.dhcp && desired.ip.cidr.split('/')[0] !== ip.address) say(`note: the guest reports ${ip.address}, not ${desired.ip.cidr} (does the template use cloud-init?)`);
  say(`VM ${ref.vmid} answers at ${ip.address}; waiting for XiVO`);
  const where = await ctx.resolveXivo(ip.address, ref);
  const client = ctx.xivoClient(where);
  await waitForXivo(client, ctx);
  const inv = await observeXivo(client);
  const wizardInput = (): Promise<WizardInput> => buildWizardInput(client, ctx, desired, ip);
  for (const action of planXivo(desired, inv, client.flavour.nameOf)) {
    say(describeXivoAction(action));
    await applyXivoAction(client, desired, inv, action, wizardInput);
    changes.push(describeXivoAction(action));
  }
  const checked = smokeCheck(desired, await observeXivo(client), client.flavour, NO_SMOKE);
  say(`check ${checked.check}: ${checked.detail}`);
  let scenario: SmokeOutcome = NO_SMOKE;
  if (smokeScenario !== undefined && checked.check !== 'passed') scenario = { verdict: 'not run', detail: 'the confd check failed' };
  else if (smokeScenario !== undefined) {
    say(`smoke scenario ${smokeScenario.scenario.name} (${ctx.lab.smoke?.scenario ?? ''})`);
    scenario = await runSmokeScenario(ctx, smokeScenario, client, where, ref.vmid, desired.name);
    say(`smoke scenario ${smokeText(scenario)}`);
  }
  const smoke: SmokeResult = { ...checked, scenario };
  return { vm: ref, address: ip.address, changes, smoke };
}

async function waitForXivo(client: XivoClient, ctx: LabContext): Promise<void> {
  await pollUntil(async () => (await wizardConfigured(client), true), {
    ...ctx.waits.xivo,
    retryable: (err) => err instanceof LabError && err.code === 'LAB_XIVO_UNREACHABLE',
  }, (last) => new LabError('LAB_XIVO_UNREACHABLE', `${client.flavour.product} at ${client.host} did not answer within ${Math.round(ctx.waits.xivo.timeoutMs / 1000)} s${last instanceof Error ? ` (${last.message})` : ''}; open the VM console: is XiVO installed in the template and its services started?`, { cause: last }));
}

async function buildWizardInput(client: XivoClient, ctx: LabContext, desired: DesiredGroup, ip: { address: string; prefix: number; interface: string }): Promise<WizardInput> {
  const found = await wizardDiscover(client);
  const iface = found.interfaces?.find((i) => i.ip_address === ip.address) ?? found.interfaces?.[0];
  const gateway = (desired.ip.dhcp ? undefined : desired.ip.gateway) ?? found.gateways?.[0]?.gateway;
  if (gateway === undefined) throw new LabError('LAB_XIVO_API', `group ${desired.name}: XiVO found no gateway to give its wizard; set groups[].gateway with a static ip`);
  const w = ctx.lab.xivo.wizard;
  return {
    adminPassword: ctx.secrets.xivoAdminPassword,
    entityName: w.entityName,
    timezone: w.timezone ?? 'Europe/Paris',
    language: w.language ?? 'fr_FR',
    hostname: desired.vmName,
    domain: w.domain ?? 'lab.local',
    network: {
      interface: iface?.interface ?? ip.interface,
      ipAddress: ip.address,
      netmask: prefixToNetmask(ip.prefix),
      gateway,
      nameservers: desired.nameservers.length > 0 ? desired.nameservers : (found.nameservers ?? [gateway]).slice(0, 3),
    },
    internalContext: { numberStart: w.internal.start, numberEnd: w.internal.end },
    ...(w.incall === undefined ? {} : { incallContext: { numberStart: w.incall.start, numberEnd: w.incall.end, didLength: w.incall.didLength } }),
  };
}

export function prefixToNetmask(prefix: number): string {
  const bits = prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join('.');
}
