// One XiVO-compatible facade per lab VM, each in front of its own real voiplab IPBX (SIP on UDP and
// TCP, media passthrough or rtpengine), all on 127.0.0.1: the fake Proxmox reports each guest's
// lab address (10.10.1.10…, which the lab rightly takes only if it is not loopback) and the lab's
// resolveXivo sends VM N's confd and xivo-auth calls to its facade's port, its phones to its IPBX. Every request to a facade and every answer is checked against XiVO 16.15's confd and
// xivo-auth Swagger files (as the fake XiVO's are); `violations` must stay empty.

import { startXivoFacade, type FacadeCall, type XivoFacade } from '../../lab/xivo-facade/index.ts';
import type { XivoAddress } from '../../lab/commands/lab-context.ts';
import { ADMIN_TOKEN, rtpengineMedia, startHarness, type IpbxHarness } from './ipbx-harness.ts';
import { SwaggerSpec } from './lab-spec-swagger.ts';

export interface FacadeVm {
  vmid: number;
  ipbx: IpbxHarness;
  facade: XivoFacade;
}

let confdSpec: SwaggerSpec | undefined;
let authSpec: SwaggerSpec | undefined;

/** The spec and the path inside it of a facade call (/0.1/… is xivo-auth, /1.1/… confd). */
function specOf(call: FacadeCall): { spec: SwaggerSpec; path: string } | undefined {
  if (call.path.startsWith('/0.1/')) return { spec: (authSpec ??= new SwaggerSpec('auth', 'xivo-auth-16.15.json')), path: call.path.slice(4) };
  if (call.path.startsWith('/1.1/')) return { spec: (confdSpec ??= new SwaggerSpec('confd', 'xivo-confd-16.15.json')), path: call.path.slice(4) };
  return undefined;
}

export class FacadeFleet {
  readonly vms = new Map<number, FacadeVm>();
  readonly violations: string[] = [];
  /** `METHOD /path → status` of every call to any facade, in order. */
  readonly calls: string[] = [];
  private readonly starting = new Map<number, Promise<FacadeVm>>();

  constructor(private readonly tls: { key: string; cert: string }, private readonly media: 'passthrough' | 'rtpengine' = 'passthrough') {}

  /** The lab's resolveXivo: the facade and IPBX of this VM, started on first use. */
  async resolve(_guestAddress: string, vm: { vmid: number }): Promise<XivoAddress> {
    let starting = this.starting.get(vm.vmid);
    if (starting === undefined) this.starting.set(vm.vmid, (starting = this.start(vm.vmid)));
    const { facade, ipbx } = await starting;
    return { host: '127.0.0.1', confdPort: facade.port, authPort: facade.port, sip: { host: '127.0.0.1', port: ipbx.port('udp') } };
  }

  /** A rollback or destroy gives a XiVO fresh from the template, and an empty IPBX. */
  async reset(vmid: number): Promise<void> {
    await this.vms.get(vmid)?.facade.reset();
  }

  private async start(vmid: number): Promise<FacadeVm> {
    const ipbx = await startHarness({
      domain: '127.0.0.1', accounts: [], dialplan: [], protocols: ['udp', 'tcp'],
      ...(this.media === 'rtpengine' ? { extra: { media: rtpengineMedia() } } : {}),
    });
    const facade = await startXivoFacade({
      tls: this.tls, ipbx: { baseUrl: ipbx.apiBase, adminToken: ADMIN_TOKEN }, address: '127.0.0.1',
      audit: {
        request: (call) => {
          const found = specOf(call);
          if (found === undefined) this.violations.push(`request: ${call.method} ${call.path}: not under /0.1 or /1.1`);
          else this.violations.push(...found.spec.checkRequest(call.method, found.path, call.query, call.headers, call.body).map((p) => `request: ${p}`));
        },
        response: (call, status, body) => {
          this.calls.push(`${call.method} ${call.path} → ${status}`);
          const found = specOf(call);
          if (found !== undefined) this.violations.push(...found.spec.checkResponse(call.method, found.path, status, body).map((p) => `answer: ${p}`));
        },
      },
    });
    const entry = { vmid, ipbx, facade };
    this.vms.set(vmid, entry);
    return entry;
  }

  async close(): Promise<void> {
    const all = await Promise.all([...this.starting.values()].map((p) => p.catch(() => undefined)));
    await Promise.all(all.map(async (vm) => {
      if (vm === undefined) return;
      await vm.facade.close();
      await vm.ipbx.close();
    }));
  }
}
