// A whole lab on one machine for the tests: a fake Proxmox with template 9000, a fleet of fake
// XiVOs (one per guest address, reached on 127.0.0.1) — or, with `xivo: 'facade'`, one XiVO facade
// in front of a real IPBX per VM, reached on 127.0.0.1 by VMID — a lab file in a temporary folder
// pinned to the fakes' certificate, the secrets in an env object, and an opened LabContext whose
// progress lines are captured. A rollback or destroy on the fake Proxmox resets that guest's XiVO.

import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLab, type LabContext } from '../../lab/commands/lab-context.ts';
import { FakeProxmox, type FakeProxmoxOptions, type FakeVm } from './lab-fake-proxmox.ts';
import { FacadeFleet } from './lab-facade-fleet.ts';
import { FakeXivoFleet, type FakeXivoFlavour } from './lab-fake-xivo.ts';
import { makeSelfSignedCert, type TestCert } from './tls-cert.ts';

export const LAB_ENV = {
  PVE_TOKEN_ID: 'voiplab@pve!lab',
  PVE_TOKEN_SECRET: '0b8c7a52-3c1e-4a52-9d7e-5b0c1f2e3d4a',
  XIVO_ADMIN_PASSWORD: 'Trainer-Pass-2025',
  VOIPLAB_ACCOUNT_SEED: 'a-long-enough-seed-for-tests-0123',
};

export function threeGroupLab(proxmoxUrl: string, fingerprint: string, extra = ''): string {
  return `# a class of three groups
lab: tp-voip
proxmox:
  url: ${proxmoxUrl}
  nodes: [pve1]
  tls: { fingerprint: "${fingerprint}" }
source:
  template: { vmid: 9000, node: pve1 }
vm:
  bridge: vmbr1
  vmidRange: { from: 201, to: 210 }
groups:
  - { name: g01, students: [Alice Martin, Bob Durand], vlan: 101, ip: 10.10.1.10/24, gateway: 10.10.1.1 }
  - { name: g02, students: [Chloé Petit], vlan: 102, ip: 10.10.2.10/24, gateway: 10.10.2.1 }
  - { name: g03, students: [David Roux, Emma Blanc], vlan: 103, ip: dhcp }
xivo:
  tls: { fingerprint: "${fingerprint}" }
  wizard: { entityName: IUT Lab, internal: { start: "1000", end: "1999" } }
  users:
    - { firstname: Alice, extension: "1001" }
    - { firstname: Bob, extension: "1002" }
    - { firstname: Web, lastname: Phone, extension: "1003", webrtc: true }
  groups:
    - { name: support, extension: "1100", members: ["1001", "1002"] }
parallel: 2
timeouts: { taskSeconds: 5, agentSeconds: 5, xivoSeconds: 3 }
# smoke: tests that place calls add a smoke scenario (a fake XiVO has no SIP)
report: { softphoneUrl: "https://softphone.example/" }
${extra}`;
}

export interface LabHarness {
  cert: TestCert;
  fingerprint: string;
  proxmox: FakeProxmox;
  fleet: FakeXivoFleet;
  /** Set with `xivo: 'facade'`. */
  facades: FacadeFleet | undefined;
  dir: string;
  file: string;
  lines: string[];
  open(): Promise<LabContext>;
  violations(): string[];
  close(): Promise<void>;
}

export interface LabHarnessOptions {
  flavour?: FakeXivoFlavour;
  labText?: (url: string, fingerprint: string) => string;
  /** fake (default): in-memory XiVOs; facade: XiVO facades on real IPBXes that phones register to. */
  xivo?: 'fake' | 'facade';
  media?: 'passthrough' | 'rtpengine';
  /** Cloud images the fake Proxmox can import, pools that exist beforehand, agent pings after boot. */
  proxmox?: Pick<FakeProxmoxOptions, 'images' | 'pools' | 'agentPings'>;
}

/** The three-group class of threeGroupLab, made from a Debian cloud image with XiVO's installer instead of a template. */
export function cloudImageLab(proxmoxUrl: string, fingerprint: string, extra = ''): string {
  return threeGroupLab(proxmoxUrl, fingerprint, extra).replace('  template: { vmid: 9000, node: pve1 }\n', `  cloudImage:
    image: local:import/debian-12-genericcloud-amd64.qcow2
    storage: local-lvm
    diskGiB: 32
    sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5 trainer@lab"]
  installer: { url: "http://mirror.xivo.solutions/xivo_install.sh", version: "2024.10-latest", timeoutSeconds: 2 }
`);
}

export async function startLabHarness(options: LabHarnessOptions = {}): Promise<LabHarness> {
  const cert = await makeSelfSignedCert();
  const fingerprint = new X509Certificate(cert.cert).fingerprint256;
  const fleet = new FakeXivoFleet(cert, options.flavour ?? 'xivo-16.15');
  const facades = options.xivo === 'facade' ? new FacadeFleet(cert, options.media) : undefined;
  const guestAddress = (vm: FakeVm): string => /ip=(\d+\.\d+\.\d+\.\d+)/.exec(String(vm.config['ipconfig0']))?.[1] ?? `10.254.${Math.floor(vm.vmid / 250) % 250}.${(vm.vmid % 250) + 2}`;
  const proxmox = await FakeProxmox.start({
    tls: cert,
    tokens: [{ tokenId: LAB_ENV.PVE_TOKEN_ID, secret: LAB_ENV.PVE_TOKEN_SECRET }],
    users: [{ username: 'root@pam', password: 'pve-root-pass' }],
    nodes: ['pve1'],
    ...options.proxmox,
    templates: [{ vmid: 9000, node: 'pve1', name: 'xivo-template' }],
    onRollback: (vm) => (facades === undefined ? fleet.instances.get(guestAddress(vm))?.reset() : void facades.reset(vm.vmid)),
    onDestroy: (vm) => (facades === undefined ? fleet.instances.get(guestAddress(vm))?.reset() : void facades.reset(vm.vmid)),
  });
  const dir = await mkdtemp(join(tmpdir(), 'voiplab-lab-'));
  const file = join(dir, 'lab.yaml');
  await writeFile(file, (options.labText ?? threeGroupLab)(proxmox.url, fingerprint));
  const lines: string[] = [];
  return {
    cert, fingerprint, proxmox, fleet, facades, dir, file, lines,
    open: () => openLab(file, {
      env: { ...LAB_ENV }, log: (l) => lines.push(l), pollIntervalMs: 5,
      resolveXivo: (address, vm) => (facades === undefined ? fleet.resolve(address) : facades.resolve(address, vm)),
    }),
    violations: () => [...proxmox.violations, ...fleet.violations, ...(facades?.violations ?? [])],
    close: async () => {
      await Promise.all([proxmox.close(), fleet.close(), facades?.close()]);
      await rm(dir, { recursive: true, force: true });
      await cert.cleanup();
    },
  };
}
